//! One configuration file's text, with the line index needed to turn the
//! parser's byte offsets into the line:column people see in editors.

use std::ops::Range;
use std::path::PathBuf;

use hcl_edit::Span;

use super::error::Location;

/// A file that was read, kept so later phases can locate anything in it.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// The location of a byte offset (clamped to the text, and to a char
    /// boundary, so a bad offset still gives a usable position).
    pub fn location(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        Location {
            file: self.path.clone(),
            line,
            column,
        }
    }

    /// Where a parsed item starts. Items from the parser always carry a span;
    /// the start of the file is only a fallback for synthesized ones.
    pub fn locate(&self, item: &impl Span) -> Location {
        self.location(item.span().map_or(0, |span| span.start))
    }

    pub fn locate_span(&self, span: Option<Range<usize>>) -> Location {
        self.location(span.map_or(0, |span| span.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let file = SourceFile::new("a.hcl".into(), "ab\né = x\n".to_string());
        let loc = file.location(0);
        assert_eq!((loc.line, loc.column), (1, 1));
        let loc = file.location(3);
        assert_eq!((loc.line, loc.column), (2, 1));
        // "é" is two bytes; the "=" after "é " is the third character.
        let loc = file.location(6);
        assert_eq!((loc.line, loc.column), (2, 3));
        let loc = file.location(100);
        assert_eq!((loc.line, loc.column), (3, 1));
    }
}
