//! PostgreSQL's units for memory and time parameters, as `guc.c` reads
//! them: a number, optional spaces, an optional case-sensitive unit. Used to
//! compare `4GB`, `4096MB` and `524288` (8kB blocks) as the same value.

/// What a unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Memory,
    Time,
}

/// Memory units and their size in bytes.
const MEMORY_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("kB", 1024.0),
    ("MB", 1024.0 * 1024.0),
    ("GB", 1024.0 * 1024.0 * 1024.0),
    ("TB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
];

/// Time units and their length in microseconds.
const TIME_UNITS: &[(&str, f64)] = &[
    ("us", 1.0),
    ("ms", 1_000.0),
    ("s", 1_000_000.0),
    ("min", 60_000_000.0),
    ("h", 3_600_000_000.0),
    ("d", 86_400_000_000.0),
];

/// The units a parameter of `kind` accepts, for messages.
pub fn unit_names(kind: UnitKind) -> Vec<&'static str> {
    table(kind).iter().map(|(name, _)| *name).collect()
}

fn table(kind: UnitKind) -> &'static [(&'static str, f64)] {
    match kind {
        UnitKind::Memory => MEMORY_UNITS,
        UnitKind::Time => TIME_UNITS,
    }
}

/// A parameter's base unit as `pg_settings.unit` names it (`8kB`, `kB`,
/// `MB`, `ms`, `s`, `min`): its kind and size in bytes or microseconds.
pub fn base_unit(unit: &str) -> Option<(UnitKind, f64)> {
    let split = unit
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(unit.len());
    let (count, name) = unit.split_at(split);
    let count: f64 = if count.is_empty() {
        1.0
    } else {
        count.parse().ok()?
    };
    [UnitKind::Memory, UnitKind::Time]
        .into_iter()
        .find_map(|kind| {
            table(kind)
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, size)| (kind, count * size))
        })
}

/// Why a quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// Not a number at all.
    NotANumber,
    /// A unit on a parameter that has none.
    UnexpectedUnit(String),
    /// A unit this parameter does not accept (or trailing garbage).
    BadUnit(String),
}

/// Reads `text` as a number in the base unit `base` (`None`: a plain
/// number), the way PostgreSQL does: `strtol` with base 0 for integers
/// (so `0x10` and `0700` work), a decimal fallback, spaces before the unit.
/// Integers are not rounded here; callers round as the parameter requires.
pub fn parse_quantity(
    text: &str,
    base: Option<(UnitKind, f64)>,
    integer: bool,
) -> Result<f64, QuantityError> {
    let text = text.trim_start();
    let (number, rest) = if integer {
        match leading_integer(text) {
            Some((value, rest)) if !rest.starts_with(['.', 'e', 'E']) => (value, rest),
            _ => leading_decimal(text).ok_or(QuantityError::NotANumber)?,
        }
    } else {
        leading_decimal(text).ok_or(QuantityError::NotANumber)?
    };
    let unit = rest.trim();
    if unit.is_empty() {
        return Ok(number);
    }
    let Some((kind, base_size)) = base else {
        return Err(QuantityError::UnexpectedUnit(unit.to_owned()));
    };
    let size = table(kind)
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, size)| *size)
        .ok_or_else(|| QuantityError::BadUnit(unit.to_owned()))?;
    Ok(number * size / base_size)
}

/// `strtol(text, &end, 0)`: sign, then `0x` hex, `0` octal or decimal.
fn leading_integer(text: &str) -> Option<(f64, &str)> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))
        .filter(|hex| hex.starts_with(|c: char| c.is_ascii_hexdigit()))
    {
        (16, hex)
    } else if body.starts_with('0') && body.len() > 1 {
        (8, body)
    } else {
        (10, body)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let value = i64::from_str_radix(&digits[..end], radix).ok()? as f64;
    Some((if negative { -value } else { value }, &digits[end..]))
}

/// `strtod`: the longest prefix that is a decimal number.
fn leading_decimal(text: &str) -> Option<(f64, &str)> {
    let bytes = text.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'-' | b'+')) {
        end = 1;
    }
    let digits_start = end;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    if end < bytes.len() && bytes[end] == b'.' {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    if end == digits_start || text[digits_start..end] == *"." {
        return None;
    }
    if end < bytes.len() && matches!(bytes[end], b'e' | b'E') {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'-' | b'+')) {
            exp += 1;
        }
        if bytes.get(exp).is_some_and(u8::is_ascii_digit) {
            while exp < bytes.len() && bytes[exp].is_ascii_digit() {
                exp += 1;
            }
            end = exp;
        }
    }
    let value = text[..end].parse::<f64>().ok()?;
    Some((value, &text[end..]))
}

/// `value` base units shown with the largest unit that divides it exactly,
/// as `SHOW` does: 524288 (8kB) → `4GB`, 30000 (ms) → `30s`. Values that
/// are not whole, negative or zero are shown bare (in the base unit) with
/// it: `-1`, `0`, `2.5ms`.
pub fn display(value: f64, unit: &str) -> String {
    let Some((kind, base_size)) = base_unit(unit) else {
        return format!("{}{unit}", plain(value));
    };
    if value <= 0.0 || value.fract() != 0.0 {
        return if value == 0.0 || value == -1.0 {
            plain(value)
        } else {
            format!("{}{unit}", plain(value))
        };
    }
    let smallest = value * base_size;
    // Units down to the base unit; kB too for 8kB blocks.
    let shown = |size: f64| size >= base_size || (kind == UnitKind::Memory && size == 1024.0);
    for (name, size) in table(kind).iter().rev() {
        if shown(*size) && smallest % size == 0.0 {
            return format!("{}{name}", plain(smallest / size));
        }
    }
    format!("{}{unit}", plain(value))
}

/// A number without a trailing `.0`.
pub fn plain(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// A memory size in kB written with the largest unit that divides it (kB,
/// MB, GB, TB), as pgtune writes its values.
pub fn format_kb(kb: u64) -> String {
    for (name, size_kb) in [("TB", 1u64 << 30), ("GB", 1 << 20), ("MB", 1 << 10)] {
        if kb >= size_kb && kb.is_multiple_of(size_kb) {
            return format!("{}{name}", kb / size_kb);
        }
    }
    format!("{kb}kB")
}

/// Reads a memory size for people (`16GB`, `512MB`, `16 gb`), in kB.
/// Units are case-insensitive here, unlike in PostgreSQL; a bare number
/// would be a guess (bytes? megabytes?), so it is refused.
pub fn parse_memory_kb(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a memory size like 16GB"))?;
    let unit = unit.trim();
    let kb = match unit.to_ascii_lowercase().as_str() {
        "kb" => 1.0,
        "mb" => 1024.0,
        "gb" => 1024.0 * 1024.0,
        "tb" => 1024.0 * 1024.0 * 1024.0,
        "" => return Err(format!("\"{text}\" needs a unit: kB, MB, GB or TB")),
        _ => {
            return Err(format!(
                "unknown unit \"{unit}\" in \"{text}\": use kB, MB, GB or TB"
            ));
        }
    };
    let total = (number * kb).round();
    if total < 1.0 {
        return Err(format!("\"{text}\" is too small"));
    }
    Ok(total as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks() -> Option<(UnitKind, f64)> {
        base_unit("8kB")
    }

    #[test]
    fn base_units_from_pg_settings() {
        assert_eq!(base_unit("8kB"), Some((UnitKind::Memory, 8192.0)));
        assert_eq!(base_unit("MB"), Some((UnitKind::Memory, 1048576.0)));
        assert_eq!(base_unit("min"), Some((UnitKind::Time, 60_000_000.0)));
        assert_eq!(base_unit("parsecs"), None);
    }

    #[test]
    fn spellings_of_the_same_size_agree() {
        for text in ["4GB", "4096MB", "524288", " 4 GB ", "4194304kB"] {
            assert_eq!(parse_quantity(text, blocks(), true), Ok(524288.0), "{text}");
        }
        let ms = base_unit("ms");
        assert_eq!(parse_quantity("5min", ms, true), Ok(300_000.0));
        assert_eq!(parse_quantity("30s", ms, true), Ok(30_000.0));
        assert_eq!(parse_quantity("-1", ms, true), Ok(-1.0));
        assert_eq!(parse_quantity("1.5s", ms, true), Ok(1500.0));
        assert_eq!(parse_quantity("500us", ms, false), Ok(0.5));
        assert_eq!(parse_quantity("0700", None, true), Ok(448.0));
        assert_eq!(parse_quantity("0x10", None, true), Ok(16.0));
        assert_eq!(parse_quantity("1e3", None, true), Ok(1000.0));
    }

    #[test]
    fn bad_quantities() {
        assert_eq!(
            parse_quantity("4XB", blocks(), true),
            Err(QuantityError::BadUnit("XB".into()))
        );
        assert_eq!(
            parse_quantity("4gb", blocks(), true),
            Err(QuantityError::BadUnit("gb".into()))
        );
        assert_eq!(
            parse_quantity("4s", blocks(), true),
            Err(QuantityError::BadUnit("s".into()))
        );
        assert_eq!(
            parse_quantity("lots", blocks(), true),
            Err(QuantityError::NotANumber)
        );
        assert_eq!(
            parse_quantity("10MB", None, true),
            Err(QuantityError::UnexpectedUnit("MB".into()))
        );
    }

    #[test]
    fn display_like_show() {
        assert_eq!(display(524288.0, "8kB"), "4GB");
        assert_eq!(display(16384.0, "8kB"), "128MB");
        assert_eq!(display(20560.0, "kB"), "20560kB");
        assert_eq!(display(30000.0, "ms"), "30s");
        assert_eq!(display(1024.0, "MB"), "1GB");
        assert_eq!(display(-1.0, "ms"), "-1");
        assert_eq!(display(0.0, "ms"), "0");
        assert_eq!(display(2.5, "ms"), "2.5ms");
        assert_eq!(display(5.0, "min"), "5min");
        assert_eq!(display(16.0, "8kB"), "128kB");
        assert_eq!(display(1.0, "8kB"), "8kB");
    }

    #[test]
    fn memory_for_people() {
        assert_eq!(parse_memory_kb("16GB"), Ok(16 * 1024 * 1024));
        assert_eq!(parse_memory_kb("512 mb"), Ok(512 * 1024));
        assert!(parse_memory_kb("16").is_err());
        assert!(parse_memory_kb("16XB").is_err());
        assert_eq!(format_kb(4 * 1024 * 1024), "4GB");
        assert_eq!(format_kb(16 * 1024), "16MB");
        assert_eq!(format_kb(20560), "20560kB");
    }
}
