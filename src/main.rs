use pgfort::cli;

/// Inspection and diff make and drop hundreds of thousands of small
/// strings at scale; mimalloc's thread-local free lists do that in a
/// fraction of the time glibc's allocator takes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = cli::normalise_terraform_flags(std::env::args());
    let started = std::time::Instant::now();
    let cli = cli::parse(args).unwrap_or_else(|error| error.exit());
    cli::init_tracing(cli.verbose);
    let stats = cli.stats;
    let code = match cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            cli::print_error(&error);
            1
        }
    };
    if stats {
        cli::print_stats(started.elapsed());
    }
    std::process::exit(code);
}
