//! Names that are SQL keywords, against a real cluster: every keyword the
//! server does not accept bare is quoted by `quote::ident`, and databases,
//! schemas and roles with such names are created and converge. CI runs
//! this on every supported major, so each one's keyword list is checked.

mod common;

use common::{TestCluster, workdir, write_files};
use pgfort::sql::quote::ident;

#[test]
fn every_keyword_of_this_server_is_quoted() {
    let cluster = TestCluster::start();
    let rows =
        cluster.psql("SELECT word FROM pg_get_keywords() WHERE catcode <> 'U' ORDER BY word");
    assert!(rows.len() > 100, "{} keywords", rows.len());
    let words: Vec<String> = rows
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect();
    for word in &words {
        assert_eq!(ident(word), format!("\"{word}\""), "{word} left bare");
    }
    // And the quoted forms are names the server accepts.
    let columns: Vec<String> = words.iter().map(|w| format!("1 AS {}", ident(w))).collect();
    cluster.exec(&format!("SELECT {}", columns.join(", ")));
}

const CONFIG: &str = r#"
role "verbose" {}
role "join" {
  login     = true
  member_of = ["verbose"]
}

database "join" {
  owner = "verbose"
}

schema "left" {
  database = "join"
  owner    = "join"
}

grant {
  to         = ["join"]
  privileges = ["CONNECT"]
  on         = { database = "join" }
}
"#;

#[test]
fn keyword_names_apply_and_converge() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);

    let applied = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "--no-color", "."]);
    assert!(applied.success(), "{applied:?}");
    assert_eq!(
        cluster
            .query_value("SELECT count(*) FROM pg_roles WHERE rolname IN ('join', 'verbose')")
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        cluster
            .query_value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'join'")
            .as_deref(),
        Some("verbose")
    );

    let plan = cluster.pgfort_in(
        dir.path(),
        &["plan", "--detailed-exitcode", "--no-color", "."],
    );
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}
