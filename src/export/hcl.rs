//! A small typed writer for the HCL pgfort reads: blocks with labels,
//! attributes, comments, and values (strings, numbers, bools, lists,
//! maps). Pure text generation, so the escaping rules live in one place
//! and are tested without a server or a file system.
//!
//! Strings are HCL templates: besides the usual backslash escapes, `${`
//! and `%{` would start an interpolation or a directive, so they are
//! written `$${` and `%%{` (block labels take the same escapes, though
//! they cannot interpolate). Map keys stay bare when they are
//! identifiers HCL would not read as something else (`true`, `for`, …).
//!
//! The layout is simple (two-space indents, one attribute per line); the
//! caller passes the text through `pgfort fmt` for the canonical one.

use std::fmt::Write as _;

/// Lists and maps longer than this on one line are written one element
/// per line.
const INLINE_WIDTH: usize = 80;

/// An attribute's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
    /// Entries in the order written; keys are any text.
    Map(Vec<(String, Value)>),
    /// `var.NAME`: a value that must not be written in the file (a secret).
    Var(String),
}

impl Value {
    /// A list of strings.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(items.into_iter().map(|s| Value::Str(s.into())).collect())
    }

    fn is_container(&self) -> bool {
        matches!(self, Value::List(_) | Value::Map(_))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Str(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Str(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::Str(value.clone())
    }
}

/// What a body holds, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Attribute(String, Value),
    Block(Block),
    Comment(String),
}

/// The inside of a block, or a whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    items: Vec<Item>,
}

impl Body {
    pub fn new() -> Self {
        Body::default()
    }

    /// `name = value`. Names are pgfort's own attribute names, always
    /// identifiers.
    pub fn attr(&mut self, name: &'static str, value: impl Into<Value>) -> &mut Self {
        debug_assert!(is_identifier(name), "{name} is not an identifier");
        self.items
            .push(Item::Attribute(name.to_owned(), value.into()));
        self
    }

    /// `name = value` for a name that comes from data (a setting name);
    /// `None` when it is not an identifier, so cannot be an attribute.
    pub fn attr_named(&mut self, name: &str, value: Value) -> Option<&mut Self> {
        if !is_identifier(name) {
            return None;
        }
        self.items.push(Item::Attribute(name.to_owned(), value));
        Some(self)
    }

    /// `name = value` when there is a value.
    pub fn attr_opt<V: Into<Value>>(&mut self, name: &'static str, value: Option<V>) -> &mut Self {
        if let Some(value) = value {
            self.attr(name, value);
        }
        self
    }

    /// A `#` comment; several lines when the text has several.
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.items.push(Item::Comment(text.into()));
        self
    }

    pub fn block(&mut self, block: Block) -> &mut Self {
        self.items.push(Item::Block(block));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the body holds a block (not only comments).
    pub fn has_blocks(&self) -> bool {
        self.items.iter().any(|item| matches!(item, Item::Block(_)))
    }

    /// The text of a whole file: top-level blocks separated by blank lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0, true);
        out
    }

    fn write(&self, out: &mut String, level: usize, top: bool) {
        let mut previous: Option<&Item> = None;
        for item in &self.items {
            // A blank line before a top-level block and after one, but a
            // comment stays attached to what follows it.
            if top
                && previous
                    .is_some_and(|p| matches!(p, Item::Block(_)) || matches!(item, Item::Block(_)))
                && !matches!(previous, Some(Item::Comment(_)))
            {
                out.push('\n');
            }
            match item {
                Item::Attribute(name, value) => {
                    indent(out, level);
                    out.push_str(name);
                    out.push_str(" = ");
                    write_value(out, value, level, name.len() + 3);
                    out.push('\n');
                }
                Item::Block(block) => block.write(out, level),
                Item::Comment(text) => write_comment(out, text, level),
            }
            previous = Some(item);
        }
    }
}

/// `name "label" … { body }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    name: &'static str,
    labels: Vec<String>,
    pub body: Body,
}

impl Block {
    pub fn new(name: &'static str) -> Self {
        debug_assert!(is_identifier(name), "{name} is not an identifier");
        Block {
            name,
            labels: Vec::new(),
            body: Body::new(),
        }
    }

    /// A block with one label (`role "app"`).
    pub fn labelled(name: &'static str, label: impl Into<String>) -> Self {
        let mut block = Block::new(name);
        block.labels.push(label.into());
        block
    }

    fn write(&self, out: &mut String, level: usize) {
        indent(out, level);
        out.push_str(self.name);
        for label in &self.labels {
            out.push(' ');
            out.push_str(&quote(label));
        }
        if self.body.is_empty() {
            out.push_str(" {}\n");
            return;
        }
        out.push_str(" {\n");
        self.body.write(out, level + 1, false);
        indent(out, level);
        out.push_str("}\n");
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Writes `text` as `#` lines, wrapped at word boundaries to fit
/// [`INLINE_WIDTH`]; a wrapped `- item` line continues under its text.
fn write_comment(out: &mut String, text: &str, level: usize) {
    let width = INLINE_WIDTH.saturating_sub(level * 2 + 2).max(20);
    for line in text.lines() {
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let line = line.trim_end();
        if line.is_empty() {
            indent(out, level);
            out.push_str(
                "#
",
            );
            continue;
        }
        let hanging = if line.starts_with("- ") { "  " } else { "" };
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.len() + 1 + word.len() > width {
                indent(out, level);
                let _ = writeln!(out, "# {}", current.trim_end());
                current = hanging.to_owned();
            } else if !current.is_empty() && current != hanging {
                current.push(' ');
            }
            current.push_str(word);
        }
        indent(out, level);
        let _ = writeln!(out, "# {}", current.trim_end());
    }
}

/// Writes `value` at nesting `level`, `used` columns into its line.
fn write_value(out: &mut String, value: &Value, level: usize, used: usize) {
    let inline = inline(value);
    if !value.is_container() || level * 2 + used + inline.len() <= INLINE_WIDTH {
        out.push_str(&inline);
        return;
    }
    match value {
        Value::List(items) => {
            out.push_str("[\n");
            for item in items {
                indent(out, level + 1);
                write_value(out, item, level + 1, 0);
                out.push_str(",\n");
            }
            indent(out, level);
            out.push(']');
        }
        Value::Map(entries) => {
            out.push_str("{\n");
            for (key, item) in entries {
                indent(out, level + 1);
                let key = map_key(key);
                out.push_str(&key);
                out.push_str(" = ");
                write_value(out, item, level + 1, key.len() + 3);
                out.push('\n');
            }
            indent(out, level);
            out.push('}');
        }
        _ => out.push_str(&inline),
    }
}

/// The value on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Str(s) => quote(s),
        Value::Var(name) => format!("var.{name}"),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(entries) if entries.is_empty() => "{}".to_owned(),
        Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{} = {}", map_key(key), inline(value)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// A quoted string (a template, or a block label): backslash escapes, and
/// `${` / `%{` doubled so they stay text.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            _ => escape_char(&mut out, c),
        }
    }
    out.push('"');
    out
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{:04X}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Words HCL reads as something other than a name where a map key starts.
const KEYWORDS: &[&str] = &["true", "false", "null", "for", "in", "if"];

/// A map key: bare when it is a plain name (letters, digits, `_`) HCL
/// reads as a name, else a quoted string. `-` is left to quotes: bare, it
/// reads too much like subtraction to a person.
pub fn map_key(key: &str) -> String {
    if is_identifier(key) && !key.contains('-') && !KEYWORDS.contains(&key) {
        key.to_owned()
    } else {
        quote(key)
    }
}

/// HCL identifiers (ASCII subset): a letter or `_`, then letters, digits,
/// `_` and `-`.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
#[path = "hcl_tests.rs"]
mod tests;
