//! `pgfort audit`: read facts in a READ ONLY transaction, run the
//! controls, print the report. Never changes the server.

use std::path::Path;

use super::common::{connect_db, load_config, resolve_leader};
use crate::Error;
use crate::audit::facts::{DatabaseFacts, UnreadableDatabase};
use crate::audit::report::{render_html, render_json, render_markdown, render_sarif, render_text};
use crate::audit::{self, Format, Report, Selection, fix, gather};
use crate::cli::args::AuditArgs;
use crate::cli::output::print_text;
use crate::cli::{Outcome, Ui};
use crate::config::Config;
use crate::connect::ConnectionSettings;

pub async fn run(args: &AuditArgs, ui: Ui) -> Result<Outcome, Error> {
    if args.list_controls {
        print_text(&audit::catalog::control_table(), false);
        return Ok(Outcome::Success);
    }
    let selection = Selection {
        ids: args.controls.clone(),
        min_severity: args.min_severity,
    };
    let unknown = audit::unknown_ids(&selection);
    if !unknown.is_empty() {
        return Err(Error::usage(
            format!("unknown control id(s): {}", unknown.join(", ")),
            Some("the ids are listed by `pgfort audit --format json` (findings[].id)"),
        ));
    }
    if args.fleet.env.is_some() {
        return super::fleet::audit(args, ui, selection).await;
    }
    let config = match &args.dir {
        Some(dir) => load_config(dir, &args.vars)?,
        None => Config::default(),
    };
    let settings = resolve_leader(&args.connection, &config).await?;
    let mut db = connect_db(&settings).await?;
    let spinner = super::progress::Spinner::start("auditing: reading the server".to_owned());
    let (facts, findings) =
        audit_server(&mut db, &settings, &selection, &config.desired.pgbouncers).await?;
    drop(spinner);
    if let Some(path) = &args.fix_out {
        write_fixes(path, &findings, &facts, &db, &settings).await?;
    }
    let failed = audit::fails_at(&findings, args.fail_on, args.fail_on_ops);
    let report = Report::new(&facts, findings, settings.server_address());
    let json_error = |e: serde_json::Error| Error::Internal(format!("rendering the report: {e}"));
    match args.format {
        Format::Text => print_text(&render_text(&report, ui.color), ui.color),
        Format::Json => println!("{}", render_json(&report).map_err(json_error)?),
        Format::Sarif => {
            let artifact = args
                .dir
                .as_deref()
                .map_or_else(|| ".".to_owned(), |dir| dir.display().to_string());
            println!("{}", render_sarif(&report, &artifact).map_err(json_error)?);
        }
        Format::Markdown => print_text(&render_markdown(&report), false),
        Format::Html => print_text(&render_html(&report), false),
    }
    Ok(if failed {
        Outcome::AuditFailed
    } else {
        Outcome::Success
    })
}

/// Reads the facts (the connected database in a read-only transaction,
/// the others each over a connection of their own), asks for TLS, and
/// runs the selected controls.
pub(super) async fn audit_server(
    db: &mut crate::inspect::Db,
    settings: &ConnectionSettings,
    selection: &Selection,
    pgbouncers: &std::collections::BTreeMap<String, crate::model::PgBouncer>,
) -> Result<(audit::AuditFacts, Vec<audit::Finding>), Error> {
    let transaction = db
        .client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|source| {
            Error::Internal(format!("could not start a read-only transaction: {source}"))
        })?;
    let gathered = gather::gather(&transaction).await?;
    // Nothing to keep: end the read-only transaction without committing.
    transaction
        .rollback()
        .await
        .map_err(|source| gather::failed("the end of the read-only transaction", source))?;
    let mut facts = gathered.facts;
    let mut queries = gathered.queries;
    for name in &gathered.other_databases {
        match read_database(settings, name).await {
            Ok((database, sent)) => {
                facts.databases.push(database);
                queries += sent;
            }
            Err(why) => facts.unreadable_databases.push(UnreadableDatabase {
                name: name.clone(),
                why,
            }),
        }
    }
    tracing::info!(
        "audit used {queries} queries ({} database(s))",
        facts.databases.len()
    );
    facts.tls_probe = Some(tls_probe(settings).await);
    if is_local(settings) {
        facts.hba_file_mode = facts
            .setting("hba_file")
            .and_then(|file| gather::local_file_mode(Path::new(&file.value)));
    }
    // Declared PgBouncer instances, judged from their files on this host.
    facts.pgbouncers = gather::pgbouncers(pgbouncers);
    let findings = audit::run(&facts, selection);
    Ok((facts, findings))
}

/// `--fix-out`: the remedies as one configuration, in pgfort's layout.
/// pg_hba.conf is read (once more, as the planner reads it) only when an
/// hba control it can fix failed.
async fn write_fixes(
    path: &Path,
    findings: &[audit::Finding],
    facts: &audit::AuditFacts,
    db: &crate::inspect::Db,
    settings: &ConnectionSettings,
) -> Result<(), Error> {
    let needs_hba = findings
        .iter()
        .any(|f| f.status == audit::Status::Fail && fix::FIXES_HBA.contains(&f.id));
    let hba = if needs_hba {
        Some(crate::inspect::read_hba(db, settings).await?)
    } else {
        None
    };
    let host = match settings.hosts().next() {
        Some(host) if !ConnectionSettings::is_socket(host) => host.to_owned(),
        _ => "localhost".to_owned(),
    };
    let context = fix::FixContext {
        facts,
        hba: hba.as_ref(),
        host: &host,
    };
    let file = fix::fix_file(findings, &context);
    let text = crate::config::format_source(&file.text, path).unwrap_or(file.text);
    // `--fix-out fix/main.hcl` makes a configuration directory of its own.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            context: format!("creating {}", parent.display()),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| Error::Io {
        context: format!("writing {}", path.display()),
        source,
    })?;
    eprintln!(
        "Wrote the remedies of {} failing control(s) to {}{}",
        file.fixed.len(),
        path.display(),
        if file.left.is_empty() {
            String::new()
        } else {
            format!(
                "; {} left for you, listed at its top ({})",
                file.left.len(),
                file.left
                    .iter()
                    .map(|(id, _)| *id)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Ok(())
}

/// File modes are only meaningful when the server runs on this machine:
/// a socket directory or a loopback address.
fn is_local(settings: &ConnectionSettings) -> bool {
    settings.host.split(',').all(|host| {
        let host = host.trim();
        host.starts_with('/') || matches!(host, "localhost" | "127.0.0.1" | "::1")
    })
}

/// Asks the server for TLS where pgfort connects (127.0.0.1 for a socket),
/// without logging in.
async fn tls_probe(settings: &ConnectionSettings) -> crate::audit::facts::TlsProbe {
    use crate::audit::facts::TlsProbe;
    use crate::connect::Served;
    let address = match settings.hosts().next() {
        Some(host) if !ConnectionSettings::is_socket(host) => settings.server_address(),
        _ => format!("127.0.0.1:{}", settings.port),
    };
    match crate::connect::served_certificate(settings).await {
        Ok(Served::Certificate(_)) => TlsProbe::Served { address },
        Ok(Served::Plain) => TlsProbe::Refused { address },
        Err(err) => TlsProbe::Failed {
            address,
            error: err.to_string(),
        },
    }
}

/// Reads one more database over a connection of its own, in a read-only
/// transaction. Nobody is asked for a password again: a database the
/// session cannot reach as it is is reported as not read, with why.
async fn read_database(
    settings: &ConnectionSettings,
    name: &str,
) -> Result<(DatabaseFacts, u64), String> {
    let mut settings = settings.clone();
    settings.dbname = name.to_owned();
    let mut client = crate::connect::connect_interactive(&settings, false)
        .await
        .map_err(|err| err.to_string())?;
    let transaction = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|err| err.to_string())?;
    let read = gather::database(&transaction, name)
        .await
        .map_err(|err| err.to_string())?;
    // Nothing to keep.
    let _ = transaction.rollback().await;
    Ok(read)
}
