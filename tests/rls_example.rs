//! examples/rls-documents runs as its README says: `psql -f setup.sql`,
//! then `pgfort apply`, and the policy does what it promises.

mod common;

use std::path::Path;
use std::process::Command;

use common::TestCluster;

#[test]
fn rls_documents_example_applies_converges_and_filters_rows() {
    let cluster = TestCluster::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/rls-documents");
    let psql = Command::new("psql")
        .envs(cluster.env_vars())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(example.join("setup.sql"))
        .output()
        .unwrap_or_else(|e| panic!("could not run psql: {e}"));
    assert!(psql.status.success(), "setup.sql failed: {psql:?}");

    let run = |args: &[&str]| {
        let output = cluster
            .command()
            .env("PGFORT_VAR_app_password", "example-pw")
            .args(args)
            .arg(&example)
            .output()
            .unwrap_or_else(|e| panic!("could not run pgfort: {e}"));
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&["apply", "--auto-approve", "--no-color"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("# policy.myapp.public.documents.own_documents will be created"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(&["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");

    let rows = cluster.psql_as(
        "myapp",
        "app_user",
        "example-pw",
        "SET app.user_id = '123'; SELECT count(*)::text FROM documents",
    );
    assert_eq!(rows[0][0].as_deref(), Some("2"));
}
