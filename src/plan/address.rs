//! How changes address the objects they need. The diff names its own
//! changes; these build the same addresses for the objects a change
//! depends on, so that both sides of a dependency agree.

use std::collections::BTreeSet;

use crate::model::ServerState;

/// `role.NAME`. Built by hand: a configuration with thousands of roles
/// builds one per role, and `format!` costs several times more.
pub fn role(name: &str) -> String {
    let mut address = String::with_capacity("role.".len() + name.len());
    address.push_str("role.");
    address.push_str(name);
    address
}

/// `database.NAME`.
pub fn database(name: &str) -> String {
    format!("database.{name}")
}

/// `schema.DATABASE.NAME`.
pub fn schema(database: &str, name: &str) -> String {
    format!("schema.{database}.{name}")
}

/// `certificate_authority.NAME`.
pub fn authority(name: &str) -> String {
    format!("certificate_authority.{name}")
}

/// State each server keeps for itself, which a standby may change: its
/// settings (ALTER SYSTEM writes a file), pg_hba.conf and its certificates.
/// Everything else lives in the catalog, which a standby replicates.
pub fn is_node_local(address: &str) -> bool {
    const LOCAL: [&str; 6] = [
        "setting.",
        "hba.",
        "certificate_authority.",
        "server_certificate",
        "client_certificate.",
        "pgbouncer.",
    ];
    // PgBouncer's files are the host's; its auth_query function is catalog.
    if address.starts_with("pgbouncer.") && address.contains(".auth_query.") {
        return false;
    }
    LOCAL.iter().any(|prefix| address.starts_with(prefix))
}

/// The addresses the configuration declares objects at, for telling a
/// target that names nothing from one that has no change. Grants are
/// known down to the database (`grant.ROLE.DB`), and a `tune` block may
/// compute any setting (`setting.*`).
pub fn declared(desired: &ServerState) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    out.extend(desired.roles.keys().map(|name| role(name)));
    out.extend(desired.databases.keys().map(|name| database(name)));
    for (db, catalog) in &desired.catalogs {
        out.extend(catalog.schemas.keys().map(|name| schema(db, name)));
        out.extend(
            catalog
                .extensions
                .keys()
                .map(|name| format!("extension.{db}.{name}")),
        );
        out.extend(
            catalog
                .tables
                .keys()
                .map(|name| format!("table.{db}.{name}")),
        );
        out.extend(
            catalog
                .policies
                .keys()
                .map(|(table, name)| format!("policy.{db}.{table}.{name}")),
        );
    }
    for grant in &desired.grants {
        for grantee in &grant.to {
            out.insert(format!("grant.{grantee}.{}", grant.on.database()));
        }
    }
    let settings = &desired.settings;
    out.extend(settings.values.keys().map(|name| format!("setting.{name}")));
    if !settings.libraries.is_empty() {
        out.insert("setting.shared_preload_libraries".to_owned());
    }
    if settings.tune.is_some() {
        out.insert("setting.*".to_owned());
    }
    if desired.hba.is_some() {
        out.insert(crate::diff::HBA_ADDRESS.to_owned());
    }
    let tls = &desired.tls;
    out.extend(tls.authorities.keys().map(|name| authority(name)));
    out.extend(
        tls.clients
            .keys()
            .map(|role| format!("client_certificate.{role}")),
    );
    if tls.server.is_some() {
        out.insert("server_certificate".to_owned());
    }
    out.extend(
        desired
            .pgbouncers
            .keys()
            .map(|name| crate::diff::pgbouncer_address(name)),
    );
    out
}
