//! Terraform-like plan text.

use std::fmt::Write;

use super::PlanDoc;
use super::escape::display_safe as safe;
use crate::plan::{Action, AttributeChange, Change};
use crate::text::{NAMES_SHOWN, capped};

/// How to draw the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colours (only when writing to a terminal).
    pub color: bool,
    /// Print the SQL each change runs (passwords redacted).
    pub show_sql: bool,
    /// List every object behind summarised attributes.
    pub verbose: bool,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn symbol(&self, action: Action) -> String {
        match action {
            Action::Create => self.paint(GREEN, "+"),
            Action::Update => self.paint(YELLOW, "~"),
            Action::Delete => self.paint(RED, "-"),
            Action::Replace => format!("{}/{}", self.paint(RED, "-"), self.paint(GREEN, "+")),
        }
    }
}

/// Renders the whole plan.
pub fn render_text(doc: &PlanDoc<'_>, options: TextOptions) -> String {
    let style = Style {
        color: options.color,
    };
    let mut out = String::new();
    for warning in doc.warnings {
        let _ = writeln!(out, "{} {}", style.paint(YELLOW, "Warning:"), safe(warning));
    }
    if !doc.warnings.is_empty() {
        out.push('\n');
    }
    for note in doc.notes {
        let _ = writeln!(out, "Note: {}", safe(note));
    }
    if !doc.notes.is_empty() {
        out.push('\n');
    }
    if !doc.unmanaged_roles.is_empty() {
        let shown = match options.verbose {
            true => usize::MAX,
            false => NAMES_SHOWN,
        };
        let _ = writeln!(
            out,
            "Unmanaged roles (not declared, left alone): {}\n",
            capped(doc.unmanaged_roles.iter().map(|role| safe(role)), shown)
        );
    }
    super::restart::pending(
        doc.pending_restart,
        &style.paint(YELLOW, "Restart pending:"),
        &mut out,
    );
    for_primary(doc.for_primary, &style, &mut out);
    if doc.changes.is_empty() && !doc.for_primary.is_empty() {
        out.push_str("No changes this standby can make.\n");
        return out;
    }
    if doc.changes.is_empty() && !doc.pending_restart.is_empty() {
        out.push_str(
            "Nothing to apply, but the server needs restart to use the configured values above.\n",
        );
        return out;
    }
    if doc.changes.is_empty() {
        out.push_str("No changes. The server matches the configuration.\n");
        return out;
    }
    legend(doc, &style, &mut out);
    out.push_str("pgfort will perform the following actions:\n\n");
    for run in runs(doc.changes) {
        match run {
            [change] => render_change(change, &style, options, &mut out),
            alike => render_alike(alike, &style, options, &mut out),
        }
    }
    let s = doc.summary;
    let _ = writeln!(
        out,
        "{} {} to add, {} to change, {} to destroy.",
        style.paint(BOLD, "Plan:"),
        s.add,
        s.change,
        s.destroy
    );
    out
}

/// On a standby, the catalog changes its primary must make.
fn for_primary(changes: &[Change], style: &Style, out: &mut String) {
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{} these {} change(s) are to objects it replicates from its primary; make them there:",
        style.paint(YELLOW, "This server is a standby:"),
        changes.len()
    );
    for change in changes {
        let _ = writeln!(
            out,
            "  {} {}",
            style.symbol(change.action),
            safe(&change.address)
        );
    }
    out.push('\n');
}

/// The restart-pending section alone, for the end of an apply.
pub fn render_pending_restart(doc: &PlanDoc<'_>, options: TextOptions) -> String {
    let style = Style {
        color: options.color,
    };
    let mut out = String::new();
    super::restart::pending(
        doc.pending_restart,
        &style.paint(YELLOW, "Restart pending:"),
        &mut out,
    );
    out
}

/// Lists only the symbols the plan uses.
fn legend(doc: &PlanDoc<'_>, style: &Style, out: &mut String) {
    out.push_str("Resource actions are indicated with the following symbols:\n");
    let entries = [
        (Action::Create, "create"),
        (Action::Update, "update in-place"),
        (Action::Replace, "destroy and then create replacement"),
        (Action::Delete, "destroy"),
    ];
    for (action, words) in entries {
        if doc.changes.iter().any(|c| c.action == action) {
            let _ = writeln!(out, "  {} {words}", style.symbol(action));
        }
    }
    out.push('\n');
}

/// Alike changes next to each other (same kind and action, the same
/// attribute changes and reasons: 500 roles whose connection limit goes
/// from 5 to 7) are drawn once from this many on.
const ALIKE_FROM: usize = 5;

/// The changes in order, cut into runs of alike ones (see [`ALIKE_FROM`];
/// shorter runs are cut into single changes).
fn runs(changes: &[Change]) -> Vec<&[Change]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < changes.len() {
        let first = &changes[start];
        let len = changes[start..]
            .iter()
            .take_while(|change| alike(first, change))
            .count()
            .max(1);
        if len >= ALIKE_FROM {
            out.push(&changes[start..start + len]);
        } else {
            out.extend((start..start + len).map(|i| std::slice::from_ref(&changes[i])));
        }
        start += len;
    }
    out
}

/// Whether two changes read the same but for the object's name.
fn alike(a: &Change, b: &Change) -> bool {
    a.kind() == b.kind()
        && a.action == b.action
        && a.attributes == b.attributes
        && a.reasons == b.reasons
        && a.needs_restart == b.needs_restart
        && a.details == b.details
        && a.file_diff.is_empty()
        && b.file_diff.is_empty()
}

/// Alike changes as one block: how many, their names (capped unless
/// verbose), then the attribute changes they share.
fn render_alike(changes: &[Change], style: &Style, options: TextOptions, out: &mut String) {
    let Some(first) = changes.first() else {
        return;
    };
    let kind = safe(first.kind());
    let count = crate::text::thousands(changes.len());
    let verb = verb(first.action);
    let _ = writeln!(
        out,
        "  {} {verb}, alike",
        style.paint(BOLD, &format!("# {count} × {kind}"))
    );
    let names = changes.iter().map(|change| {
        let name = change
            .address
            .split_once('.')
            .map_or(change.address.as_str(), |(_, name)| name);
        safe(name).into_owned()
    });
    let shown = if options.verbose {
        usize::MAX
    } else {
        NAMES_SHOWN
    };
    let more = if options.verbose || changes.len() <= NAMES_SHOWN {
        String::new()
    } else {
        " (-v lists them)".to_owned()
    };
    let _ = writeln!(out, "  #   {}{more}", capped(names, shown));
    for reason in &first.reasons {
        let _ = writeln!(out, "  # (because {})", safe(reason));
    }
    if first.needs_restart {
        let _ = writeln!(out, "{}", super::restart::REQUIRES_RESTART);
    }
    let symbol = style.symbol(first.action);
    if first.attributes.is_empty() {
        let _ = writeln!(out, "  {symbol} {count} × {kind}");
    } else {
        let _ = writeln!(out, "  {symbol} {count} × {kind} {{");
        attributes(&first.attributes, style, out);
        out.push_str("    }\n");
    }
    if options.verbose {
        for detail in &first.details {
            let _ = writeln!(out, "    # {}", safe(detail));
        }
    }
    if options.show_sql {
        for statement in changes.iter().flat_map(|change| &change.statements) {
            let _ = writeln!(out, "    SQL: {};", safe(&statement.redacted()));
        }
    }
    out.push('\n');
}

/// What happens to an object, in the plan's words.
fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
    }
}

/// The attribute lines of a block, names aligned.
fn attributes(attributes: &[AttributeChange], style: &Style, out: &mut String) {
    let width = attributes
        .iter()
        .map(|a| safe(&a.name).chars().count())
        .max()
        .unwrap_or(0);
    for attribute in attributes {
        render_attribute(attribute, width, style, out);
    }
}

fn render_change(change: &Change, style: &Style, options: TextOptions, out: &mut String) {
    let verb = verb(change.action);
    // Every text from the configuration or the server is escaped as it
    // goes into a line, so that none can rewrite the lines around it.
    let address = safe(&change.address);
    let _ = writeln!(
        out,
        "  {} {verb}",
        style.paint(BOLD, &format!("# {address}"))
    );
    for reason in &change.reasons {
        let _ = writeln!(out, "  # (because {})", safe(reason));
    }
    if change.needs_restart {
        let _ = writeln!(out, "{}", super::restart::REQUIRES_RESTART);
    }
    // `role.app` reads as `role "app"`; a block without a label
    // (`server_certificate`) as itself.
    let heading = match address.split_once('.') {
        Some((kind, name)) => format!("{kind} \"{name}\""),
        None => address.clone().into_owned(),
    };
    let symbol = style.symbol(change.action);
    if change.attributes.is_empty() {
        let _ = writeln!(out, "  {symbol} {heading}");
    } else {
        let _ = writeln!(out, "  {symbol} {heading} {{");
        attributes(&change.attributes, style, out);
        out.push_str("    }\n");
    }
    for line in &change.file_diff {
        let _ = writeln!(out, "    {}", safe(line));
    }
    if options.verbose {
        for detail in &change.details {
            let _ = writeln!(out, "    # {}", safe(detail));
        }
    }
    if options.show_sql {
        // A quoted literal may still hold control characters: escaped
        // here for the eye only, the statement that runs is unchanged.
        for statement in &change.statements {
            let _ = writeln!(out, "    SQL: {};", safe(&statement.redacted()));
        }
    }
    out.push('\n');
}

fn render_attribute(attribute: &AttributeChange, width: usize, style: &Style, out: &mut String) {
    let shown = |value: &Option<String>| -> String {
        match value {
            Some(_) if attribute.sensitive => "(sensitive value)".to_owned(),
            Some(value) => safe(value).into_owned(),
            None => "null".to_owned(),
        }
    };
    let name = format!("{:width$}", safe(&attribute.name));
    let line = match (&attribute.before, &attribute.after) {
        (None, after) => format!("{} {name} = {}", style.symbol(Action::Create), shown(after)),
        (before, None) => format!(
            "{} {name} = {} -> null",
            style.symbol(Action::Delete),
            shown(before)
        ),
        // A sensitive value's old and new forms both read "(sensitive
        // value)": showing both would suggest they can be compared.
        (_, after) if attribute.sensitive => {
            format!("{} {name} = {}", style.symbol(Action::Update), shown(after))
        }
        (before, after) => format!(
            "{} {name} = {} -> {}",
            style.symbol(Action::Update),
            shown(before),
            shown(after)
        ),
    };
    let _ = writeln!(out, "      {line}");
}
