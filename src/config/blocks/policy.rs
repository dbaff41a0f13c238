//! `policy "name" { database, table, command, as, to, using, with_check,
//! comment }`: a row-level security policy on a declared table. Policies on
//! a declared table are authoritative: undeclared ones are dropped.

use std::collections::BTreeSet;

use super::common::{check_unique, declared_name, name, name_list};
use super::expression;
use super::table::PolicyTable;
use super::{Decoded, RefContext, RoleRef, check_name};
use crate::config::error::{ConfigError, Result};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::Node;
use crate::model::{Expression, PUBLIC, Policy, PolicyCommand, TableName};

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (policy_name, location) = declared_name(reader, "policy")?;
    let database_node = reader.node("database")?;
    let table_node = reader.node("table")?;
    let command_node = reader.node("command")?;
    let as_node = reader.node("as")?;
    let to_node = reader.node("to")?;
    let using_node = reader.node("using")?;
    let with_check_node = reader.node("with_check")?;
    let comment = reader.string("comment")?;
    let Some(database_node) = database_node else {
        return Err(reader.missing("database", "\"DATABASE\""));
    };
    let Some(table_node) = table_node else {
        return Err(reader.missing("table", "\"SCHEMA.TABLE\""));
    };
    let database = name(&database_node, "database", "database")?;
    let table = table_name(&table_node)?;
    let command = match command_node {
        Some(node) => command(&node)?,
        None => PolicyCommand::All,
    };
    let permissive = match as_node {
        Some(node) => permissive(&node)?,
        None => true,
    };
    let roles = match to_node {
        Some(node) => roles(&node, out)?,
        None => BTreeSet::from([PUBLIC.to_owned()]),
    };
    let using = using_node
        .map(|node| expression(&node, "using", command.allows_using(), command))
        .transpose()?;
    let with_check = with_check_node
        .map(|node| expression(&node, "with_check", command.allows_with_check(), command))
        .transpose()?;

    let address = format!("policy.{database}.{table}.{policy_name}");
    super::lifecycle::read(reader, out, || address.clone())?;
    let key = (table.clone(), policy_name.clone());
    let catalog = out
        .config
        .desired
        .catalogs
        .entry(database.clone())
        .or_default();
    if let Some(first) = catalog.policies.get(&key).and_then(|p| p.origin.clone()) {
        return Err(ConfigError::at(
            location,
            format!(
                "policy \"{policy_name}\" on table \"{table}\" of database \"{database}\" is already declared at {first}"
            ),
        ));
    }
    catalog.policies.insert(
        key,
        Policy {
            database: database.clone(),
            table: table.clone(),
            name: policy_name.clone(),
            command,
            permissive,
            roles,
            using,
            with_check,
            comment,
            origin: Some(location.to_string()),
        },
    );
    out.tables.policy_tables.push(PolicyTable {
        policy: policy_name,
        database,
        table,
        location: table_node.location,
    });
    Ok(())
}

/// `"schema.table"`, or `"table"` in schema public.
fn table_name(node: &Node) -> Result<TableName> {
    let text = node.to_text("table")?;
    let (schema, table) = match text.split_once('.') {
        Some((schema, table)) => (schema.to_owned(), table.to_owned()),
        None => ("public".to_owned(), text.clone()),
    };
    let refuse = |message: String| {
        ConfigError::at(node.location.clone(), message)
            .with_hint("write table = \"SCHEMA.TABLE\", e.g. \"public.documents\"")
    };
    if schema.is_empty() || table.is_empty() || table.contains('.') {
        return Err(refuse(format!("table \"{text}\" is not SCHEMA.TABLE")));
    }
    check_name("schema", &schema, &node.location)?;
    check_name("table", &table, &node.location)?;
    Ok(TableName {
        schema,
        name: table,
    })
}

fn command(node: &Node) -> Result<PolicyCommand> {
    let text = node.to_text("command")?;
    PolicyCommand::parse(&text).ok_or_else(|| {
        ConfigError::at(
            node.location.clone(),
            format!(
                "unknown command \"{text}\", expected one of: {}",
                PolicyCommand::NAMES.join(", ")
            ),
        )
        .with_optional_hint(did_you_mean(
            &text.to_ascii_uppercase(),
            PolicyCommand::NAMES.iter().copied(),
        ))
    })
}

/// `"permissive"` (true) or `"restrictive"` (false), any case.
fn permissive(node: &Node) -> Result<bool> {
    let text = node.to_text("as")?;
    match text.to_ascii_lowercase().as_str() {
        "permissive" => Ok(true),
        "restrictive" => Ok(false),
        _ => Err(ConfigError::at(
            node.location.clone(),
            format!("as must be \"permissive\" or \"restrictive\", got \"{text}\""),
        )
        .with_hint(
            "permissive policies are OR-ed together; restrictive ones must all pass as well",
        )),
    }
}

/// `to = ["role", "PUBLIC"]`: declared roles, and PUBLIC in any case.
fn roles(node: &Node, out: &mut Decoded) -> Result<BTreeSet<String>> {
    let mut names = name_list(node, "to", "role")?;
    for (name, _) in &mut names {
        if name.eq_ignore_ascii_case(PUBLIC) {
            *name = PUBLIC.to_owned();
        }
    }
    check_unique(&names, "to")?;
    if names.len() > 1
        && let Some((_, location)) = names.iter().find(|(name, _)| name == PUBLIC)
    {
        // PostgreSQL would keep PUBLIC alone, with a warning.
        return Err(
            ConfigError::at(location.clone(), "PUBLIC already includes every role")
                .with_hint("write to = [\"PUBLIC\"] alone, or list the roles without PUBLIC"),
        );
    }
    for (name, location) in &names {
        if name != PUBLIC {
            out.role_refs.push(RoleRef {
                name: name.clone(),
                location: location.clone(),
                context: RefContext::Grantee,
            });
        }
    }
    Ok(names.into_iter().map(|(name, _)| name).collect())
}

/// A SQL expression, allowed for `command`, that stays inside its
/// parentheses.
fn expression(
    node: &Node,
    what: &str,
    allowed: bool,
    command: PolicyCommand,
) -> Result<Expression> {
    let text = node.to_text(what)?;
    if !allowed {
        let hint = match what {
            "using" => "INSERT policies check new rows only: write with_check",
            _ => "SELECT and DELETE policies filter existing rows only: write using",
        };
        return Err(ConfigError::at(
            node.location.clone(),
            format!(
                "{what} is not allowed on {} policies",
                command.sql_keyword()
            ),
        )
        .with_hint(hint));
    }
    if let Err(err) = expression::check(&text) {
        let position = text[..err.offset].chars().count() + 1;
        return Err(ConfigError::at(
            node.location.clone(),
            format!("{what}: {} (at character {position})", err.message),
        )
        .with_hint("write one SQL boolean expression, e.g. owner_id = current_setting('app.user_id')::integer"));
    }
    Ok(Expression::written(text))
}
