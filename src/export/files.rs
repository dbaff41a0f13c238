//! Writing an export into a directory: the only I/O of this module. An
//! export never writes over existing configuration files unless asked,
//! and never removes a file.

use std::path::{Path, PathBuf};

use super::{ExportError, ExportFile};

/// What [`write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub paths: Vec<PathBuf>,
    /// Other `*.hcl` files of the directory, which plans read too.
    pub others: Vec<String>,
}

/// Writes `files` into `dir` (created if needed). Refuses when `dir`
/// already holds `*.hcl` files, unless `force`, which overwrites the
/// files of the export and leaves the others.
pub fn write(dir: &Path, files: &[ExportFile], force: bool) -> Result<Written, ExportError> {
    let io = |context: String| move |source| ExportError::Io { context, source };
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let existing = hcl_files(dir).map_err(io(format!("reading {}", dir.display())))?;
    if !existing.is_empty() && !force {
        return Err(ExportError::ExistingFiles {
            dir: dir.to_path_buf(),
            files: existing,
        });
    }
    let mut paths = Vec::new();
    for file in files {
        let path = dir.join(&file.name);
        std::fs::write(&path, &file.text).map_err(io(format!("writing {}", path.display())))?;
        paths.push(path);
    }
    let others = existing
        .into_iter()
        .filter(|name| !files.iter().any(|f| f.name == *name))
        .collect();
    Ok(Written { paths, others })
}

/// The names of the `*.hcl` files of `dir`, sorted.
fn hcl_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".hcl") && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> ExportFile {
        ExportFile {
            name: name.to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn refuses_existing_configuration_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let written = write(&out, &[file("roles.hcl", "role \"a\" {}\n")], false).unwrap();
        assert_eq!(written.paths, vec![out.join("roles.hcl")]);
        std::fs::write(out.join("mine.hcl"), "# mine\n").unwrap();
        std::fs::write(out.join("notes.txt"), "not configuration").unwrap();

        let refused = write(&out, &[file("roles.hcl", "role \"b\" {}\n")], false).unwrap_err();
        assert!(matches!(&refused, ExportError::ExistingFiles { files, .. }
            if files == &["mine.hcl".to_owned(), "roles.hcl".to_owned()]));
        assert_eq!(
            std::fs::read_to_string(out.join("roles.hcl")).unwrap(),
            "role \"a\" {}\n"
        );

        let forced = write(&out, &[file("roles.hcl", "role \"b\" {}\n")], true).unwrap();
        assert_eq!(forced.others, vec!["mine.hcl".to_owned()]);
        assert_eq!(
            std::fs::read_to_string(out.join("roles.hcl")).unwrap(),
            "role \"b\" {}\n"
        );
        assert!(out.join("mine.hcl").exists(), "never removed");
    }
}
