use super::*;

fn profile(memory_gb: u64, cpus: Option<u32>, storage: Storage, workload: Workload) -> TuneProfile {
    TuneProfile {
        memory_kb: memory_gb * 1024 * 1024,
        cpus,
        connections: None,
        storage,
        workload,
    }
}

fn value<'a>(tuned: &'a [Tuned], name: &str) -> Option<&'a str> {
    tuned
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.value.as_str())
}

#[test]
fn web_server_with_16gb() {
    let web = TuneProfile {
        connections: Some(200),
        ..profile(16, Some(4), Storage::Ssd, Workload::Web)
    };
    let tuned = recommend(&web, Some(150000));
    let expected = [
        ("max_connections", "200"),
        ("shared_buffers", "4GB"),
        ("effective_cache_size", "12GB"),
        ("maintenance_work_mem", "1GB"),
        ("checkpoint_completion_target", "0.9"),
        ("wal_buffers", "16MB"),
        ("default_statistics_target", "100"),
        ("random_page_cost", "1.1"),
        ("effective_io_concurrency", "200"),
        // (16GB - 4GB) / ((200 + 4) * 3)
        ("work_mem", "20560kB"),
        ("huge_pages", "try"),
        ("min_wal_size", "1GB"),
        ("max_wal_size", "4GB"),
        ("max_worker_processes", "4"),
        ("max_parallel_workers_per_gather", "2"),
        ("max_parallel_workers", "4"),
        ("max_parallel_maintenance_workers", "2"),
        ("jit", "off"),
        ("wal_compression", "lz4"),
    ];
    let actual: Vec<(&str, &str)> = tuned.iter().map(|t| (t.name, t.value.as_str())).collect();
    assert_eq!(actual, expected);
    assert_eq!(
        web.describe(),
        "16GB RAM, 4 CPUs, 200 connections, ssd storage, web workload"
    );
}

#[test]
fn workloads_and_storage_change_the_formulas() {
    let dw = recommend(&profile(64, Some(16), Storage::Hdd, Workload::Dw), None);
    assert_eq!(value(&dw, "max_connections"), Some("40"));
    assert_eq!(value(&dw, "maintenance_work_mem"), Some("8GB"));
    assert_eq!(value(&dw, "default_statistics_target"), Some("500"));
    assert_eq!(value(&dw, "random_page_cost"), Some("4"));
    assert_eq!(value(&dw, "effective_io_concurrency"), Some("2"));
    assert_eq!(value(&dw, "max_parallel_workers_per_gather"), Some("8"));
    assert_eq!(value(&dw, "max_parallel_maintenance_workers"), Some("4"));
    assert_eq!(value(&dw, "min_wal_size"), Some("4GB"));
    assert_eq!(value(&dw, "jit"), None);
    // (64GB - 16GB) / ((40 + 16) * 3) / 2
    assert_eq!(value(&dw, "work_mem"), Some("149796kB"));

    let desktop = recommend(&profile(8, None, Storage::Nvme, Workload::Desktop), None);
    assert_eq!(value(&desktop, "shared_buffers"), Some("512MB"));
    assert_eq!(value(&desktop, "effective_cache_size"), Some("2GB"));
    assert_eq!(value(&desktop, "effective_io_concurrency"), Some("1000"));
    assert_eq!(value(&desktop, "huge_pages"), Some("off"));
    assert_eq!(value(&desktop, "max_worker_processes"), None);
    assert_eq!(value(&desktop, "min_wal_size"), Some("100MB"));
    // (8GB - 512MB) / ((20 + 8) * 3) / 6
    assert_eq!(value(&desktop, "work_mem"), Some("15603kB"));
}

#[test]
fn small_machines_get_floors_and_old_servers_fewer_settings() {
    let small = TuneProfile {
        memory_kb: 512 * 1024,
        connections: Some(500),
        ..profile(0, Some(2), Storage::San, Workload::Oltp)
    };
    let tuned = recommend(&small, Some(130000));
    assert_eq!(value(&tuned, "work_mem"), Some("4MB"));
    assert_eq!(value(&tuned, "wal_buffers"), Some("3932kB"));
    assert_eq!(value(&tuned, "effective_io_concurrency"), Some("300"));
    assert_eq!(value(&tuned, "wal_compression"), None);
    let tiny = TuneProfile {
        memory_kb: 1024,
        ..small
    };
    assert_eq!(value(&recommend(&tiny, None), "wal_buffers"), Some("32kB"));
}
