//! Checked arithmetic for expressions. hcl-rs computes `+ - * / %` and
//! unary `-` with plain integer and float operators: a zero divisor, an
//! overflow or a NaN panics or wraps silently. So before an expression is
//! handed to hcl-rs, every arithmetic operation in it is rewritten into a
//! call of an internal function that checks the operation and fails with an
//! error; hcl-rs then still takes care of scoping (`for` expressions and
//! directives), conditionals and templates. The user cannot call the
//! internal function: unknown function names are refused before rewriting.

use std::cell::Cell;
use std::ops::Range;

use hcl::Value;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl_edit::expr::{BinaryOperator, Expression, FuncCall, UnaryOperator};
use hcl_edit::visit_mut::{self, VisitMut};
use hcl_edit::{Ident, Span};

/// The name of the internal function computing `lhs OP rhs`.
pub(crate) const BINARY: &str = "pgfort_checked_binary";
/// The name of the internal function computing `-operand`.
pub(crate) const NEGATE: &str = "pgfort_checked_negate";

thread_local! {
    /// Which rewritten operation failed last, by index into the spans that
    /// [`rewrite`] returned.
    static FAILED: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Replaces every arithmetic operation in `expr` by a call of [`BINARY`] or
/// [`NEGATE`], and returns the operators' spans, indexed by the number
/// passed to each call.
pub(crate) fn rewrite(expr: &mut Expression) -> Vec<Option<Range<usize>>> {
    let mut rewriter = Rewriter { spans: Vec::new() };
    rewriter.visit_expr_mut(expr);
    rewriter.spans
}

/// Takes which operation failed during the last evaluation, if any.
pub(crate) fn take_failure() -> Option<usize> {
    FAILED.with(Cell::take)
}

/// Forgets any failure from an earlier evaluation.
pub(crate) fn reset() {
    FAILED.with(|failed| failed.set(None));
}

pub(crate) fn declare(ctx: &mut Context<'_>) {
    let any = || ParamType::Any;
    ctx.declare_func(
        BINARY,
        FuncDef::builder()
            .params([any(), any(), any(), any()])
            .build(binary),
    );
    ctx.declare_func(
        NEGATE,
        FuncDef::builder().params([any(), any()]).build(negate),
    );
}

struct Rewriter {
    spans: Vec<Option<Range<usize>>>,
}

impl Rewriter {
    fn call(
        &mut self,
        name: &str,
        span: Option<Range<usize>>,
        args: Vec<Expression>,
    ) -> Expression {
        let index = self.spans.len();
        self.spans.push(span);
        let mut call_args = hcl_edit::expr::FuncArgs::new();
        call_args.push(Expression::from(index));
        for arg in args {
            call_args.push(arg);
        }
        Expression::from(FuncCall::new(Ident::new(name), call_args))
    }
}

impl VisitMut for Rewriter {
    fn visit_expr_mut(&mut self, expr: &mut Expression) {
        // Operands first, so nested operations are rewritten too.
        visit_mut::visit_expr_mut(self, expr);
        let replacement = match expr {
            Expression::BinaryOp(op) => {
                let Some(symbol) = arithmetic_symbol(*op.operator.value()) else {
                    return;
                };
                let (lhs, rhs) = (op.lhs_expr.clone(), op.rhs_expr.clone());
                let span = op.operator.span();
                self.call(BINARY, span, vec![Expression::from(symbol), lhs, rhs])
            }
            Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Neg => {
                let span = op.operator.span();
                let operand = op.expr.clone();
                self.call(NEGATE, span, vec![operand])
            }
            _ => return,
        };
        *expr = replacement;
    }
}

fn arithmetic_symbol(operator: BinaryOperator) -> Option<&'static str> {
    match operator {
        BinaryOperator::Plus => Some("+"),
        BinaryOperator::Minus => Some("-"),
        BinaryOperator::Mul => Some("*"),
        BinaryOperator::Div => Some("/"),
        BinaryOperator::Mod => Some("%"),
        _ => None,
    }
}

/// A number as arithmetic sees it: integers exactly (both `i64` and `u64`
/// fit in an `i128`), everything else as a float.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn of(value: &Value, symbol: &str) -> Result<Num, String> {
        let Value::Number(n) = value else {
            // No operand value in the message: it could be a secret.
            return Err(format!(
                "operator `{symbol}` needs numbers, got {}",
                type_name(value)
            ));
        };
        if !n.is_f64() {
            if let Some(i) = n.as_i64() {
                return Ok(Num::Int(i128::from(i)));
            }
            if let Some(u) = n.as_u64() {
                return Ok(Num::Int(i128::from(u)));
            }
        }
        n.as_f64()
            .map(Num::Float)
            .ok_or_else(|| format!("operator `{symbol}` got a number it cannot represent"))
    }

    #[allow(clippy::cast_precision_loss)]
    fn to_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn into_value(self, symbol: &str) -> Result<Value, String> {
        match self {
            Num::Int(i) => {
                if let Ok(i) = i64::try_from(i) {
                    Ok(Value::from(i))
                } else if let Ok(u) = u64::try_from(i) {
                    Ok(Value::from(u))
                } else {
                    Err(overflow(symbol))
                }
            }
            Num::Float(f) => hcl::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| format!("`{symbol}` has no finite result (overflow)")),
        }
    }
}

fn overflow(symbol: &str) -> String {
    format!("integer overflow in `{symbol}`: the result does not fit in 64 bits")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Records which operation failed, for the caller to locate the error.
fn failing<T>(args: &FuncArgs, result: Result<T, String>) -> Result<T, String> {
    if result.is_err() {
        let index = args
            .first()
            .and_then(Value::as_u64)
            .and_then(|i| usize::try_from(i).ok());
        FAILED.with(|failed| failed.set(index));
    }
    result
}

fn binary(args: FuncArgs) -> Result<Value, String> {
    let result = compute(&args);
    failing(&args, result)
}

fn compute(args: &FuncArgs) -> Result<Value, String> {
    let symbol = args.get(1).and_then(Value::as_str).unwrap_or("?");
    let null = Value::Null;
    let lhs = Num::of(args.get(2).unwrap_or(&null), symbol)?;
    let rhs = Num::of(args.get(3).unwrap_or(&null), symbol)?;
    apply(symbol, lhs, rhs)?.into_value(symbol)
}

/// `lhs SYMBOL rhs`, exact on integers, failing instead of panicking,
/// wrapping or producing NaN or infinity.
fn apply(symbol: &str, lhs: Num, rhs: Num) -> Result<Num, String> {
    let overflow = || overflow(symbol);
    if matches!(symbol, "/" | "%") && rhs.to_f64() == 0.0 {
        let what = if symbol == "/" { "division" } else { "modulo" };
        return Err(format!("{what} by zero"));
    }
    let result = match (lhs, rhs) {
        (Num::Int(a), Num::Int(b)) => match symbol {
            "+" => Num::Int(a.checked_add(b).ok_or_else(overflow)?),
            "-" => Num::Int(a.checked_sub(b).ok_or_else(overflow)?),
            "*" => Num::Int(a.checked_mul(b).ok_or_else(overflow)?),
            // Both fit in 65 bits, so `i128` cannot overflow here
            // (i64::MIN % -1 is 0, as it should be).
            "%" => Num::Int(a.checked_rem(b).ok_or_else(overflow)?),
            "/" if a.checked_rem(b) == Some(0) => Num::Int(a.checked_div(b).ok_or_else(overflow)?),
            "/" => Num::Float(a as f64 / b as f64),
            _ => return Err(format!("unknown operator `{symbol}`")),
        },
        (a, b) => {
            let (a, b) = (a.to_f64(), b.to_f64());
            Num::Float(match symbol {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "/" => a / b,
                "%" => a % b,
                _ => return Err(format!("unknown operator `{symbol}`")),
            })
        }
    };
    if let Num::Float(f) = result {
        if !f.is_finite() {
            return Err(format!("`{symbol}` has no finite result (overflow)"));
        }
        // An integral float within range is an integer again, as hcl-rs
        // would make it.
        if f.fract() == 0.0 && f.abs() < 9.0e18 {
            #[allow(clippy::cast_possible_truncation)]
            return Ok(Num::Int(f as i128));
        }
    }
    Ok(result)
}

fn negate(args: FuncArgs) -> Result<Value, String> {
    let result = (|| {
        let null = Value::Null;
        match Num::of(args.get(1).unwrap_or(&null), "-")? {
            Num::Int(i) => Num::Int(-i).into_value("-"),
            Num::Float(f) => Num::Float(-f).into_value("-"),
        }
    })();
    failing(&args, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i128) -> Num {
        Num::Int(i)
    }

    fn value(symbol: &str, a: Num, b: Num) -> Result<Value, String> {
        apply(symbol, a, b)?.into_value(symbol)
    }

    #[test]
    fn checks_every_operation() {
        assert_eq!(value("%", int(1), int(0)).unwrap_err(), "modulo by zero");
        assert_eq!(value("/", int(1), int(0)).unwrap_err(), "division by zero");
        assert_eq!(
            value("%", int(5), Num::Float(0.0)).unwrap_err(),
            "modulo by zero"
        );
        let min = int(i128::from(i64::MIN));
        assert_eq!(value("%", min, int(-1)).unwrap(), Value::from(0));
        assert_eq!(value("/", min, int(-1)).unwrap(), Value::from(1u64 << 63));
        let big = int(1 << 32);
        assert!(value("*", big, big).unwrap_err().contains("overflow"));
        let max = int(i128::from(u64::MAX));
        assert!(value("+", max, int(1)).unwrap_err().contains("overflow"));
        assert!(value("-", min, max).unwrap_err().contains("overflow"));
        assert!(
            value("*", Num::Float(1e300), Num::Float(1e300))
                .unwrap_err()
                .contains("finite")
        );
        assert_eq!(value("/", int(7), int(2)).unwrap(), Value::from(3.5));
        assert_eq!(value("/", int(8), int(2)).unwrap(), Value::from(4));
        assert_eq!(value("-", int(2), int(5)).unwrap(), Value::from(-3));
    }
}
