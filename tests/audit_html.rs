//! `pgfort audit --format html` opened in a real browser: headless
//! Chromium loads the file and the page it builds shows the score and the
//! failing controls. Without Chromium the test says so and passes (CI
//! installs it; see `.ci/run`).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{TestCluster, workdir};
use serde_json::Value;

/// How long Chromium may take to load and dump one page.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// The first Chromium found on PATH or where Debian and Google install it.
fn chromium() -> Option<PathBuf> {
    const NAMES: [&str; 4] = [
        "chromium",
        "chromium-headless-shell",
        "chromium-browser",
        "google-chrome",
    ];
    const DIRS: [&str; 4] = [
        "/usr/lib/chromium",
        "/usr/lib/chromium-headless-shell",
        "/usr/lib/chromium-browser",
        "/opt/google/chrome",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(DIRS.iter().map(PathBuf::from))
        .flat_map(|dir| NAMES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs Chromium headless with `args`, its stdout into the file `stdout`;
/// killed after [`CHROMIUM_TIMEOUT`].
fn run_chromium(browser: &Path, profile: &Path, args: &[String], stdout: &Path) -> ExitStatus {
    let out = File::create(stdout).unwrap_or_else(|e| panic!("{}: {e}", stdout.display()));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            // Tests often run as root, where the sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", browser.display()));
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("Chromium did not finish within {CHROMIUM_TIMEOUT:?}");
            }
            Err(e) => panic!("waiting for Chromium: {e}"),
        }
    }
}

#[test]
fn html_report_opens_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: Chromium is not installed (apt-get install chromium-headless-shell)");
        return;
    };
    let cluster = TestCluster::start();
    let work = workdir();
    let page = work.path().join("report.html");
    let file = File::create(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    let out = cluster
        .command()
        .args(["audit", "--format", "html"])
        .stdout(file)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("could not run pgfort: {e}"));
    // A fresh cluster fails high controls (log_connections): exit 3.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = cluster.pgfort(&["audit", "--format", "json"]);
    let report: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", json.stdout, json.stderr));
    let score = report["summary"]["score"]
        .as_u64()
        .unwrap_or_else(|| panic!("no score"));

    let url = format!("file://{}", page.display());
    let profile = work.path().join("chromium-profile");
    let dom_file = work.path().join("dom.html");
    let status = run_chromium(
        &browser,
        &profile,
        &["--dump-dom".to_owned(), url.clone()],
        &dom_file,
    );
    assert!(status.success(), "Chromium exited with {status}");
    let dom = std::fs::read_to_string(&dom_file).unwrap_or_else(|e| panic!("{e}"));
    assert!(dom.contains(&format!("Score: {score}%")), "{dom}");
    assert!(dom.contains("id=\"control-3.1.20\""), "{dom}");
    assert!(dom.contains("<svg"), "{dom}");

    let screenshot = work.path().join("report.png");
    let status = run_chromium(
        &browser,
        &profile,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1200,2000".to_owned(),
            url,
        ],
        &work.path().join("screenshot.log"),
    );
    assert!(status.success(), "Chromium exited with {status}");
    let size = std::fs::metadata(&screenshot).map_or(0, |m| m.len());
    assert!(size > 0, "no screenshot at {}", screenshot.display());
}
