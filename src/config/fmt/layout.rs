//! Re-indents and aligns scanned lines: two spaces per nesting level, one
//! space around `=`, `=` aligned across runs of single-line attributes at
//! the same level, at most one blank line in a row, no trailing
//! whitespace. Lines inside heredocs, block comments and multi-line
//! templates are left exactly as written.

use super::scan::Line;

/// A line ready to be written.
enum Out<'a> {
    Blank,
    Verbatim(&'a str),
    Code {
        level: usize,
        text: &'a str,
        /// For `key = value` lines: the key and the value, trimmed.
        assignment: Option<(&'a str, &'a str)>,
        /// Part of an alignment run (a single-line attribute).
        aligned: bool,
    },
}

/// Indentation levels, each remembering how many brackets opened it, so a
/// line that opens two brackets (`foo([`) indents by one level only.
#[derive(Default)]
struct Levels(Vec<isize>);

impl Levels {
    fn close(&mut self, mut count: isize) {
        while count > 0 {
            let Some(top) = self.0.last_mut() else { return };
            if *top > count {
                *top -= count;
                return;
            }
            count -= *top;
            self.0.pop();
        }
    }

    fn open(&mut self, count: isize) {
        if count > 0 {
            self.0.push(count);
        }
    }
}

pub(super) fn layout(lines: &[Line<'_>]) -> String {
    let mut levels = Levels::default();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        levels.close(isize::try_from(line.leading_closers).unwrap_or(isize::MAX));
        let level = levels.0.len();
        if line.net > 0 {
            levels.open(line.net);
        } else {
            levels.close(-line.net);
        }
        out.push(classify(line, level));
    }
    render(&out)
}

fn classify<'a>(line: &Line<'a>, level: usize) -> Out<'a> {
    if line.verbatim {
        let text = if line.keep_trailing {
            line.text
        } else {
            line.text.trim_end()
        };
        return Out::Verbatim(text);
    }
    let text = line.text.trim();
    if text.is_empty() {
        return Out::Blank;
    }
    let assignment = line.assignment.map(|(key_end, equals)| {
        (
            line.text[..key_end].trim_start(),
            line.text[equals + 1..].trim(),
        )
    });
    let single_line = line.net == 0 && line.leading_closers == 0 && !line.continues;
    Out::Code {
        level,
        text,
        assignment,
        aligned: assignment.is_some() && single_line,
    }
}

fn render(out: &[Out<'_>]) -> String {
    let mut lines: Vec<String> = Vec::with_capacity(out.len());
    let mut i = 0;
    while i < out.len() {
        match &out[i] {
            Out::Blank => {
                if lines.last().is_some_and(|last| !last.is_empty()) {
                    lines.push(String::new());
                }
                i += 1;
            }
            Out::Verbatim(text) => {
                lines.push((*text).to_string());
                i += 1;
            }
            Out::Code {
                level,
                aligned: true,
                ..
            } => {
                let run = alignment_run(&out[i..], *level);
                let width = run
                    .iter()
                    .map(|(key, _)| key.chars().count())
                    .max()
                    .unwrap_or(0);
                for (key, value) in &run {
                    let pad = width - key.chars().count();
                    lines.push(format!(
                        "{}{key}{} = {value}",
                        indent(*level),
                        " ".repeat(pad)
                    ));
                }
                i += run.len();
            }
            Out::Code {
                level,
                text,
                assignment,
                ..
            } => {
                lines.push(match assignment {
                    Some((key, value)) => format!("{}{key} = {value}", indent(*level)),
                    None => format!("{}{text}", indent(*level)),
                });
                i += 1;
            }
        }
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The consecutive single-line attributes at `level` starting the slice.
fn alignment_run<'a>(out: &[Out<'a>], level: usize) -> Vec<(&'a str, &'a str)> {
    out.iter()
        .map_while(|line| match line {
            Out::Code {
                level: line_level,
                assignment: Some(assignment),
                aligned: true,
                ..
            } if *line_level == level => Some(*assignment),
            _ => None,
        })
        .collect()
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}
