//! Error printing, colour decisions and tracing set-up.

use std::io::IsTerminal;

use crate::render::escape::display_safe_lines as safe;
use crate::{Error, ErrorKind};

/// Colour only on a terminal, and never with --no-color or NO_COLOR.
pub fn use_color(no_color: bool) -> bool {
    color_allowed(no_color) && std::io::stdout().is_terminal()
}

fn color_allowed(no_color: bool) -> bool {
    !no_color && std::env::var_os("NO_COLOR").is_none()
}

/// Logs go to stderr; -v info, -vv debug, RUST_LOG wins. The database
/// driver's debug and trace records are dropped whatever RUST_LOG says:
/// they print statement texts, and a statement may hold a password
/// verifier or a key.
pub fn init_tracing(verbose: u8, no_color: bool) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let default = match verbose {
        0 => "warn",
        1 => "pgfort=info",
        _ => "pgfort=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Log lines go to stderr: colour only when that is a terminal.
    let ansi = color_allowed(no_color) && std::io::stderr().is_terminal();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            !reveals_statements(meta.target(), *meta.level())
        }));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Whether a record may carry statement text: the driver's below INFO.
fn reveals_statements(target: &str, level: tracing::Level) -> bool {
    let driver = ["tokio_postgres", "postgres_protocol"]
        .iter()
        .any(|name| target == *name || target.starts_with(&format!("{name}::")));
    driver && level > tracing::Level::INFO
}

/// Prints a rendered text document on stdout. The renderers escape every
/// value they draw; without colour no escape sequence belongs in the
/// output at all, so anything one of them missed is escaped here too.
pub fn print_text(text: &str, color: bool) {
    if color {
        print!("{text}");
    } else {
        print!("{}", safe(text));
    }
}

/// A configuration problem that did not stop loading: `warning: …` and
/// its hint, on stderr (stdout may be a JSON document).
pub fn print_config_warning(warning: &crate::config::ConfigError) {
    // Messages quote names and values from the configuration and the
    // server: escaped here, at the edge, once for every error.
    eprintln!("warning: {}", safe(&warning.to_string()));
    if let Some(hint) = &warning.hint {
        eprintln!("  hint: {}", safe(hint));
    }
}

/// The `--stats` report, on stderr.
pub fn print_stats(total: std::time::Duration) {
    let report = crate::stats::render(&crate::stats::phases(), total, crate::stats::peak_rss());
    eprint!("{report}");
}

/// `error: …` then the causes and `hint:` lines, on stderr.
pub fn print_error(error: &Error) {
    eprint!("{}", error_report(error));
}

/// What [`print_error`] prints: the `error:` line, its causes, notes and
/// hints, and further configuration errors; escaped, one per line.
pub fn error_report(error: &Error) -> String {
    let mut out = String::new();
    let heading = match error.kind() {
        ErrorKind::Internal => "internal error",
        _ => "error",
    };
    line(&mut out, format!("{heading}: {}", safe(&error.to_string())));
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // tokio-postgres wraps server errors in an uninformative "db error".
        if text != "db error"
            && !error
                .to_string()
                .contains(text.trim_start_matches("ERROR: "))
        {
            line(&mut out, format!("  caused by: {}", safe(&text)));
        }
        source = cause.source();
    }
    notes_and_hints(&mut out, error.notes(), &error.hints());
    if let Error::Config(first) = error {
        more_config_errors(&mut out, first);
    }
    out
}

fn line(out: &mut String, text: String) {
    out.push_str(&text);
    out.push('\n');
}

/// The lines under an `error:` line. A hint of several lines is several
/// hints: each line gets its prefix.
fn notes_and_hints(out: &mut String, notes: &[String], hints: &[String]) {
    for note in notes {
        line(out, format!("  {}", safe(note)));
    }
    for hint in hints.iter().flat_map(|hint| hint.lines()) {
        line(out, format!("  hint: {}", safe(hint)));
    }
}

/// Configuration errors shown in one run, at most.
const CONFIG_ERRORS_SHOWN: usize = 10;

/// The configuration errors after the first (see
/// [`crate::config::ConfigError::more`]), capped, then how many in all.
fn more_config_errors(out: &mut String, first: &crate::config::ConfigError) {
    if first.more().is_empty() {
        return;
    }
    for error in first.more().iter().take(CONFIG_ERRORS_SHOWN - 1) {
        line(out, format!("error: {}", safe(&error.to_string())));
        let hints: Vec<String> = error.hint.iter().cloned().collect();
        notes_and_hints(out, &error.notes, &hints);
    }
    let total = first.more().len() + 1;
    if total > CONFIG_ERRORS_SHOWN {
        line(
            out,
            format!(
                "… and {} more errors ({total} in all)",
                crate::text::thousands(total - CONFIG_ERRORS_SHOWN)
            ),
        );
    } else {
        line(out, format!("{total} errors in the configuration"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_debug_and_trace_records_are_dropped() {
        assert!(reveals_statements(
            "tokio_postgres::query",
            tracing::Level::DEBUG
        ));
        assert!(reveals_statements("tokio_postgres", tracing::Level::TRACE));
        assert!(!reveals_statements(
            "tokio_postgres::connection",
            tracing::Level::INFO
        ));
        assert!(!reveals_statements("pgfort::apply", tracing::Level::TRACE));
        assert!(!reveals_statements(
            "tokio_postgresql",
            tracing::Level::DEBUG
        ));
    }
}
