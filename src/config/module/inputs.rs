//! Binding a module block's inputs to the module's `variable` blocks. Only
//! the calling block sets a module's variables: a module is a function of
//! its inputs, so `-var`, `-var-file`, `PGFORT_VAR_*` and the prompt are
//! for the root configuration alone.

use super::{Input, ModuleCall, SOURCE};
use crate::config::error::{ConfigError, Result};
use crate::config::suggest::did_you_mean;
use crate::config::variables::{Resolved, VariableDecl, coerce, placeholder};

/// Every declared variable's value: the input, else the default. A `null`
/// input counts as not written, so a caller can pass an optional value
/// through. An input sensitive in the caller stays sensitive in the module.
pub(crate) fn bind(
    call: &ModuleCall<'_>,
    inputs: Vec<Input>,
    decls: &[VariableDecl],
) -> Result<Vec<Resolved>> {
    let names: Vec<&str> = decls.iter().map(|decl| decl.name.as_str()).collect();
    if let Some(input) = inputs
        .iter()
        .find(|input| !names.contains(&input.name.as_str()))
    {
        let expected = if names.is_empty() {
            "it takes none".to_string()
        } else {
            format!("expected one of: {SOURCE}, {}", names.join(", "))
        };
        let hint = did_you_mean(&input.name, names.iter().copied()).unwrap_or_else(|| {
            format!(
                "inputs are the module's variable blocks; declare it in {}: variable \"{}\" {{}}",
                call.dir.display(),
                input.name
            )
        });
        return Err(ConfigError::at(
            input.key_location.clone(),
            format!(
                "unknown input \"{}\" for module \"{}\", {expected}",
                input.name, call.name
            ),
        )
        .with_hint(hint));
    }
    let missing: Vec<&VariableDecl> = decls
        .iter()
        .filter(|decl| decl.default.is_none())
        .filter(|decl| {
            !inputs
                .iter()
                .any(|input| input.name == decl.name && input.is_given())
        })
        .collect();
    if let Some(first) = missing.first() {
        let quoted: Vec<String> = missing
            .iter()
            .map(|decl| format!("\"{}\"", decl.name))
            .collect();
        let noun = if missing.len() == 1 {
            "input"
        } else {
            "inputs"
        };
        return Err(ConfigError::at(
            call.location.clone(),
            format!(
                "module \"{}\" is missing the required {noun} {}",
                call.name,
                quoted.join(", ")
            ),
        )
        .with_hint(format!(
            "add {} = ... to the module block (declared at {})",
            first.name, first.location
        )));
    }
    let mut resolved = Vec::with_capacity(decls.len());
    for decl in decls {
        let input = inputs
            .iter()
            .find(|input| input.name == decl.name && input.is_given());
        let (value, sensitive, unknown) = match input {
            // What the caller does not know yet, the module does not either.
            Some(input) if input.node.unknown => (
                placeholder(&decl.name, &decl.var_type),
                decl.sensitive || input.node.sensitive.is_some(),
                true,
            ),
            Some(input) => {
                let value = coerce(input.node.to_value(), &decl.var_type).map_err(|mismatch| {
                    ConfigError::at(
                        input.node.location.clone(),
                        format!(
                            "input \"{}\" of module \"{}\" must be {}, got {}",
                            decl.name, call.name, decl.var_type, mismatch.got
                        ),
                    )
                })?;
                (
                    value,
                    decl.sensitive || input.node.sensitive.is_some(),
                    false,
                )
            }
            // Required ones without input were refused above.
            None => (
                decl.default.clone().unwrap_or_default(),
                decl.sensitive,
                false,
            ),
        };
        resolved.push(Resolved {
            name: decl.name.clone(),
            value,
            sensitive,
            unknown,
        });
    }
    Ok(resolved)
}
