//! Parsing the files of a directory, spread over the machine's cores: the
//! files, and large files cut into parts between top-level blocks, are
//! parsed on threads of their own.
//!
//! A part starts at a line that opens a top-level block, right after a line
//! that is only `}`. Text like that inside a heredoc, a comment or a nested
//! block leaves the part before it unterminated, so that part fails to
//! parse; the whole file is then parsed as one, and what it says (its
//! body, or its syntax error) is what counts. A part that starts with an
//! attribute at the top level is also parsed again as the whole file: only
//! the whole file tells an attribute written twice.

use hcl_edit::structure::{Body, Structure};

use super::error::{ConfigError, Result};
use super::source::SourceFile;

/// Parses one file, turning a syntax error into a located error.
pub(crate) fn parse(src: &SourceFile) -> Result<Body> {
    hcl_edit::parser::parse_body(&src.text).map_err(|err| {
        ConfigError::at(
            src.location(err.location().offset()),
            format!("syntax error: {}", err.message()),
        )
    })
}

/// Below this many bytes in all, files are parsed on this thread: a thread
/// costs more than it saves.
pub(super) const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// Files are not cut into parts smaller than this.
const MIN_PART_BYTES: usize = 32 * 1024;

/// Parses every file, spread over the machine's cores when there is
/// enough text; the bodies come with the text they were parsed from (a
/// file, or a part of one), in file order. Every broken file is reported,
/// in file order, as when parsing one after the other.
pub(crate) fn parse_all(sources: Vec<SourceFile>) -> Result<Vec<(SourceFile, Body)>> {
    let bytes: usize = sources.iter().map(|s| s.text.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if bytes < PARALLEL_PARSE_BYTES || threads <= 1 {
        return collect(sources.into_iter().map(|src| {
            let body = parse(&src);
            (src, body)
        }));
    }
    let part_bytes = bytes.div_ceil(threads).max(MIN_PART_BYTES);
    let files: Vec<Vec<SourceFile>> = sources
        .iter()
        .map(|src| src.parts(&cuts(&src.text, part_bytes)))
        .collect();
    parse_parts(sources, files)
}

/// Parses the `parts` of each of `sources` on the machine's cores; a file
/// whose parts do not all parse as blocks is parsed again as one.
fn parse_parts(
    sources: Vec<SourceFile>,
    files: Vec<Vec<SourceFile>>,
) -> Result<Vec<(SourceFile, Body)>> {
    let pieces: Vec<&SourceFile> = files.iter().flatten().collect();
    let mut parsed = crate::parallel::map(&pieces, 2, |src| parse(src)).into_iter();
    let mut out = Vec::with_capacity(pieces.len());
    for (whole, parts) in sources.into_iter().zip(files) {
        let bodies: Vec<Result<Body>> = parsed.by_ref().take(parts.len()).collect();
        let cut = parts.len() > 1;
        let sound = bodies
            .iter()
            .all(|body| body.as_ref().is_ok_and(|b| !cut || no_attribute(b)));
        if sound {
            out.extend(parts.into_iter().zip(bodies));
        } else {
            let body = parse(&whole);
            out.push((whole, body));
        }
    }
    collect(out.into_iter())
}

/// Frees what [`parse_all`] returned. Large bodies are freed on a thread of
/// their own: freeing blocks parsed on other threads costs several times
/// what parsing them on one thread did, milliseconds the caller need not
/// wait for.
pub(crate) fn discard(parsed: Vec<(SourceFile, Body)>) {
    let bytes: usize = parsed.iter().map(|(src, _)| src.text.len()).sum();
    if bytes >= PARALLEL_PARSE_BYTES {
        crate::parallel::drop_in_background(parsed);
    }
}

/// The bodies, or every error.
fn collect(
    parsed: impl Iterator<Item = (SourceFile, Result<Body>)>,
) -> Result<Vec<(SourceFile, Body)>> {
    let mut bodies = Vec::new();
    let mut errors = Vec::new();
    for (src, result) in parsed {
        match result {
            Ok(body) => bodies.push((src, body)),
            Err(error) => errors.push(error),
        }
    }
    ConfigError::check(errors)?;
    Ok(bodies)
}

fn no_attribute(body: &Body) -> bool {
    body.iter()
        .all(|structure| matches!(structure, Structure::Block(_)))
}

/// Where to cut `text` into parts of about `part_bytes`: at the start of
/// a line beginning with a letter or `_`, right after a line that is only
/// `}` (trailing blanks allowed).
fn cuts(text: &str, part_bytes: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut from = part_bytes;
    while from + MIN_PART_BYTES / 2 < text.len() {
        let Some(cut) = block_start_after(text, from) else {
            break;
        };
        if text.len() - cut < MIN_PART_BYTES / 2 {
            break;
        }
        cuts.push(cut);
        from = cut + part_bytes;
    }
    cuts
}

/// The first top-level block start (as [`cuts`] defines it) at or after
/// byte `from`.
fn block_start_after(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        let close = at + bytes.get(at..)?.windows(2).position(|w| w == b"\n}")? + 1;
        let mut end = close + 1;
        while matches!(bytes.get(end), Some(b' ' | b'\t' | b'\r')) {
            end += 1;
        }
        if bytes.get(end) == Some(&b'\n')
            && bytes
                .get(end + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            return Some(end + 1);
        }
        at = close;
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn file(name: &str, roles: usize, broken: bool) -> SourceFile {
        let mut text: String = (0..roles)
            .map(|i| format!("role \"{name}_{i}\" {{\n  login = true\n}}\n"))
            .collect();
        if broken {
            text.push_str("role \"oops\" {\n");
        }
        SourceFile::new(PathBuf::from(format!("{name}.hcl")), text)
    }

    fn labels(parsed: &[(SourceFile, Body)]) -> Vec<String> {
        parsed
            .iter()
            .flat_map(|(_, body)| body.iter())
            .filter_map(|s| s.as_block()?.labels.first())
            .map(|label| label.as_str().to_owned())
            .collect()
    }

    #[test]
    fn files_parsed_in_parallel_keep_their_order() {
        let sources: Vec<SourceFile> = (0..5).map(|i| file(&format!("f{i}"), 800, false)).collect();
        assert!(sources.iter().map(|s| s.text.len()).sum::<usize>() > PARALLEL_PARSE_BYTES);
        let parsed = parse_all(sources).expect("valid");
        let expected: Vec<String> = (0..5)
            .flat_map(|i| (0..800).map(move |j| format!("f{i}_{j}")))
            .collect();
        assert_eq!(labels(&parsed), expected);
    }

    #[test]
    fn the_first_broken_file_is_the_one_reported() {
        let sources = vec![
            file("a", 800, false),
            file("b", 800, false),
            file("c", 800, true),
            file("d", 800, true),
        ];
        let error = parse_all(sources).expect_err("broken");
        let location = error.location.expect("located");
        assert!(location.to_string().starts_with("c.hcl:"), "{location}");
    }

    #[test]
    fn a_large_file_is_cut_between_blocks_and_located_as_a_whole() {
        let src = file("big", 6000, false);
        let lines = src.text.lines().count();
        let cuts = cuts(&src.text, 40 * 1024);
        assert!(cuts.len() >= 2, "{cuts:?}");
        for &cut in &cuts {
            assert!(src.text[cut..].starts_with("role \""));
        }
        let parsed = parse_all(vec![src]).expect("valid");
        let expected: Vec<String> = (0..6000).map(|j| format!("big_{j}")).collect();
        assert_eq!(labels(&parsed), expected);
        // The last block starts three lines before the end.
        let (part, body) = parsed.last().expect("parts");
        let last = body
            .iter()
            .last()
            .and_then(|s| s.as_block())
            .expect("block");
        assert_eq!(part.locate(&last.ident).line, lines - 2);
    }

    #[test]
    fn a_cut_inside_a_heredoc_or_comment_falls_back_to_the_whole_file() {
        for (open, close) in [("x = <<EOT", "EOT"), ("/*", "*/")] {
            let mut text = file("a", 100, false).text;
            text.push_str(&format!(
                "locals {{\n  {open}\n}}\nrole \"not_a_role\" {{\n}}\n"
            ));
            text.push_str(&format!("{close}\n}}\n"));
            text.push_str(&file("b", 100, false).text);
            let cut = text.find("role \"not_a_role\"").expect("written");
            assert_eq!(block_start_after(&text, cut - 10), Some(cut));
            let src = SourceFile::new(PathBuf::from("t.hcl"), text);
            let whole = parse(&src).expect("valid");
            let parts = vec![src.parts(&[cut])];
            let parsed = parse_parts(vec![src], parts).expect("valid");
            assert_eq!(parsed.len(), 1, "{open}");
            assert_eq!(parsed[0].1.iter().count(), whole.iter().count(), "{open}");
            assert!(
                !labels(&parsed).contains(&"not_a_role".to_owned()),
                "{open}"
            );
        }
    }

    #[test]
    fn an_attribute_written_twice_at_the_top_is_a_syntax_error_as_before() {
        let mut text = String::from("x = 1\n");
        text.push_str(&file("a", 100, false).text);
        text.push_str("x = 2\n");
        let cut = text.find("x = 2").expect("written");
        let src = SourceFile::new(PathBuf::from("t.hcl"), text);
        let whole = parse(&src).expect_err("redefined").to_string();
        let parts = vec![src.parts(&[cut])];
        let split = parse_parts(vec![src], parts)
            .expect_err("redefined")
            .to_string();
        assert_eq!(split, whole);
    }
}
