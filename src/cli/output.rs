//! Error printing, colour decisions and tracing set-up.

use std::io::IsTerminal;

use crate::render::escape::display_safe_lines as safe;
use crate::{Error, ErrorKind};

/// Colour only on a terminal, and never with --no-color or NO_COLOR.
pub fn use_color(no_color: bool) -> bool {
    !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Logs go to stderr; -v info, -vv debug, RUST_LOG wins.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "pgfort=info",
        _ => "pgfort=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
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

/// `error: …` then the causes and `hint:` lines, on stderr.
pub fn print_error(error: &Error) {
    let heading = match error.kind() {
        ErrorKind::Internal => "internal error",
        _ => "error",
    };
    eprintln!("{heading}: {}", safe(&error.to_string()));
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // tokio-postgres wraps server errors in an uninformative "db error".
        if text != "db error"
            && !error
                .to_string()
                .contains(text.trim_start_matches("ERROR: "))
        {
            eprintln!("  caused by: {}", safe(&text));
        }
        source = cause.source();
    }
    for note in error.notes() {
        eprintln!("  {}", safe(note));
    }
    for hint in error.hints() {
        eprintln!("  hint: {}", safe(&hint));
    }
}
