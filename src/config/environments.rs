//! `environment "NAME" {}` blocks: the servers one configuration is
//! applied to, and the variable values each environment and server gives.
//!
//! Environments set variables, so they are read before variables are
//! resolved: their expressions may use literals and functions (`env()`,
//! `file()`, `for` over `range()`), not `var.`, `local.` or `module.`.

use std::collections::BTreeMap;
use std::path::Path;

use hcl::Value;
use hcl_edit::structure::Block;

use super::ConnectionBlock;
use super::blocks::check_sslmode;
use super::error::{ConfigError, Location, Result};
use super::eval::Evaluator;
use super::reader::{BlockReader, MapReader};
use super::source::SourceFile;
use super::suggest::did_you_mean;
use super::value::{Node, NodeKind};

/// One `environment` block.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub location: Location,
    /// Values for the root configuration's variables, for every server.
    pub variables: BTreeMap<String, EnvironmentValue>,
    /// In written order.
    pub servers: Vec<FleetServer>,
}

/// One entry of an environment's `servers`.
#[derive(Debug, Clone)]
pub struct FleetServer {
    /// Unique within the environment; names the server in reports.
    pub name: String,
    pub location: Location,
    /// Where to connect; what it leaves out comes from the root
    /// `connection` block.
    pub connection: ConnectionBlock,
    /// Values for variables on this server only (above the environment's).
    pub variables: BTreeMap<String, EnvironmentValue>,
}

/// A variable value an environment or server gives, with where.
#[derive(Debug, Clone)]
pub struct EnvironmentValue {
    pub value: Value,
    /// Where the variable's name was written.
    pub location: Location,
    /// Where its value was written (type errors point there).
    pub value_location: Location,
}

/// Which server of which environment a configuration is loaded for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSelection {
    pub environment: String,
    pub server: String,
}

impl Environment {
    /// The variable values for `server`: the server's above the
    /// environment's.
    pub fn values_for(&self, server: &FleetServer) -> BTreeMap<String, EnvironmentValue> {
        let mut values = self.variables.clone();
        values.extend(server.variables.clone());
        values
    }
}

/// Finds the selected environment and server, or says which exist.
pub(crate) fn select<'e>(
    environments: &'e [Environment],
    selection: &ServerSelection,
) -> Result<(&'e Environment, &'e FleetServer)> {
    let environment = find_environment(environments, &selection.environment)?;
    let server = environment
        .servers
        .iter()
        .find(|server| server.name == selection.server)
        .ok_or_else(|| {
            ConfigError::at(
                environment.location.clone(),
                format!(
                    "environment \"{}\" has no server \"{}\"",
                    environment.name, selection.server
                ),
            )
            .with_optional_hint(did_you_mean(
                &selection.server,
                environment.servers.iter().map(|s| s.name.as_str()),
            ))
        })?;
    Ok((environment, server))
}

/// The environment called `name`; the error lists the declared ones.
pub fn find_environment<'e>(
    environments: &'e [Environment],
    name: &str,
) -> Result<&'e Environment> {
    if let Some(environment) = environments.iter().find(|e| e.name == name) {
        return Ok(environment);
    }
    let known: Vec<&str> = environments.iter().map(|e| e.name.as_str()).collect();
    let message = format!("no environment \"{name}\" is declared");
    let error = if known.is_empty() {
        ConfigError::general(message).with_hint(
            "declare one: environment \"prod\" { servers = [{ name = \"db1\", host = \"…\" }] }",
        )
    } else {
        ConfigError::general(format!("{message}; declared: {}", known.join(", ")))
            .with_optional_hint(did_you_mean(name, known.iter().copied()))
    };
    Err(error)
}

/// Decodes one `environment` block; `constant` evaluates without
/// references; `dir` resolves relative certificate paths.
pub(crate) fn decode(
    block: &Block,
    src: &SourceFile,
    constant: &Evaluator,
    dir: &Path,
    earlier: &[Environment],
) -> Result<Environment> {
    let (name, location) = match block.labels.first() {
        Some(label) => (label.as_str().to_owned(), src.locate(label)),
        None => (String::new(), src.locate(&block.ident)),
    };
    check_simple_name("environment", &name, &location)?;
    if let Some(first) = earlier.iter().find(|e| e.name == name) {
        return Err(ConfigError::at(
            location,
            format!(
                "environment \"{name}\" is already declared at {}",
                first.location
            ),
        ));
    }
    let what = format!("environment \"{name}\"");
    let mut reader = BlockReader::new(block, src, constant, what.clone());
    let variables = match reader.node("variables")? {
        Some(node) => variable_values(&node, &format!("{what}.variables"))?,
        None => BTreeMap::new(),
    };
    let mut servers: Vec<FleetServer> = Vec::new();
    if let Some(node) = reader.node("servers")? {
        let NodeKind::List(items) = &node.kind else {
            return Err(node.type_error("servers", "a list of server objects"));
        };
        for item in items {
            let server = decode_server(item, &what, dir)?;
            if let Some(first) = servers.iter().find(|s| s.name == server.name) {
                return Err(ConfigError::at(
                    server.location,
                    format!(
                        "server \"{}\" appears twice in {what} (first at {})",
                        server.name, first.location
                    ),
                )
                .with_hint(
                    "server names identify servers in reports and saved plans: make them unique",
                ));
            }
            servers.push(server);
        }
    }
    reader.finish()?;
    if servers.is_empty() {
        return Err(ConfigError::at(location, format!("{what} has no servers"))
            .with_hint("list them: servers = [{ name = \"db1\", host = \"10.0.0.1\" }]"));
    }
    Ok(Environment {
        name,
        location,
        variables,
        servers,
    })
}

fn decode_server(node: &Node, environment: &str, dir: &Path) -> Result<FleetServer> {
    let entries = node.to_map("each entry of servers")?;
    let mut map = MapReader::new(entries, format!("server of {environment}"));
    let Some(name_node) = map.take("name") else {
        return Err(ConfigError::at(
            node.location.clone(),
            format!("a server of {environment} needs a name"),
        )
        .with_hint("e.g. { name = \"db1\", host = \"10.0.0.1\" }"));
    };
    let name = name_node.to_text("name")?;
    check_simple_name("server", &name, &name_node.location)?;
    let location = name_node.location.clone();
    let text = |map: &mut MapReader<'_>, key: &'static str| -> Result<Option<String>> {
        map.take(key).map(|node| node.to_text(key)).transpose()
    };
    let mut connection = ConnectionBlock {
        host: text(&mut map, "host")?,
        user: text(&mut map, "user")?,
        dbname: text(&mut map, "dbname")?,
        ..ConnectionBlock::default()
    };
    if let Some(port) = map.take("port") {
        let port = port.to_integer("port", 1, i64::from(u16::MAX))?;
        connection.port = u16::try_from(port).ok();
    }
    if let Some(password) = map.take("password") {
        connection.password = Some(password.to_secret("password")?);
    }
    if let Some(mode) = map.take("sslmode") {
        connection.sslmode = Some(check_sslmode(mode)?);
    }
    connection.sslrootcert = text(&mut map, "sslrootcert")?.map(|p| dir.join(p));
    connection.sslcert = text(&mut map, "sslcert")?.map(|p| dir.join(p));
    connection.sslkey = text(&mut map, "sslkey")?.map(|p| dir.join(p));
    let variables = match map.take("variables") {
        Some(node) => variable_values(node, &format!("server \"{name}\".variables"))?,
        None => BTreeMap::new(),
    };
    map.finish()?;
    Ok(FleetServer {
        name,
        location,
        connection,
        variables,
    })
}

fn variable_values(node: &Node, what: &str) -> Result<BTreeMap<String, EnvironmentValue>> {
    let entries = node.to_map(what)?;
    Ok(entries
        .iter()
        .map(|entry| {
            let value = EnvironmentValue {
                value: entry.value.to_value(),
                location: entry.key_location.clone(),
                value_location: entry.value.location.clone(),
            };
            (entry.key.clone(), value)
        })
        .collect())
}

/// Environment and server names appear in flags, file names and JSON:
/// letters, digits, `_`, `-` and `.`, starting with a letter or digit.
fn check_simple_name(kind: &str, name: &str, location: &Location) -> Result<()> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        return Ok(());
    }
    Err(
        ConfigError::at(location.clone(), format!("invalid {kind} name \"{name}\"")).with_hint(
            "use at most 63 letters, digits, _, - and ., starting with a letter or digit",
        ),
    )
}

/// Refuses environment or server values for variables the root
/// configuration does not declare.
pub(crate) fn check_declared(environments: &[Environment], declared: &[&str]) -> Result<()> {
    let mut errors = Vec::new();
    let all_values = environments.iter().flat_map(|environment| {
        let servers = environment.servers.iter().flat_map(|s| &s.variables);
        environment.variables.iter().chain(servers)
    });
    for (name, value) in all_values {
        if !declared.contains(&name.as_str()) {
            let hint = did_you_mean(name, declared.iter().copied())
                .unwrap_or_else(|| format!("declare it: variable \"{name}\" {{}}"));
            errors.push(
                ConfigError::at(
                    value.location.clone(),
                    format!("no variable \"{name}\" is declared"),
                )
                .with_hint(hint),
            );
        }
    }
    ConfigError::check(errors)
}
