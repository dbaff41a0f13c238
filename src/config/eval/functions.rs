//! The functions expressions may call. hcl-rs takes plain `fn` pointers, so
//! the configuration directory and the environment that `file()` and
//! `env()` need are handed over through a thread-local, set only for the
//! duration of one evaluation.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hcl::Value;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};

/// A snapshot of the process environment (tests pass their own).
pub(crate) type Env = BTreeMap<String, String>;

/// What `file()` and `env()` read from.
#[derive(Debug, Clone)]
pub(crate) struct FuncEnv {
    /// The configuration directory; `file()` paths are relative to it.
    pub dir: PathBuf,
    pub env: Arc<Env>,
}

/// The names of all functions, for "unknown function" messages.
pub(crate) const NAMES: &[&str] = &[
    "cidrhost", "concat", "env", "file", "join", "lower", "range", "upper",
];

/// A hint for an error raised inside a function, where one helps.
pub(crate) fn hint(function: &str, env: &FuncEnv) -> Option<String> {
    match function {
        "env" => {
            Some("set the variable, or give a default: env(\"NAME\", \"default\")".to_string())
        }
        "file" => Some(format!(
            "paths are relative to the configuration directory {}",
            env.dir.display()
        )),
        _ => None,
    }
}

thread_local! {
    static CURRENT: RefCell<Option<FuncEnv>> = const { RefCell::new(None) };
}

/// Restores the previous environment even if evaluation unwinds.
struct Restore(Option<FuncEnv>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

/// Runs `f` with `env` visible to the functions.
pub(crate) fn with_env<T>(env: &FuncEnv, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|current| current.replace(Some(env.clone())));
    let _restore = Restore(previous);
    f()
}

fn current() -> Result<FuncEnv, String> {
    CURRENT
        .with(|current| current.borrow().clone())
        .ok_or_else(|| "not available here".to_string())
}

/// Declares every function in `ctx`. Parameters are all `Any` and checked in
/// the functions themselves, because hcl-rs's own type errors quote the
/// argument's value, which could be a secret.
pub(crate) fn declare(ctx: &mut Context<'_>) {
    let any = || ParamType::Any;
    ctx.declare_func(
        "cidrhost",
        FuncDef::builder().params([any(), any()]).build(cidrhost),
    );
    ctx.declare_func(
        "env",
        FuncDef::builder()
            .param(any())
            .variadic_param(any())
            .build(env),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(any()).build(concat),
    );
    ctx.declare_func("file", FuncDef::builder().param(any()).build(file));
    ctx.declare_func(
        "range",
        FuncDef::builder()
            .param(any())
            .variadic_param(any())
            .build(range),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder().params([any(), any()]).build(join),
    );
    ctx.declare_func("lower", FuncDef::builder().param(any()).build(lower));
    ctx.declare_func("upper", FuncDef::builder().param(any()).build(upper));
}

/// The most numbers `range()` makes: a configuration lists servers or
/// roles, never millions of anything.
const RANGE_LIMIT: i64 = 100_000;

/// `range(3)` is `[0, 1, 2]`, `range(1, 4)` is `[1, 2, 3]`, `range(0, 10,
/// 5)` is `[0, 5]`, as in Terraform (whole numbers only).
fn range(args: FuncArgs) -> Result<Value, String> {
    let numbers = args
        .iter()
        .map(|arg| {
            arg.as_i64()
                .ok_or_else(|| "arguments must be whole numbers".to_string())
        })
        .collect::<Result<Vec<i64>, String>>()?;
    let (start, limit, step) = match numbers[..] {
        [limit] => (0, limit, 1),
        [start, limit] => (start, limit, if limit < start { -1 } else { 1 }),
        [start, limit, step] => (start, limit, step),
        _ => return Err(format!("takes 1 to 3 numbers, got {}", numbers.len())),
    };
    if step == 0 || (limit - start).signum() * step.signum() < 0 {
        return Err(format!("step {step} never goes from {start} to {limit}"));
    }
    let count = (limit - start).abs().saturating_add(step.abs() - 1) / step.abs();
    if count > RANGE_LIMIT {
        return Err(format!("makes {count} numbers, the limit is {RANGE_LIMIT}"));
    }
    Ok(Value::Array(
        (0..count).map(|i| Value::from(start + i * step)).collect(),
    ))
}

/// `concat([a], [b, c])` is `[a, b, c]`.
fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in args.iter() {
        match arg {
            Value::Array(items) => out.extend(items.iter().cloned()),
            _ => return Err("arguments must be lists".to_string()),
        }
    }
    Ok(Value::Array(out))
}

fn string_arg<'a>(args: &'a FuncArgs, index: usize, what: &str) -> Result<&'a str, String> {
    args.get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what} must be a string"))
}

fn env(args: FuncArgs) -> Result<Value, String> {
    if args.len() > 2 {
        return Err(format!(
            "takes a name and an optional default, got {} arguments",
            args.len()
        ));
    }
    let name = string_arg(&args, 0, "the variable name")?;
    if let Some(value) = current()?.env.get(name) {
        return Ok(Value::String(value.clone()));
    }
    match args.get(1) {
        Some(default) => Ok(default.clone()),
        None => Err(format!("environment variable {name} is not set")),
    }
}

/// `cidrhost("10.0.1.0/24", 20)` is `"10.0.1.20"`, as in Terraform: the
/// n-th address of a network (negative counts from the end).
fn cidrhost(args: FuncArgs) -> Result<Value, String> {
    let prefix = string_arg(&args, 0, "the network")?;
    let network: ipnet::IpNet = prefix
        .parse()
        .map_err(|_| format!("\"{prefix}\" is not a network like 10.0.1.0/24"))?;
    let number = args
        .get(1)
        .and_then(Value::as_i64)
        .ok_or_else(|| "the host number must be a whole number".to_string())?;
    let bits = u32::from(network.max_prefix_len() - network.prefix_len());
    let size: i128 = if bits >= 127 {
        i128::MAX
    } else {
        1i128 << bits
    };
    let offset = if number < 0 {
        size + i128::from(number)
    } else {
        i128::from(number)
    };
    if offset < 0 || offset >= size {
        return Err(format!("host number {number} is outside {prefix}"));
    }
    let address = match network.network() {
        std::net::IpAddr::V4(base) => {
            let value = u128::from(u32::from(base)) + offset as u128;
            std::net::IpAddr::V4(std::net::Ipv4Addr::from(value as u32))
        }
        std::net::IpAddr::V6(base) => {
            std::net::IpAddr::V6(std::net::Ipv6Addr::from(u128::from(base) + offset as u128))
        }
    };
    Ok(Value::String(address.to_string()))
}

fn file(args: FuncArgs) -> Result<Value, String> {
    let relative = string_arg(&args, 0, "the path")?;
    let path = current()?.dir.join(relative);
    std::fs::read_to_string(&path)
        .map(Value::String)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))
}

fn primitive_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let separator = string_arg(&args, 0, "the separator")?;
    let list = args
        .get(1)
        .and_then(Value::as_array)
        .ok_or_else(|| "the second argument must be a list of strings".to_string())?;
    let parts = list
        .iter()
        .enumerate()
        .map(|(i, item)| {
            primitive_text(item).ok_or_else(|| format!("element {i} of the list is not a string"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::String(parts.join(separator)))
}

fn lower(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(
        string_arg(&args, 0, "the argument")?.to_lowercase(),
    ))
}

fn upper(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(
        string_arg(&args, 0, "the argument")?.to_uppercase(),
    ))
}
