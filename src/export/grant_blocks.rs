//! Grants as blocks: privileges split by grant option, identical grants to
//! several roles merged into one block, blocks in a stable order
//! (database, then schemas, objects and columns, schema by schema).

use std::collections::BTreeMap;

use super::collapse::Tokens;
use super::hcl::{Block, Body, Value};
use crate::model::{DefaultKind, Grant, GrantTarget, ObjectKind};

/// The privileges of `tokens` in PostgreSQL's order, split into those
/// without and those with the grant option.
pub(super) fn split(tokens: &Tokens, kind: ObjectKind) -> Vec<(Vec<String>, bool)> {
    let order = kind.privileges(u32::MAX);
    let rank = |privilege: &str| {
        order
            .iter()
            .position(|p| *p == privilege)
            .unwrap_or(order.len())
    };
    [false, true]
        .into_iter()
        .filter_map(|grantable| {
            let mut privileges: Vec<String> = tokens
                .iter()
                .filter(|(_, g)| *g == grantable)
                .map(|(p, _)| p.clone())
                .collect();
            privileges.sort_by_key(|p| (rank(p), p.clone()));
            (!privileges.is_empty()).then_some((privileges, grantable))
        })
        .collect()
}

/// The grants found so far, merged by target and privileges.
pub(super) struct GrantList {
    grants: Vec<Grant>,
    /// (target, privileges, grant option) → position in `grants`.
    positions: BTreeMap<String, usize>,
}

impl GrantList {
    pub fn new() -> Self {
        GrantList {
            grants: Vec::new(),
            positions: BTreeMap::new(),
        }
    }

    /// `grantee` holds `tokens` on `target`.
    pub fn add(&mut self, grantee: &str, target: GrantTarget, tokens: &Tokens) {
        for (privileges, grantable) in split(tokens, target.object_kind()) {
            let key = serde_json::to_string(&(&target, &privileges, grantable))
                .unwrap_or_else(|_| format!("{target:?} {privileges:?} {grantable}"));
            match self.positions.get(&key) {
                Some(&at) => self.grants[at].to.push(grantee.to_owned()),
                None => {
                    self.positions.insert(key, self.grants.len());
                    self.grants.push(Grant {
                        to: vec![grantee.to_owned()],
                        privileges,
                        on: target.clone(),
                        with_grant_option: grantable,
                    });
                }
            }
        }
    }

    /// The blocks, ordered by database, kind of target and schema.
    pub fn render(mut self) -> Body {
        self.grants.sort_by_key(order);
        let mut body = Body::new();
        for mut grant in self.grants {
            grant.to.sort();
            body.block(block(&grant));
        }
        body
    }
}

fn order(grant: &Grant) -> (String, u8, String, u8) {
    let database = grant.on.database().to_owned();
    match &grant.on {
        GrantTarget::Database { .. } => (database, 0, String::new(), 0),
        GrantTarget::Schemas { schemas, .. } => (database, 1, schemas.join(","), 0),
        GrantTarget::All { schemas, kind, .. } => {
            (database, 2, schemas.join(","), kind_rank(*kind) * 2)
        }
        GrantTarget::Objects { schema, kind, .. } => (
            database,
            2,
            schema.clone(),
            KINDS_ORDER
                .iter()
                .position(|k| k.object_kind() == *kind)
                .map_or(9, |i| i as u8 * 2 + 1),
        ),
        GrantTarget::Columns { schema, .. } => (database, 3, schema.clone(), 0),
    }
}

const KINDS_ORDER: [DefaultKind; 4] = [
    DefaultKind::Tables,
    DefaultKind::Sequences,
    DefaultKind::Functions,
    DefaultKind::Types,
];

fn kind_rank(kind: DefaultKind) -> u8 {
    KINDS_ORDER
        .iter()
        .position(|k| *k == kind)
        .map_or(9, |i| i as u8)
}

/// How `on` names the objects of a kind.
fn selector(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Sequence => "sequences",
        ObjectKind::Function => "functions",
        ObjectKind::Type => "types",
        _ => "tables",
    }
}

fn all_name(kind: DefaultKind) -> &'static str {
    match kind {
        DefaultKind::Tables => "tables",
        DefaultKind::Sequences => "sequences",
        DefaultKind::Functions => "functions",
        DefaultKind::Types => "types",
    }
}

fn schemas_entry(schemas: &[String]) -> (String, Value) {
    match schemas {
        [one] => ("schema".to_owned(), Value::from(one)),
        many => ("schemas".to_owned(), Value::strings(many.iter().cloned())),
    }
}

/// The `on` map of a target.
fn on(target: &GrantTarget) -> Value {
    let database = ("database".to_owned(), Value::from(target.database()));
    let entries = match target {
        GrantTarget::Database { .. } => vec![database],
        GrantTarget::Schemas { schemas, .. } => vec![database, schemas_entry(schemas)],
        GrantTarget::Objects {
            schema,
            kind,
            names,
            ..
        } => vec![
            database,
            ("schema".to_owned(), Value::from(schema)),
            (
                selector(*kind).to_owned(),
                Value::strings(names.iter().cloned()),
            ),
        ],
        GrantTarget::Columns {
            schema,
            table,
            columns,
            ..
        } => vec![
            database,
            ("schema".to_owned(), Value::from(schema)),
            ("table".to_owned(), Value::from(table)),
            (
                "columns".to_owned(),
                Value::strings(columns.iter().cloned()),
            ),
        ],
        GrantTarget::All { schemas, kind, .. } => vec![
            database,
            schemas_entry(schemas),
            ("all".to_owned(), Value::from(all_name(*kind))),
        ],
    };
    Value::Map(entries)
}

fn block(grant: &Grant) -> Block {
    let mut block = Block::new("grant");
    block
        .body
        .attr("to", Value::strings(grant.to.iter().cloned()))
        .attr(
            "privileges",
            Value::strings(grant.privileges.iter().cloned()),
        )
        .attr("on", on(&grant.on));
    if let GrantTarget::All { owners, .. } = &grant.on
        && !owners.is_empty()
    {
        block
            .body
            .attr("owners", Value::strings(owners.iter().cloned()));
    }
    if grant.with_grant_option {
        block.body.attr("with_grant_option", true);
    }
    block
}
