//! The figures, as tables.

use crate::process::Measured;

fn seconds(run: &Measured) -> String {
    format!("{:.3} s", run.wall.as_secs_f64())
}

fn queries(run: &Measured) -> String {
    match run.total() {
        Some(total) => format!("{}/{}", total.statements, total.round_trips),
        None => "–".into(),
    }
}

/// One row per phase: pgfort's wall time, peak RSS, statements/round
/// trips; with a peer, its wall time and RSS and the ratio.
pub fn print_phases(phases: &[&str], ours: &[Measured], theirs: Option<&(String, Vec<Measured>)>) {
    let peer_name = theirs.map(|(name, _)| name.as_str()).unwrap_or("");
    println!();
    print!(
        "{:<16} {:>9} {:>9} {:>14}",
        "phase", "pgfort", "peak RSS", "stmts/RTs"
    );
    if theirs.is_some() {
        print!(" {:>12} {:>9} {:>8}", peer_name, "peak RSS", "ratio");
    }
    println!();
    for (i, phase) in phases.iter().enumerate() {
        let Some(run) = ours.get(i) else { continue };
        print!(
            "{:<16} {:>9} {:>6.0} MB {:>14}",
            phase,
            seconds(run),
            run.rss_mb(),
            queries(run)
        );
        if let Some(peer) = theirs.and_then(|(_, runs)| runs.get(i)) {
            print!(
                " {:>12} {:>6.0} MB {:>7.1}×",
                seconds(peer),
                peer.rss_mb(),
                peer.wall.as_secs_f64() / run.wall.as_secs_f64()
            );
        }
        println!();
    }
}

/// pgfort's own time per phase of each run (`--stats`).
pub fn print_breakdown(phases: &[&str], ours: &[Measured]) {
    println!();
    for (phase, run) in phases.iter().zip(ours) {
        let parts: Vec<String> = run
            .stats()
            .iter()
            .filter(|s| s.phase != "total")
            .map(|s| {
                if s.round_trips > 0 {
                    format!(
                        "{} {:.1} ms ({}/{})",
                        s.phase, s.ms, s.statements, s.round_trips
                    )
                } else {
                    format!("{} {:.1} ms", s.phase, s.ms)
                }
            })
            .collect();
        println!("{phase:<16} {}", parts.join(", "));
    }
}
