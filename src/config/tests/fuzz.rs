//! A deterministic fuzz test of the loader: thousands of generated
//! configurations (random expressions around the 64-bit limits, nested
//! function calls, random blocks, mutated and random bytes) must each load
//! or fail with an error, never panic. A fixed-seed generator keeps every
//! failure reproducible without a fuzzing toolchain.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{dir_with, env, load_in};
use crate::config::VariableInputs;

const SEED: u64 = 0x5eed_cafe_f00d_0001;
const CASES: usize = 1500;
/// Inputs are cut to this many bytes, so each case stays cheap.
const MAX_LEN: usize = 2048;

/// splitmix64: small, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "0.0",
    "-0.0",
    "1.5",
    "1e308",
    "-1e308",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775807",
    "(-9223372036854775807 - 1)",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1e-320",
];

const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
];

fn atom(rng: &mut Rng) -> String {
    match rng.below(14) {
        0..=5 => rng.pick(NUMBERS).to_string(),
        6..=8 => (rng.next() as i64 >> rng.below(64)).to_string(),
        9 => format!(
            "\"{}\"",
            rng.pick(&["", "a", "10.0.1.0/24", "::/64", "%", "${"])
        ),
        10 => rng.pick(&["true", "false", "null"]).to_string(),
        11 => rng
            .pick(&["var.n", "var.s", "local.a", "local.b"])
            .to_string(),
        12 => rng.pick(&["x", "var", "local", "module.m.o"]).to_string(),
        _ => rng.pick(&["[]", "{}", "[1, 2]", "{ k = 1 }"]).to_string(),
    }
}

fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return atom(rng);
    }
    let mut sub = || expr(rng, depth - 1);
    let (a, b, c) = (sub(), sub(), sub());
    match rng.below(20) {
        0..=3 => format!("{a} {} {b}", rng.pick(OPERATORS)),
        16..=19 => format!("{a} {} {b}", rng.pick(&["+", "-", "*", "/", "%"])),
        4 => format!("-{a}"),
        5 => format!("!{a}"),
        6 => format!("({a})"),
        7 => format!("{a} ? {b} : {c}"),
        8 => format!(
            "env({}{})",
            rng.pick(&["\"HOME_DB\"", "\"NOPE\"", "1", "null"]),
            if rng.below(2) == 0 {
                format!(", {a}")
            } else {
                String::new()
            }
        ),
        9 => format!("file({})", rng.pick(&["\"data.txt\"", "\"missing\"", "1"])),
        10 => format!("cidrhost({a}, {b})"),
        11 => format!("join({a}, [{b}, {c}])"),
        12 => format!("{}({a})", rng.pick(&["lower", "upper"])),
        13 => format!("\"x${{{a}}}%{{ if {b} }}y%{{ endif }}\""),
        14 => format!("[for v in {a}: {b}]"),
        _ => format!("[{a}, {b}][{c}]"),
    }
}

fn block(rng: &mut Rng) -> String {
    let e = |rng: &mut Rng| expr(rng, 4);
    match rng.below(7) {
        0 => format!("locals {{\n  a = {}\n  b = {}\n}}\n", e(rng), e(rng)),
        1 => format!(
            "role \"r{}\" {{\n  login = {}\n  connection_limit = {}\n}}\n",
            rng.below(3),
            e(rng),
            e(rng)
        ),
        2 => format!("settings {{\n  work_mem = {}\n}}\n", e(rng)),
        3 => format!(
            "variable \"v{}\" {{\n  default = {}\n}}\n",
            rng.below(3),
            e(rng)
        ),
        4 => format!("database \"d\" {{\n  owner = {}\n}}\n", e(rng)),
        5 => format!(
            "grant {{\n  to = [{}]\n  privileges = [\"CONNECT\"]\n  on = {{ database = {} }}\n}}\n",
            e(rng),
            e(rng)
        ),
        _ => format!(
            "{} {{\n  {} = {}\n}}\n",
            rng.pick(&["hba", "tune", "manage", "x"]),
            rng.pick(&["a", "memory", "rule"]),
            e(rng)
        ),
    }
}

fn case(rng: &mut Rng) -> Vec<u8> {
    let mut text = String::from(
        "variable \"n\" {\n  default = 3\n}\nvariable \"s\" {\n  default = \"x\"\n}\n",
    );
    for _ in 0..=rng.below(4) {
        text.push_str(&block(rng));
    }
    let mut bytes = text.into_bytes();
    match rng.below(10) {
        // Flip, drop or insert a few bytes.
        0..=1 => {
            for _ in 0..=rng.below(4) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] = rng.next() as u8,
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b"{}[]()\"$%~\\\n=#"[rng.below(14)]),
                }
            }
        }
        2 => bytes = (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
        _ => {}
    }
    bytes.truncate(MAX_LEN);
    bytes
}

#[test]
fn the_loader_never_panics() {
    let dir = dir_with(&[("data.txt", "hello")]);
    let main = dir.path().join("main.hcl");
    let mut rng = Rng(SEED);
    let mut failures = Vec::new();
    for index in 0..CASES {
        let bytes = case(&mut rng);
        std::fs::write(&main, &bytes).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let _ = load_in(
                dir.path(),
                &VariableInputs::default(),
                env(&[("HOME_DB", "db1")]),
            );
        }));
        if outcome.is_err() {
            failures.push(format!(
                "case {index} (seed {SEED:#x}):\n{}",
                String::from_utf8_lossy(&bytes)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} inputs panicked, the first:\n{}",
        failures.len(),
        failures[0]
    );
}
