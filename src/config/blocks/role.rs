//! `role "name" { }`: one role, its attributes, password, memberships,
//! settings and comment. Undeclared attributes keep PostgreSQL's defaults.

use std::collections::BTreeMap;

use super::common::declared_name;
use super::{Decoded, RefContext, RoleRef};
use crate::config::error::{ConfigError, Result};
use crate::config::normalize::{settings, timestamp};
use crate::config::reader::{BlockReader, MapReader};
use crate::config::value::{Node, NodeKind};
use crate::model::{Membership, Password, Role};
use crate::plan::address;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (name, location) = declared_name(reader, "role")?;
    if let Some(first) = out.declared_role_location(&name) {
        return Err(ConfigError::at(
            location,
            format!("role \"{name}\" is already declared at {first}"),
        ));
    }
    let mut role = Role::new(name.clone());
    let attributes = &mut role.attributes;
    let flags: [(&'static str, &mut bool); 7] = [
        ("login", &mut attributes.login),
        ("superuser", &mut attributes.superuser),
        ("createdb", &mut attributes.createdb),
        ("createrole", &mut attributes.createrole),
        ("inherit", &mut attributes.inherit),
        ("replication", &mut attributes.replication),
        ("bypassrls", &mut attributes.bypassrls),
    ];
    for (flag, field) in flags {
        if let Some(value) = reader.bool(flag)? {
            *field = value;
        }
    }
    if let Some(limit) = reader.integer("connection_limit", -1, i64::from(i32::MAX))? {
        attributes.connection_limit = i32::try_from(limit).unwrap_or(i32::MAX);
    }
    if let Some(node) = reader.node("valid_until")? {
        let text = node.to_text("valid_until")?;
        let normalized = timestamp::normalize(&text).map_err(|reason| {
            ConfigError::at(
                node.location.clone(),
                format!("invalid valid_until \"{text}\": {reason}"),
            )
            .with_hint(format!("write {}", timestamp::FORMS))
        })?;
        attributes.valid_until = Some(normalized);
    }
    if let Some(secret) = reader.secret("password")? {
        role.password = Password::Clear(secret);
        if let Some(location) = reader.literal("password") {
            out.config.warnings.push(
                ConfigError::at(
                    location,
                    format!("the password of role \"{name}\" is written in the file in clear text"),
                )
                .with_hint(format!(
                    "declare a sensitive variable and set it outside the file (-var, a .pgfortvars file kept out of version control, PGFORT_VAR_…): variable \"{name}_password\" {{ sensitive = true }} and password = var.{name}_password"
                )),
            );
        }
    }
    if role.password == Password::None && reader.is_unknown("password") {
        out.unknown_passwords.insert(name.clone());
    }
    if let Some(node) = reader.node("keep_password")?
        && node.to_bool("keep_password")?
    {
        if role.password != Password::None {
            return Err(ConfigError::at(
                node.location,
                "keep_password = true leaves the role's password alone, so password cannot be set too",
            )
            .with_hint("remove password, or keep_password to manage the password"));
        }
        role.password = Password::Unmanaged;
    }
    if let Some(node) = reader.node("member_of")? {
        role.member_of = member_of(&node, &name, out)?;
    }
    if let Some(node) = reader.node("settings")? {
        role.settings = settings::normalize_map(node.to_map("settings")?, "settings")?;
        let prefix = format!("role.{name}.settings.");
        super::settings::record_locations(out, &prefix, node.to_map("settings")?);
    }
    if let Some(node) = reader.node("database_settings")? {
        for entry in node.to_map("database_settings")? {
            if entry.key.is_empty() {
                return Err(ConfigError::at(
                    entry.key_location.clone(),
                    "empty database name",
                ));
            }
            let what = format!("database_settings.{}", entry.key);
            let values = settings::normalize_map(entry.value.to_map(&what)?, &what)?;
            let prefix = format!("role.{name}.{what}.");
            super::settings::record_locations(out, &prefix, entry.value.to_map(&what)?);
            role.database_settings.insert(entry.key.clone(), values);
        }
    }
    role.comment = reader.string("comment")?;
    super::lifecycle::read(reader, out, || address::role(&name))?;
    out.declare_role(role, location);
    Ok(())
}

/// `member_of = ["role", { role = "x", admin = true, inherit = false, set = true }]`.
fn member_of(node: &Node, member: &str, out: &mut Decoded) -> Result<BTreeMap<String, Membership>> {
    node.require_plain("member_of")?;
    let NodeKind::List(items) = &node.kind else {
        return Err(node.type_error("member_of", "a list of role names"));
    };
    let mut memberships = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let what = format!("member_of[{i}]");
        let (role, location, membership) = match &item.kind {
            NodeKind::Map(entries) => {
                let mut map = MapReader::new(entries, what.clone());
                let role_node = map.take("role").ok_or_else(|| {
                    ConfigError::at(item.location.clone(), format!("{what} needs a role key"))
                        .with_hint("write { role = \"name\", admin = true }")
                })?;
                let role = role_node.to_text(&map.path("role"))?;
                let flag = |map: &mut MapReader<'_>, key: &'static str| {
                    let path = map.path(key);
                    map.take(key).map(|value| value.to_bool(&path)).transpose()
                };
                let membership = Membership {
                    admin: flag(&mut map, "admin")?.unwrap_or(false),
                    inherit: flag(&mut map, "inherit")?,
                    set: flag(&mut map, "set")?,
                };
                map.finish()?;
                (role, role_node.location.clone(), membership)
            }
            NodeKind::String(_) => (
                item.to_text(&what)?,
                item.location.clone(),
                Membership::default(),
            ),
            _ => {
                return Err(
                    item.type_error(&what, "a role name or { role = \"name\", admin = true }")
                );
            }
        };
        if memberships.contains_key(&role) {
            return Err(ConfigError::at(
                location,
                format!("role \"{role}\" appears twice in member_of"),
            ));
        }
        out.role_refs.push(RoleRef {
            name: role.clone(),
            location,
            context: RefContext::MemberOf {
                member: member.to_string(),
            },
        });
        memberships.insert(role, membership);
    }
    Ok(memberships)
}
