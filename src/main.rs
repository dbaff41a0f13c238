use clap::Parser;

use pgfort::cli::{self, Cli};

fn main() {
    let args = cli::normalise_terraform_flags(std::env::args());
    let cli = Cli::parse_from(args);
    cli::init_tracing(cli.verbose);
    let code = match cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            cli::print_error(&error);
            1
        }
    };
    std::process::exit(code);
}
