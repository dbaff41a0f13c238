//! Roles as `role` blocks: attributes that differ from PostgreSQL's
//! defaults, memberships, settings and comments. Passwords are never
//! read into the files: a role with one gets `keep_password = true`, so
//! plans leave its password alone.

use std::collections::BTreeMap;

use super::Section;
use super::context::Context;
use super::hcl::{Block, Body, Value};
use crate::model::{Membership, Password, Role, RoleAttributes};

/// `roles.hcl`.
pub(super) fn section(context: &Context<'_>) -> Section {
    let mut body = Body::new();
    for name in &context.roles {
        if let Some(role) = context.state.roles.get(name) {
            body.block(block(role, context));
        }
    }
    let notes = if context
        .state
        .roles
        .values()
        .any(|r| r.password == Password::Unreadable)
    {
        vec!["pg_authid is not readable, so every login role keeps whatever password it has (keep_password = true)".to_owned()]
    } else {
        Vec::new()
    };
    Section { body, notes }
}

fn block(role: &Role, context: &Context<'_>) -> Block {
    let mut block = Block::labelled("role", role.name.clone());
    let body = &mut block.body;
    if role.name == context.facts.bootstrap_superuser {
        body.comment("The bootstrap superuser: other exported objects refer to it.");
    }
    attributes(body, &role.attributes);
    match &role.password {
        Password::Stored(_) | Password::Unmanaged => {
            body.comment("The password is not exported: the role keeps the one it has.");
            body.attr("keep_password", true);
        }
        Password::Unreadable if role.attributes.login => {
            body.comment("Whether the role has a password could not be read: it keeps any it has.");
            body.attr("keep_password", true);
        }
        Password::None | Password::Unreadable | Password::Clear(_) => {}
    }
    let member_of = member_of(role, context);
    if !member_of.is_empty() {
        body.attr("member_of", Value::List(member_of));
    }
    if !role.settings.is_empty() {
        body.attr("settings", settings_map(&role.settings));
    }
    if !role.database_settings.is_empty() {
        let entries = role
            .database_settings
            .iter()
            .map(|(db, settings)| (db.clone(), settings_map(settings)))
            .collect();
        body.attr("database_settings", Value::Map(entries));
    }
    body.attr_opt("comment", role.comment.as_deref());
    block
}

/// Only what differs from `CREATE ROLE name`.
fn attributes(body: &mut Body, attributes: &RoleAttributes) {
    let defaults = RoleAttributes::default();
    let flags = [
        ("login", attributes.login, defaults.login),
        ("superuser", attributes.superuser, defaults.superuser),
        ("createdb", attributes.createdb, defaults.createdb),
        ("createrole", attributes.createrole, defaults.createrole),
        ("inherit", attributes.inherit, defaults.inherit),
        ("replication", attributes.replication, defaults.replication),
        ("bypassrls", attributes.bypassrls, defaults.bypassrls),
    ];
    for (name, value, default) in flags {
        if value != default {
            body.attr(name, value);
        }
    }
    if attributes.connection_limit != defaults.connection_limit {
        body.attr("connection_limit", attributes.connection_limit);
    }
    body.attr_opt("valid_until", attributes.valid_until.as_deref());
}

/// Groups as names, or `{ role, admin, inherit, set }` when an option is
/// not the default. The ADMIN-only grant PostgreSQL 16+ gives a role's
/// creator is left out: plans leave it alone when it is not declared.
fn member_of(role: &Role, context: &Context<'_>) -> Vec<Value> {
    role.member_of
        .iter()
        .filter(|(group, _)| !role.implicit_admin_of.contains(*group))
        .filter(|(group, _)| context.nameable(group))
        .map(|(group, membership)| membership_value(group, membership, role))
        .collect()
}

fn membership_value(group: &str, membership: &Membership, role: &Role) -> Value {
    let mut options = Vec::new();
    if membership.admin {
        options.push(("admin".to_owned(), Value::Bool(true)));
    }
    if let Some(inherit) = membership.inherit
        && inherit != role.attributes.inherit
    {
        options.push(("inherit".to_owned(), Value::Bool(inherit)));
    }
    if membership.set == Some(false) {
        options.push(("set".to_owned(), Value::Bool(false)));
    }
    if options.is_empty() {
        return Value::from(group);
    }
    options.insert(0, ("role".to_owned(), Value::from(group)));
    Value::Map(options)
}

/// Settings as stored (`ALTER ROLE … SET`): text, which reads back
/// unchanged.
pub(super) fn settings_map(settings: &BTreeMap<String, String>) -> Value {
    Value::Map(
        settings
            .iter()
            .map(|(name, value)| (name.clone(), Value::from(value)))
            .collect(),
    )
}
