//! Digests of the live state, one per object or small group of objects.
//! Their combination is the plan's fingerprint; kept one by one in a saved
//! plan, they let apply say *what* changed on the server since the plan was
//! made, not only that something did.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{DatabaseCatalog, Parameter, Password, ServerSettings, ServerState};

/// `pg_settings.source` values that describe the connection, not the server.
const SESSION_SOURCES: &[&str] = &["client", "session"];

/// Subject (`role.app_user`, `grant.app_user.myapp`, `setting.work_mem`)
/// → SHA-256 of what the server showed of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LiveDigests(BTreeMap<String, String>);

/// How one subject differs between two inspections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    Appeared,
    Disappeared,
    Changed,
}

/// One subject that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDifference {
    pub subject: String,
    pub difference: Difference,
}

impl fmt::Display for StateDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.difference {
            Difference::Appeared => "appeared",
            Difference::Disappeared => "disappeared",
            Difference::Changed => "changed",
        };
        write!(f, "{} {how}", self.subject)
    }
}

impl LiveDigests {
    /// Digests every part of `state`. Each field is named below (the
    /// destructuring is exhaustive), so a field added to the model cannot
    /// silently escape the fingerprint.
    pub fn of(state: &ServerState) -> Self {
        let ServerState {
            roles,
            databases,
            database_privileges,
            catalogs,
            grants,
            settings,
            extensions,
            hba,
            tls,
            pgbouncers,
            pgbouncer_files,
            pgbouncer_lookups,
        } = state;
        let mut groups = Groups::default();
        for (name, role) in roles {
            // The stored verifier serializes redacted; its own digest makes
            // a password changed behind pgfort's back a change too.
            let password = match &role.password {
                Password::Stored(verifier) => Some(super::fingerprint(&verifier.expose())),
                _ => None,
            };
            groups.add(format!("role.{name}"), &(role, password));
        }
        for (name, database) in databases {
            groups.add(format!("database.{name}"), database);
        }
        for privilege in database_privileges {
            let key = format!("grant.{}.{}", privilege.grantee, privilege.object.database);
            groups.add(key, privilege);
        }
        for (database, catalog) in catalogs {
            catalog_groups(database, catalog, &mut groups);
        }
        if !grants.is_empty() {
            groups.add("grants (declared)".to_owned(), grants);
        }
        settings_groups(settings, &mut groups);
        groups.add("available extensions".to_owned(), extensions);
        if let Some(hba) = hba {
            groups.add("hba.pg_hba.conf".to_owned(), hba);
        }
        // Live state holds only what the server has installed.
        if let Some(installed) = &tls.installed {
            groups.add("server_certificate".to_owned(), installed);
        }
        for (name, pgbouncer) in pgbouncers {
            groups.add(format!("pgbouncer.{name}"), pgbouncer);
        }
        for (name, files) in pgbouncer_files {
            // The auth file serializes redacted: its own digest.
            let userlist = files
                .userlist
                .as_ref()
                .map(|text| super::fingerprint(&text.expose()));
            groups.add(
                format!("pgbouncer.{name}.files"),
                &(&files.ini, userlist, &files.tls),
            );
        }
        for (database, lookup) in pgbouncer_lookups {
            groups.add(format!("pgbouncer.auth_query.{database}"), lookup);
        }
        LiveDigests(
            groups
                .0
                .into_iter()
                .map(|(subject, hash)| (subject, hash.hex()))
                .collect(),
        )
    }

    /// The fingerprint of the whole state: one digest of all the others.
    /// Adds whether the server is a standby, so a saved plan made on a
    /// primary that has since become a standby (or the reverse) is stale.
    pub fn with_node_role(mut self, in_recovery: bool) -> Self {
        let role = if in_recovery { "standby" } else { "primary" };
        self.0.insert("node.role".to_owned(), role.to_owned());
        self
    }

    pub fn fingerprint(&self) -> String {
        super::fingerprint(&self.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What differs from `self` (then) in `now`, by subject.
    pub fn differences(&self, now: &LiveDigests) -> Vec<StateDifference> {
        let mut out = Vec::new();
        for (subject, digest) in &self.0 {
            let difference = match now.0.get(subject) {
                None => Difference::Disappeared,
                Some(other) if other != digest => Difference::Changed,
                Some(_) => continue,
            };
            out.push(StateDifference {
                subject: subject.clone(),
                difference,
            });
        }
        for subject in now.0.keys().filter(|s| !self.0.contains_key(*s)) {
            out.push(StateDifference {
                subject: subject.clone(),
                difference: Difference::Appeared,
            });
        }
        out.sort_by(|a, b| a.subject.cmp(&b.subject));
        out
    }
}

/// A SHA-256 per subject, fed as items are added: each item is written
/// as JSON straight into its subject's hash, never built as a value tree.
#[derive(Default)]
struct Groups(BTreeMap<String, Sha256Writer>);

impl Groups {
    fn add<T: Serialize + ?Sized>(&mut self, subject: String, item: &T) {
        let hash = self.0.entry(subject).or_default();
        // The model types serialize infallibly; the error text stands in
        // should one ever fail, which still follows the state's shape.
        if let Err(error) = serde_json::to_writer(&mut *hash, item) {
            hash.0.update(error.to_string().as_bytes());
        }
        // JSON never holds a raw newline: items cannot run into each other.
        hash.0.update(b"\n");
    }
}

/// An `io::Write` that hashes what is written to it.
struct Sha256Writer(ring::digest::Context);

impl Default for Sha256Writer {
    fn default() -> Self {
        Sha256Writer(ring::digest::Context::new(&ring::digest::SHA256))
    }
}

impl Sha256Writer {
    fn hex(self) -> String {
        super::hex(self.0.finish().as_ref())
    }
}

impl std::io::Write for Sha256Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn catalog_groups(database: &str, catalog: &DatabaseCatalog, groups: &mut Groups) {
    let DatabaseCatalog {
        schemas,
        objects,
        privileges,
        default_privileges,
        extensions,
        tables,
        policies,
    } = catalog;
    // A database that was inspected has a subject even when it holds
    // nothing pgfort reads, so it appearing or vanishing is seen.
    groups.add(format!("contents of database {database}"), &());
    for (name, schema) in schemas {
        groups.add(format!("schema.{database}.{name}"), schema);
    }
    for (object, owner) in objects {
        let schema = object.schema.as_deref().unwrap_or(&object.name);
        groups.add(format!("owners in {database}.{schema}"), &(object, owner));
    }
    for privilege in privileges {
        groups.add(format!("grant.{}.{database}", privilege.grantee), privilege);
    }
    for privilege in default_privileges {
        let key = format!("default privileges.{}.{database}", privilege.grantee);
        groups.add(key, privilege);
    }
    for (name, extension) in extensions {
        groups.add(format!("extension.{database}.{name}"), extension);
    }
    for (name, table) in tables {
        groups.add(format!("table.{database}.{name}"), table);
    }
    for policy in policies.values() {
        let key = format!("policy.{database}.{}.{}", policy.table, policy.name);
        groups.add(key, policy);
    }
}

fn settings_groups(settings: &ServerSettings, groups: &mut Groups) {
    let ServerSettings {
        values,
        tune,
        libraries,
        configured,
        parameters,
        file_errors,
        files_readable,
        unapplicable,
        session_reloaded: _,
        patroni,
    } = settings;
    if let Some(patroni) = patroni {
        // Which member leads, and what the dynamic configuration holds.
        let leader = patroni.leader().map(|m| &m.name);
        groups.add(
            "patroni".to_owned(),
            &(leader, &patroni.parameters, &patroni.pg_hba),
        );
    }
    for (name, value) in values {
        groups.add(format!("setting.{name}"), &("postgresql.auto.conf", value));
    }
    for (name, value) in configured {
        groups.add(format!("setting.{name}"), value);
    }
    for (name, parameter) in parameters {
        // A value the client chose for its session (PGAPPNAME, PGOPTIONS,
        // the driver's DateStyle) is not server state: applying a plan
        // from another shell must not call it a change.
        if SESSION_SOURCES.contains(&parameter.source.as_str()) {
            let server_side = Parameter {
                setting: String::new(),
                source: String::new(),
                ..parameter.clone()
            };
            groups.add(format!("setting.{name}"), &server_side);
        } else {
            groups.add(format!("setting.{name}"), parameter);
        }
    }
    groups.add(
        "configuration files".to_owned(),
        &(file_errors, files_readable, unapplicable),
    );
    if tune.is_some() || !libraries.is_empty() {
        groups.add("settings (declared)".to_owned(), &(tune, libraries));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, Secret};

    fn state() -> ServerState {
        let mut state = ServerState::default();
        let mut role = Role::new("app");
        role.password = Password::Stored(Secret::new("SCRAM-SHA-256$4096:abc$def:ghi"));
        state.roles.insert("app".into(), role);
        state.roles.insert("other".into(), Role::new("other"));
        state
            .settings
            .values
            .insert("work_mem".into(), "64MB".into());
        state
    }

    #[test]
    fn name_what_changed_appeared_and_disappeared() {
        let then = LiveDigests::of(&state());
        assert_eq!(then, LiveDigests::of(&state()), "stable");
        let mut now = state();
        now.roles
            .get_mut("app")
            .unwrap()
            .attributes
            .connection_limit = 3;
        now.roles.remove("other");
        now.roles.insert("new".into(), Role::new("new"));
        now.settings.values.insert("work_mem".into(), "1GB".into());
        let now = LiveDigests::of(&now);
        assert_ne!(then.fingerprint(), now.fingerprint());
        let found: Vec<String> = then
            .differences(&now)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "role.app changed",
                "role.new appeared",
                "role.other disappeared",
                "setting.work_mem changed"
            ]
        );
    }

    #[test]
    fn values_the_client_chose_are_not_server_state() {
        let with = |source: &str, setting: &str| {
            let mut state = state();
            let parameter = Parameter {
                name: "application_name".to_owned(),
                vartype: crate::model::VarType::String,
                unit: None,
                min: None,
                max: None,
                enumvals: Vec::new(),
                context: crate::model::Context::User,
                setting: setting.to_owned(),
                boot_val: None,
                source: source.to_owned(),
                pending_restart: false,
            };
            state
                .settings
                .parameters
                .insert(parameter.name.clone(), parameter);
            LiveDigests::of(&state)
        };
        assert_eq!(with("client", "psql"), with("client", "pgfort"));
        assert_ne!(
            with("configuration file", "a"),
            with("configuration file", "b")
        );
    }

    #[test]
    fn a_password_changed_behind_our_back_is_a_change() {
        let then = LiveDigests::of(&state());
        let mut now = state();
        now.roles.get_mut("app").unwrap().password =
            Password::Stored(Secret::new("SCRAM-SHA-256$4096:xyz$def:ghi"));
        let now = LiveDigests::of(&now);
        let found = then.differences(&now);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].to_string(), "role.app changed");
        let json = serde_json::to_string(&now).unwrap();
        assert!(!json.contains("xyz"), "digests only: {json}");
    }
}
