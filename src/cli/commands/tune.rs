//! `pgfort tune`: the settings pgtune's formulas give for a machine,
//! printed as a `settings` block to paste into a configuration (or use a
//! `tune` block, which computes them at plan time).

use std::fmt::Write;

use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::TuneArgs;
use crate::model::units::parse_memory_kb;
use crate::tune::{Storage, TuneProfile, Workload, recommend};

pub fn run(args: &TuneArgs) -> Result<Outcome, Error> {
    let profile = profile(args)?;
    print!("{}", settings_block(&profile, args.pg_version));
    Ok(Outcome::Success)
}

fn profile(args: &TuneArgs) -> Result<TuneProfile, Error> {
    let memory_kb = parse_memory_kb(&args.memory).map_err(|message| {
        Error::usage(format!("--memory: {message}"), Some("e.g. --memory 16GB"))
    })?;
    let storage = Storage::parse(&args.storage).ok_or_else(|| {
        Error::usage(
            format!("--storage: unknown storage \"{}\"", args.storage),
            Some(&format!("one of: {}", Storage::NAMES.join(", "))),
        )
    })?;
    let workload = Workload::parse(&args.workload).ok_or_else(|| {
        Error::usage(
            format!("--workload: unknown workload \"{}\"", args.workload),
            Some(&format!("one of: {}", Workload::NAMES.join(", "))),
        )
    })?;
    Ok(TuneProfile {
        memory_kb,
        cpus: args.cpus,
        connections: args.connections,
        storage,
        workload,
    })
}

/// The HCL text: a comment naming the profile, then the block with the
/// values aligned as `pgfort fmt` would.
fn settings_block(profile: &TuneProfile, pg_version: Option<u32>) -> String {
    let tuned = recommend(profile, pg_version.map(|major| major * 10000));
    let width = tuned.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let mut out = format!("# pgtune's formulas for {}\n", profile.describe());
    out.push_str("settings {\n");
    for setting in &tuned {
        let numeric = setting.value.parse::<f64>().is_ok();
        let value = if numeric {
            setting.value.clone()
        } else {
            format!("\"{}\"", setting.value)
        };
        let _ = writeln!(out, "  {:width$} = {value}", setting.name);
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_a_settings_block() {
        let args = TuneArgs {
            memory: "16GB".into(),
            cpus: Some(4),
            connections: Some(200),
            storage: "ssd".into(),
            workload: "web".into(),
            pg_version: Some(15),
        };
        let text = settings_block(&profile(&args).unwrap(), args.pg_version);
        assert!(text.starts_with(
            "# pgtune's formulas for 16GB RAM, 4 CPUs, 200 connections, ssd storage, web workload\nsettings {\n"
        ));
        assert!(
            text.contains("\n  shared_buffers                   = \"4GB\"\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  random_page_cost                 = 1.1\n"),
            "{text}"
        );
        assert!(
            text.ends_with("  wal_compression                  = \"lz4\"\n}\n"),
            "{text}"
        );
        let bad = TuneArgs {
            workload: "webb".into(),
            ..args
        };
        assert!(profile(&bad).is_err());
    }
}
