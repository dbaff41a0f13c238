//! `pgfort schema [SCHEMA] [--out DIR]`: the published JSON Schemas, as
//! generated from the types (the files in the repository's `schema/` are
//! written by `pgfort schema --out schema`).

use std::io::Write as _;

use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::SchemaArgs;
use crate::schema::{self, Document, SchemaError};

pub fn run(args: &SchemaArgs) -> Result<Outcome, Error> {
    let named = args
        .document
        .as_deref()
        .map(str::parse::<Document>)
        .transpose()
        .map_err(|message| Error::usage(message, None))?;
    match (&args.out, named) {
        (Some(dir), named) => {
            let documents = named.map_or(Document::ALL.to_vec(), |document| vec![document]);
            let written = schema::write(dir, &documents).map_err(io_error)?;
            for path in written {
                println!("{}", path.display());
            }
            Ok(Outcome::Success)
        }
        (None, Some(document)) => print(&document.render()),
        (None, None) => Err(Error::usage(
            "name a schema to print, or --out DIR to write them all",
            Some("pgfort schema config > pgfort.schema.json"),
        )),
    }
}

fn io_error(err: SchemaError) -> Error {
    match err {
        SchemaError::CreateDir { path, source } => Error::Io {
            context: format!("creating {}", path.display()),
            source,
        },
        SchemaError::Write { path, source } => Error::Io {
            context: format!("writing {}", path.display()),
            source,
        },
    }
}

fn print(text: &str) -> Result<Outcome, Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(Outcome::Success),
        // `pgfort schema config | head`: the reader has what it wanted.
        Err(source) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(Outcome::Success),
        Err(source) => Err(Error::Io {
            context: "writing to standard output".to_owned(),
            source,
        }),
    }
}
