//! The production checklist: statistics, vacuum, cache, capacity, stuck
//! statements and replicas.

use super::{bool_setting, none_of, number, setting, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// Connections above this share of max_connections fail.
const CONNECTION_SHARE: f64 = 0.8;
/// Cache hit ratio below this fails.
const CACHE_HIT: f64 = 0.99;
/// Replay lag above this many seconds fails.
const MAX_LAG_SECONDS: f64 = 60.0;

fn stat_statements(facts: &AuditFacts) -> Check {
    let preload = match setting(facts, "shared_preload_libraries") {
        Ok(preload) => preload.value.clone(),
        Err(skip) => return skip,
    };
    let preloaded = preload.split(',').any(|l| l.trim() == "pg_stat_statements");
    let installed = facts.extensions.iter().any(|e| e == "pg_stat_statements");
    verdict(
        preloaded && installed,
        vec![
            format!("shared_preload_libraries = {preload}"),
            format!(
                "extension pg_stat_statements {} in database {}",
                if installed {
                    "installed"
                } else {
                    "not installed"
                },
                facts.current_database
            ),
        ],
    )
}

fn cache_hit(facts: &AuditFacts) -> Check {
    let Some((hit, read)) = facts.cache_blocks else {
        return Check::Skip("needs read access to pg_statio_user_tables".to_owned());
    };
    let total = hit.saturating_add(read);
    if total == 0 {
        return Check::Skip("not enough data: no table blocks read yet".to_owned());
    }
    let ratio = hit as f64 / total as f64;
    verdict(
        ratio >= CACHE_HIT,
        vec![format!(
            "cache hit ratio {:.2}% ({hit} hits, {read} reads) in database {}",
            ratio * 100.0,
            facts.current_database
        )],
    )
}

fn connections(facts: &AuditFacts) -> Check {
    let max = match setting(facts, "max_connections") {
        Ok(max) => max,
        Err(skip) => return skip,
    };
    let Some(activity) = &facts.activity else {
        return Check::Skip("needs read access to pg_stat_activity".to_owned());
    };
    let Some(limit) = number(&max.value).filter(|n| *n > 0.0) else {
        return Check::Skip(format!("max_connections = {} is not a number", max.value));
    };
    verdict(
        (activity.connections as f64) <= limit * CONNECTION_SHARE,
        vec![format!(
            "{} of max_connections {} in use",
            activity.connections, max.value
        )],
    )
}

fn long_queries(facts: &AuditFacts) -> Check {
    match &facts.activity {
        Some(activity) if activity.sees_all => none_of(
            activity
                .long_running
                .iter()
                .map(|q| format!("pid {} ({}): active for {}s", q.pid, q.user, q.seconds))
                .collect(),
            "no statement active for more than 5 minutes",
        ),
        _ => Check::Skip("needs pg_read_all_stats (other sessions' statements)".to_owned()),
    }
}

fn replication_lag(facts: &AuditFacts) -> Check {
    let Some(replicas) = &facts.replicas else {
        return Check::Skip("needs pg_read_all_stats (pg_stat_replication)".to_owned());
    };
    if replicas.is_empty() {
        return Check::Pass(vec!["no replicas".to_owned()]);
    }
    let evidence = replicas
        .iter()
        .map(|r| match r.replay_lag_seconds {
            Some(lag) => format!("{}: replay lag {lag:.1}s", r.name),
            None => format!("{}: replay lag unknown (idle)", r.name),
        })
        .collect();
    verdict(
        replicas.iter().all(|r| {
            r.replay_lag_seconds
                .is_none_or(|lag| lag <= MAX_LAG_SECONDS)
        }),
        evidence,
    )
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "ops-stat-statements",
        area: Area::Health,
        title: "pg_stat_statements is preloaded and installed",
        severity: Severity::Low,
        rationale: "Query statistics are how slow or abusive statements are found.",
        remedy: "extension \"pg_stat_statements\" {\n  database = \"postgres\" # also preloads the library; requires restart\n}",
        check: stat_statements,
    },
    Control {
        id: "ops-autovacuum",
        area: Area::Health,
        title: "autovacuum is on",
        severity: Severity::High,
        rationale: "Without autovacuum tables bloat and transaction IDs wrap around.",
        remedy: "settings { autovacuum = true }",
        check: |f| bool_setting(f, "autovacuum", true),
    },
    Control {
        id: "ops-cache-hit",
        area: Area::Health,
        title: "cache hit ratio is at least 99%",
        severity: Severity::Low,
        rationale: "A low hit ratio means shared_buffers is too small for the working set.",
        remedy: "pgfort tune --memory <RAM> and paste its settings block",
        check: cache_hit,
    },
    Control {
        id: "ops-connections",
        area: Area::Health,
        title: "connections are below 80% of max_connections",
        severity: Severity::Medium,
        rationale: "Near the limit new clients, including administrators, are refused.",
        remedy: "Use a connection pooler, or settings { max_connections = 200 } # requires restart",
        check: connections,
    },
    Control {
        id: "ops-long-queries",
        area: Area::Health,
        title: "no statement has run for more than 5 minutes",
        severity: Severity::Medium,
        rationale: "Long statements hold locks and stop vacuum from cleaning up.",
        remedy: "settings { statement_timeout = \"5min\" }\n\n# or per role:\nrole \"app\" {\n  settings = { statement_timeout = \"30s\" }\n}",
        check: long_queries,
    },
    Control {
        id: "ops-replication-lag",
        area: Area::Health,
        title: "replicas replay within 60 seconds",
        severity: Severity::Medium,
        rationale: "A lagging replica serves stale data and loses more on failover.",
        remedy: "Check the replica's I/O and network; consider settings { wal_compression = true }",
        check: replication_lag,
    },
];
