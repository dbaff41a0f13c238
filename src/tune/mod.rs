//! Settings computed from the hardware and the workload with pgtune's
//! formulas. Pure: it recommends values, it never looks at a server.

use serde::Serialize;

use crate::model::units::format_kb;

/// The machine and the kind of work it does (a `tune` block, or the flags
/// of `pgfort tune`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TuneProfile {
    /// RAM available to PostgreSQL, in kB.
    pub memory_kb: u64,
    /// CPU cores; parallel settings are only computed from 4.
    pub cpus: Option<u32>,
    /// Expected connections; the workload's default when not given.
    pub connections: Option<u32>,
    pub storage: Storage,
    pub workload: Workload,
}

/// What the data sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    Hdd,
    Ssd,
    San,
    Nvme,
}

/// What the server mostly does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Web applications: many short queries.
    Web,
    /// Online transaction processing.
    Oltp,
    /// Data warehouse: few large queries.
    Dw,
    /// A developer's machine, sharing it with other programs.
    Desktop,
    /// A bit of everything.
    Mixed,
}

impl Storage {
    pub const NAMES: &'static [&'static str] = &["ssd", "hdd", "san", "nvme"];

    pub fn parse(text: &str) -> Option<Storage> {
        match text.to_ascii_lowercase().as_str() {
            "hdd" => Some(Storage::Hdd),
            "ssd" => Some(Storage::Ssd),
            "san" => Some(Storage::San),
            "nvme" => Some(Storage::Nvme),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Storage::Hdd => "hdd",
            Storage::Ssd => "ssd",
            Storage::San => "san",
            Storage::Nvme => "nvme",
        }
    }
}

impl Workload {
    pub const NAMES: &'static [&'static str] = &["web", "oltp", "dw", "desktop", "mixed"];

    pub fn parse(text: &str) -> Option<Workload> {
        match text.to_ascii_lowercase().as_str() {
            "web" => Some(Workload::Web),
            "oltp" => Some(Workload::Oltp),
            "dw" => Some(Workload::Dw),
            "desktop" => Some(Workload::Desktop),
            "mixed" => Some(Workload::Mixed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Workload::Web => "web",
            Workload::Oltp => "oltp",
            Workload::Dw => "dw",
            Workload::Desktop => "desktop",
            Workload::Mixed => "mixed",
        }
    }

    /// pgtune's connections when none are given.
    fn default_connections(self) -> u32 {
        match self {
            Workload::Web => 200,
            Workload::Oltp => 300,
            Workload::Dw => 40,
            Workload::Desktop => 20,
            Workload::Mixed => 100,
        }
    }

    /// min_wal_size and max_wal_size, in kB.
    fn wal_sizes(self) -> (u64, u64) {
        const MB: u64 = 1024;
        const GB: u64 = 1024 * MB;
        match self {
            Workload::Web | Workload::Mixed => (GB, 4 * GB),
            Workload::Oltp => (2 * GB, 8 * GB),
            Workload::Dw => (4 * GB, 16 * GB),
            Workload::Desktop => (100 * MB, 2 * GB),
        }
    }
}

impl TuneProfile {
    /// The profile in words, for plans: `16GB RAM, 4 CPUs, 200 connections,
    /// ssd storage, web workload`.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} RAM", format_kb(self.memory_kb))];
        if let Some(cpus) = self.cpus {
            parts.push(format!("{cpus} CPU{}", if cpus == 1 { "" } else { "s" }));
        }
        parts.push(format!("{} connections", self.connections()));
        parts.push(format!("{} storage", self.storage.as_str()));
        parts.push(format!("{} workload", self.workload.as_str()));
        parts.join(", ")
    }

    fn connections(&self) -> u32 {
        self.connections
            .unwrap_or_else(|| self.workload.default_connections())
    }
}

/// One recommended setting, its value written as in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuned {
    pub name: &'static str,
    pub value: String,
}

/// Values below 4MB make sorts spill to disk for no saving worth having.
const MIN_WORK_MEM_KB: u64 = 4 * 1024;
/// pgtune's cap on maintenance_work_mem.
const MAX_MAINTENANCE_WORK_MEM_KB: u64 = 8 * 1024 * 1024;
/// WAL buffers beyond one segment's worth bring nothing.
const MAX_WAL_BUFFERS_KB: u64 = 16 * 1024;
/// Above this, wal_buffers rounds up to the maximum.
const NEAR_MAX_WAL_BUFFERS_KB: u64 = 14 * 1024;
const MIN_WAL_BUFFERS_KB: u64 = 32;
/// shared_buffers from which huge pages are worth trying.
const HUGE_PAGES_FROM_KB: u64 = 2 * 1024 * 1024;

/// The settings pgtune recommends for `profile` on PostgreSQL
/// `version_num` (`None`: the newest), in pgtune's order.
pub fn recommend(profile: &TuneProfile, version_num: Option<u32>) -> Vec<Tuned> {
    let version = version_num.unwrap_or(u32::MAX);
    let memory = profile.memory_kb;
    let workload = profile.workload;
    let connections = profile.connections();
    let mut out = Vec::new();
    let mut push = |name: &'static str, value: String| out.push(Tuned { name, value });

    let shared_buffers = match workload {
        Workload::Desktop => memory / 16,
        _ => memory / 4,
    };
    let effective_cache_size = match workload {
        Workload::Desktop => memory / 4,
        _ => memory * 3 / 4,
    };
    let maintenance_work_mem = match workload {
        Workload::Dw => memory / 8,
        _ => memory / 16,
    }
    .min(MAX_MAINTENANCE_WORK_MEM_KB);

    push("max_connections", connections.to_string());
    push("shared_buffers", format_kb(shared_buffers));
    push("effective_cache_size", format_kb(effective_cache_size));
    push("maintenance_work_mem", format_kb(maintenance_work_mem));
    push("checkpoint_completion_target", "0.9".to_owned());
    push("wal_buffers", format_kb(wal_buffers(shared_buffers)));
    let statistics_target = if workload == Workload::Dw { 500 } else { 100 };
    push("default_statistics_target", statistics_target.to_string());
    let random_page_cost = match profile.storage {
        Storage::Hdd => "4",
        _ => "1.1",
    };
    push("random_page_cost", random_page_cost.to_owned());
    let io_concurrency = match profile.storage {
        Storage::Hdd => 2,
        Storage::Ssd => 200,
        Storage::San => 300,
        Storage::Nvme => 1000,
    };
    push("effective_io_concurrency", io_concurrency.to_string());

    let cpus = profile.cpus.filter(|&cpus| cpus >= 4);
    let workers_for_work_mem = u64::from(cpus.unwrap_or(8));
    let per_operation =
        (memory - shared_buffers) / ((u64::from(connections) + workers_for_work_mem) * 3);
    let work_mem = match workload {
        Workload::Web | Workload::Oltp => per_operation,
        Workload::Dw | Workload::Mixed => per_operation / 2,
        Workload::Desktop => per_operation / 6,
    }
    .max(MIN_WORK_MEM_KB);
    push("work_mem", format_kb(work_mem));
    let huge_pages = if shared_buffers >= HUGE_PAGES_FROM_KB {
        "try"
    } else {
        "off"
    };
    push("huge_pages", huge_pages.to_owned());
    let (min_wal, max_wal) = workload.wal_sizes();
    push("min_wal_size", format_kb(min_wal));
    push("max_wal_size", format_kb(max_wal));

    if let Some(cpus) = cpus {
        let half = cpus.div_ceil(2);
        let per_gather = if workload == Workload::Dw {
            half
        } else {
            half.min(4)
        };
        push("max_worker_processes", cpus.to_string());
        push("max_parallel_workers_per_gather", per_gather.to_string());
        push("max_parallel_workers", cpus.to_string());
        if version >= 110000 {
            push("max_parallel_maintenance_workers", half.min(4).to_string());
        }
    }
    if matches!(workload, Workload::Web | Workload::Oltp | Workload::Mixed) {
        push("jit", "off".to_owned());
    }
    if version >= 150000 {
        push("wal_compression", "lz4".to_owned());
    }
    out
}

/// 3% of shared_buffers, between 32kB and 16MB, rounded up to 16MB when
/// close to it.
fn wal_buffers(shared_buffers: u64) -> u64 {
    let value = (3 * shared_buffers / 100).min(MAX_WAL_BUFFERS_KB);
    if value > NEAR_MAX_WAL_BUFFERS_KB {
        MAX_WAL_BUFFERS_KB
    } else {
        value.max(MIN_WAL_BUFFERS_KB)
    }
}

#[cfg(test)]
mod tests;
