//! `pgfort fmt`: the canonical layout of configuration files, in the style
//! of `terraform fmt`, keeping comments. Only whitespace between tokens
//! changes; the result is re-parsed and compared with the input, and a
//! file whose meaning would change is refused rather than rewritten.

mod layout;
mod scan;

use std::path::Path;

use super::FormattedFile;
use super::error::{ConfigError, Result};
use super::load::hcl_files;
use super::parse::parse;
use super::source::SourceFile;

/// Formats one file's text; `file` is only used in error locations.
pub(crate) fn format_source(source: &str, file: &Path) -> Result<String> {
    let original = SourceFile::new(file.to_path_buf(), source.to_string());
    let before = parse(&original)?;
    let text = source.replace("\r\n", "\n");
    let formatted = layout::layout(&scan::scan(&text));
    let unchanged_meaning = hcl_edit::parser::parse_body(&formatted)
        .is_ok_and(|after| hcl::Body::from(after) == hcl::Body::from(before));
    if !unchanged_meaning {
        return Err(ConfigError::at(
            original.location(0),
            "cannot format this file without changing its meaning; it was left as is",
        ));
    }
    Ok(formatted)
}

/// Formats every `*.hcl` file of `dir`, in name order.
pub(crate) fn format_dir(dir: &Path) -> Result<Vec<FormattedFile>> {
    hcl_files(dir)?
        .into_iter()
        .map(|path| {
            let original = std::fs::read_to_string(&path).map_err(|err| {
                ConfigError::general(format!("cannot read {}: {err}", path.display()))
            })?;
            let formatted = format_source(&original, &path)?;
            Ok(FormattedFile {
                path,
                original,
                formatted,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
