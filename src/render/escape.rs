//! Makes text from the server or the configuration safe to print on a
//! terminal. A role name, comment or setting value can hold escape
//! sequences that move the cursor or erase lines, and so hide a line of a
//! plan (`superuser = true`) from whoever reviews it; a bidi override can
//! make text read in another order than it runs. Every human-readable
//! output routes such text through [`display_safe`], as git and Terraform
//! do. JSON and SARIF need none of this: their serialisers escape control
//! characters.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character (C0 including newline and tab,
/// DEL, C1) and every bidi override or isolate replaced by a visible
/// escape: `\x1b`, `\n`, `\u{202e}`. Borrowed when there is nothing to
/// replace, which is nearly always.
pub fn display_safe(text: &str) -> Cow<'_, str> {
    escape_except(text, |_| false)
}

/// [`display_safe`] for a whole multi-line message (an error and its
/// causes): newlines and tabs stay, everything else is escaped. Use it only
/// where the text is not laid out in lines a reader compares, and where a
/// value was not already escaped on its own.
pub fn display_safe_lines(text: &str) -> Cow<'_, str> {
    escape_except(text, |c| c == '\n' || c == '\t')
}

/// Whether `c` can change how a terminal shows the text around it.
pub fn is_hostile(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Explicit bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) and the marks that reorder neighbouring text.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn escape_except(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_hostile(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_hostile(c) || keep(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            '\t' => out.write_str("\\t"),
            c if u32::from(c) < 0x100 => write!(out, "\\x{:02x}", u32::from(c)),
            c => write!(out, "\\u{{{:x}}}", u32::from(c)),
        };
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        for text in ["app_user", "", "rôle – été", "a\\x1b", "日本語"] {
            assert!(matches!(display_safe(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn terminal_sequences_are_shown_escaped() {
        assert_eq!(display_safe("a\x1b[2K\x1b[1Ab"), "a\\x1b[2K\\x1b[1Ab");
        assert_eq!(display_safe("\x07\x08\x00"), "\\x07\\x08\\x00");
        assert_eq!(display_safe("x\ny\rz\t"), "x\\ny\\rz\\t");
        assert_eq!(display_safe("del\x7f"), "del\\x7f");
        // C1: CSI (U+009B) works as ESC [ on some terminals.
        assert_eq!(display_safe("\u{9b}2K\u{85}"), "\\x9b2K\\x85");
    }

    #[test]
    fn bidi_controls_are_shown_escaped() {
        assert_eq!(display_safe("a\u{202e}b\u{202a}"), "a\\u{202e}b\\u{202a}");
        assert_eq!(
            display_safe("\u{2066}\u{2067}\u{2068}\u{2069}"),
            "\\u{2066}\\u{2067}\\u{2068}\\u{2069}"
        );
        assert_eq!(display_safe("\u{200f}"), "\\u{200f}");
    }

    #[test]
    fn every_hostile_character_is_escaped() {
        let hostile = (0u32..0x20)
            .chain(0x7f..0xa0)
            .chain(0x202a..0x202f)
            .chain(0x2066..0x206a)
            .filter_map(char::from_u32);
        for c in hostile {
            let shown = display_safe(&c.to_string()).into_owned();
            assert!(shown.starts_with('\\'), "{c:?} shown as {shown:?}");
            assert!(!shown.chars().any(is_hostile), "{c:?} shown as {shown:?}");
        }
    }

    #[test]
    fn lines_keep_newlines_and_tabs_only() {
        assert_eq!(display_safe_lines("a\n\tb\x1b[1A"), "a\n\tb\\x1b[1A");
        assert_eq!(display_safe_lines("a\r\n"), "a\\r\n");
    }
}
