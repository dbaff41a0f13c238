//! Running one command on every server of an environment: which servers a
//! shard takes, how many run at once, and how their outcomes add up to one
//! summary and one exit code. No I/O here beyond driving the futures the
//! caller hands in.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt as _;
use serde::Serialize;

/// How many servers run at once by default (as Terraform's
/// `-parallelism`).
pub const DEFAULT_PARALLELISM: usize = 10;

/// `--shard I/N`: the I-th of N disjoint parts of an environment (I from
/// 1), so that N jobs of a CI matrix or a Kubernetes Indexed Job together
/// cover every server exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "invalid shard \"{text}\": expected I/N with 1 <= I <= N, e.g. 2/4 \
                 (a Kubernetes JOB_COMPLETION_INDEX counts from 0: add 1)"
            )
        };
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let index: usize = index.trim().parse().map_err(|_| invalid())?;
        let count: usize = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || index > count {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the server at `position` of the environment's servers
    /// sorted by name belongs to this shard. Dealing the sorted names
    /// round-robin keeps shards within one server of each other's size
    /// and does not depend on the order servers are written in.
    fn takes(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// The names of `names` this shard takes, in their given order.
    pub fn select<'n>(self, names: &[&'n str]) -> Vec<&'n str> {
        let mut sorted: Vec<&str> = names.to_vec();
        sorted.sort_unstable();
        names
            .iter()
            .copied()
            .filter(|name| {
                sorted
                    .binary_search(name)
                    .is_ok_and(|position| self.takes(position))
            })
            .collect()
    }
}

/// How one server's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    /// Nothing to change (plan, apply) or no drift, no failing control.
    Unchanged,
    /// Changes planned or made, drift found, or controls failed.
    Changed,
    /// The run failed on this server (connection, permission, apply).
    Failed,
    /// Not run: `--fail-fast` stopped the fleet after a failure.
    Skipped,
}

impl ServerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerStatus::Unchanged => "unchanged",
            ServerStatus::Changed => "changed",
            ServerStatus::Failed => "failed",
            ServerStatus::Skipped => "skipped",
        }
    }
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FleetSummary {
    pub servers: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl FleetSummary {
    pub fn of(statuses: impl IntoIterator<Item = ServerStatus>) -> FleetSummary {
        let mut summary = FleetSummary::default();
        for status in statuses {
            summary.servers += 1;
            match status {
                ServerStatus::Changed => summary.changed += 1,
                ServerStatus::Unchanged => summary.unchanged += 1,
                ServerStatus::Failed => summary.failed += 1,
                ServerStatus::Skipped => summary.skipped += 1,
            }
        }
        summary
    }

    /// The fleet's exit code: 1 if any server failed (or was skipped
    /// after one did), else `changed_code` if any changed, else 0.
    pub fn exit_code(&self, changed_code: i32) -> i32 {
        if self.failed > 0 || self.skipped > 0 {
            1
        } else if self.changed > 0 {
            changed_code
        } else {
            0
        }
    }
}

/// Runs `work` for every item, at most `parallelism` at once, and returns
/// the results in the items' order. With `fail_fast`, once a result is a
/// failure (`failed` says which are) the items not started yet get
/// `skipped(item)` instead of running; those running finish.
pub async fn run_all<T, R, Fut>(
    items: Vec<T>,
    parallelism: usize,
    fail_fast: bool,
    work: impl Fn(T) -> Fut,
    failed: impl Fn(&R) -> bool,
    skipped: impl Fn(T) -> R,
) -> Vec<R>
where
    Fut: Future<Output = R>,
{
    let stop = AtomicBool::new(false);
    let (stop, work, failed, skipped) = (&stop, &work, &failed, &skipped);
    let mut results: Vec<(usize, R)> = futures_util::stream::iter(items.into_iter().enumerate())
        .map(|(position, item)| async move {
            if stop.load(Ordering::SeqCst) {
                return (position, skipped(item));
            }
            let result = work(item).await;
            if fail_fast && failed(&result) {
                stop.store(true, Ordering::SeqCst);
            }
            (position, result)
        })
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
    results.sort_by_key(|(position, _)| *position);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_server_exactly_once_and_stay_balanced() {
        let names: Vec<String> = (0..23).map(|i| format!("db{i:02}")).rev().collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for count in 1..=7 {
            let mut seen: Vec<&str> = Vec::new();
            let mut sizes = Vec::new();
            for index in 1..=count {
                let part = Shard { index, count }.select(&names);
                sizes.push(part.len());
                seen.extend(part);
            }
            seen.sort_unstable();
            let mut all = names.clone();
            all.sort_unstable();
            assert_eq!(seen, all, "{count} shards");
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{sizes:?}");
        }
    }

    #[test]
    fn a_shard_does_not_depend_on_the_written_order() {
        let written = ["c", "a", "d", "b"];
        let shuffled = ["b", "d", "a", "c"];
        let shard = Shard { index: 2, count: 2 };
        let mut first = shard.select(&written);
        let mut second = shard.select(&shuffled);
        first.sort_unstable();
        second.sort_unstable();
        assert_eq!(first, ["b", "d"]);
        assert_eq!(first, second);
    }

    #[test]
    fn shards_are_written_i_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", ""] {
            let error = bad.parse::<Shard>().unwrap_err();
            assert!(error.contains("expected I/N"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_exit_code_is_the_worst_outcome() {
        use ServerStatus::*;
        assert_eq!(FleetSummary::of([Unchanged, Unchanged]).exit_code(2), 0);
        assert_eq!(FleetSummary::of([Unchanged, Changed]).exit_code(2), 2);
        assert_eq!(FleetSummary::of([Changed, Failed]).exit_code(2), 1);
        assert_eq!(FleetSummary::of([Skipped, Unchanged]).exit_code(2), 1);
        assert_eq!(FleetSummary::of([Changed]).exit_code(0), 0);
        let summary = FleetSummary::of([Changed, Failed, Unchanged, Skipped]);
        assert_eq!(
            (summary.servers, summary.changed, summary.failed, summary.unchanged, summary.skipped),
            (4, 1, 1, 1, 1)
        );
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn run_all_keeps_order_and_bounds_concurrency() {
        use std::sync::atomic::AtomicUsize;
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let results = block_on(run_all(
            (0..12).collect(),
            3,
            false,
            |i: u64| {
                let (running, peak) = (&running, &peak);
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20 - i)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 10
                }
            },
            |_| false,
            |_| u64::MAX,
        ));
        assert_eq!(results, (0..12).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn fail_fast_skips_what_has_not_started() {
        let results = block_on(run_all(
            (0..6).collect(),
            1,
            true,
            |i: i32| async move { if i == 2 { Err(i) } else { Ok(i) } },
            Result::is_err,
            |i| Err(-i),
        ));
        assert_eq!(results, [Ok(0), Ok(1), Err(2), Err(-3), Err(-4), Err(-5)]);
        let all = block_on(run_all(
            (0..4).collect(),
            1,
            false,
            |i: i32| async move { if i == 1 { Err(i) } else { Ok(i) } },
            Result::is_err,
            |i| Err(-i),
        ));
        assert_eq!(all, [Ok(0), Err(1), Ok(2), Ok(3)]);
    }
}
