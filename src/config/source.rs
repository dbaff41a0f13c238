//! One configuration file's text, with the line index needed to turn the
//! parser's byte offsets into the line:column people see in editors.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::Span;

use super::error::Location;

/// A file that was read, kept so later phases can locate anything in it.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub path: Arc<Path>,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// Lines of the file before `text`, when `text` is a part of it
    /// ([`SourceFile::parts`]); 0 for a whole file.
    lines_before: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            path: Arc::from(path),
            text,
            line_starts,
            lines_before: 0,
        }
    }

    /// The file cut at byte offsets `cuts` (each the start of a line, in
    /// increasing order), as parts that locate what they hold at its place
    /// in the whole file.
    pub fn parts(&self, cuts: &[usize]) -> Vec<SourceFile> {
        let ends = cuts.iter().copied().chain([self.text.len()]);
        let starts = [0].into_iter().chain(cuts.iter().copied());
        starts
            .zip(ends)
            .map(|(start, end)| {
                let first = self.line_starts.partition_point(|&s| s < start);
                let last = self.line_starts.partition_point(|&s| s <= end);
                SourceFile {
                    path: self.path.clone(),
                    text: self.text[start..end].to_owned(),
                    line_starts: self.line_starts[first..last]
                        .iter()
                        .map(|s| s - start)
                        .collect(),
                    lines_before: self.lines_before + first,
                }
            })
            .collect()
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
            line: self.lines_before + line,
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

    #[test]
    fn parts_locate_at_their_place_in_the_file() {
        let file = SourceFile::new("a.hcl".into(), "a\nbc\né d\nef\n".to_string());
        let parts = file.parts(&[2, 5]);
        let texts: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["a\n", "bc\n", "é d\nef\n"]);
        for part in &parts {
            let alone = SourceFile::new(part.path.to_path_buf(), part.text.clone());
            assert_eq!(part.line_starts, alone.line_starts);
        }
        let loc = parts[1].location(1);
        assert_eq!((loc.line, loc.column), (2, 2));
        // "d" is the third character of line 3; "f" the second of line 4.
        let loc = parts[2].location(3);
        assert_eq!((loc.line, loc.column), (3, 3));
        let loc = parts[2].location(6);
        assert_eq!((loc.line, loc.column), (4, 2));
    }
}
