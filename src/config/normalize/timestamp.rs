//! `valid_until` timestamps, normalised to UTC `YYYY-MM-DDTHH:MM:SSZ`.
//! Hand-written because the accepted forms are few and a date crate would
//! be a large dependency for them.

/// The accepted forms, for hints.
pub(crate) const FORMS: &str = "YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DDTHH:MM[:SS], with an optional Z or ±HH[:MM] offset (default UTC), or infinity";

/// Normalises `text`, or says what is wrong with it.
pub(crate) fn normalize(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("infinity") {
        return Ok("infinity".to_string());
    }
    let mut cursor = Cursor { rest: text };
    let year = cursor.digits(4, "year")?;
    cursor.expect('-')?;
    let month = cursor.digits(2, "month")?;
    cursor.expect('-')?;
    let day = cursor.digits(2, "day")?;
    let (mut hour, mut minute, mut second, mut offset) = (0, 0, 0, 0);
    if !cursor.rest.is_empty() {
        if !(cursor.eat(' ') || cursor.eat('T') || cursor.eat('t')) {
            return Err("expected a space or T between the date and the time".to_string());
        }
        hour = cursor.digits(2, "hour")?;
        cursor.expect(':')?;
        minute = cursor.digits(2, "minute")?;
        if cursor.eat(':') {
            second = cursor.digits(2, "second")?;
        }
        if cursor.rest.starts_with('.') {
            return Err("fractional seconds are not supported".to_string());
        }
        cursor.eat(' ');
        offset = cursor.offset()?;
        if !cursor.rest.is_empty() {
            return Err(format!("unexpected \"{}\" at the end", cursor.rest));
        }
    }
    if !(1..=9999).contains(&year) {
        return Err("year out of range".to_string());
    }
    if !(1..=12).contains(&month) {
        return Err("month must be between 01 and 12".to_string());
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(format!("day out of range for {year:04}-{month:02}"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time out of range".to_string());
    }
    // Local time = UTC + offset, and an offset is less than a day, so the
    // date moves by at most one day.
    let mut minutes = i64::from(hour * 60 + minute) - offset;
    let (mut year, mut month, mut day) = (year, month, day);
    if minutes < 0 {
        minutes += 24 * 60;
        (year, month, day) = previous_day(year, month, day);
    } else if minutes >= 24 * 60 {
        minutes -= 24 * 60;
        (year, month, day) = next_day(year, month, day);
    }
    if !(1..=9999).contains(&year) {
        return Err("year out of range".to_string());
    }
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{second:02}Z",
        minutes / 60,
        minutes % 60
    ))
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn previous_day(year: u32, month: u32, day: u32) -> (u32, u32, u32) {
    match (month, day) {
        (1, 1) => (year.wrapping_sub(1), 12, 31),
        (_, 1) => (year, month - 1, days_in_month(year, month - 1)),
        _ => (year, month, day - 1),
    }
}

fn next_day(year: u32, month: u32, day: u32) -> (u32, u32, u32) {
    if day < days_in_month(year, month) {
        (year, month, day + 1)
    } else if month < 12 {
        (year, month + 1, 1)
    } else {
        (year + 1, 1, 1)
    }
}

struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected \"{c}\""))
        }
    }

    fn digits(&mut self, count: usize, what: &str) -> Result<u32, String> {
        let digits = self
            .rest
            .get(..count)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
        let digits = digits.ok_or_else(|| format!("expected a {count}-digit {what}"))?;
        self.rest = &self.rest[count..];
        digits
            .parse()
            .map_err(|_| format!("expected a {count}-digit {what}"))
    }

    /// `Z`, `±HH`, `±HH:MM` or `±HHMM`, in minutes east of UTC; none is UTC.
    fn offset(&mut self) -> Result<i64, String> {
        if self.rest.is_empty() || self.eat('Z') || self.eat('z') {
            return Ok(0);
        }
        let sign = if self.eat('+') {
            1
        } else if self.eat('-') {
            -1
        } else {
            return Err(format!("unexpected \"{}\" after the time", self.rest));
        };
        let hours = self.digits(2, "offset hour")?;
        let minutes = if self.eat(':') || self.rest.len() == 2 {
            self.digits(2, "offset minute")?
        } else {
            0
        };
        if hours > 15 || minutes > 59 {
            return Err("offset out of range".to_string());
        }
        Ok(sign * i64::from(hours * 60 + minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn accepted_forms() {
        let table = [
            ("2027-12-31", "2027-12-31T00:00:00Z"),
            ("infinity", "infinity"),
            ("Infinity", "infinity"),
            ("2027-12-31 23:59", "2027-12-31T23:59:00Z"),
            ("2027-12-31 23:59:58", "2027-12-31T23:59:58Z"),
            ("2027-12-31T23:59:58", "2027-12-31T23:59:58Z"),
            ("2027-12-31T23:59:58Z", "2027-12-31T23:59:58Z"),
            ("2027-06-15T12:00:00+02:00", "2027-06-15T10:00:00Z"),
            ("2027-06-15 12:00 -05", "2027-06-15T17:00:00Z"),
            ("2027-06-15T12:00+0530", "2027-06-15T06:30:00Z"),
            // Offsets that cross midnight, month, year and leap-day boundaries.
            ("2027-01-01T01:00:00+02:00", "2026-12-31T23:00:00Z"),
            ("2027-12-31T22:00:00-03:00", "2028-01-01T01:00:00Z"),
            ("2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"),
            ("2023-03-01T00:30:00+01:00", "2023-02-28T23:30:00Z"),
            ("2024-02-28T23:00:00-02:00", "2024-02-29T01:00:00Z"),
            ("2024-04-30T23:00:00-02:00", "2024-05-01T01:00:00Z"),
            ("2000-02-29", "2000-02-29T00:00:00Z"),
            ("  2027-12-31  ", "2027-12-31T00:00:00Z"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn rejected_forms() {
        let table = [
            ("2027-13-01", "month must be between 01 and 12"),
            ("2027-00-01", "month must be between 01 and 12"),
            ("2023-02-29", "day out of range for 2023-02"),
            ("1900-02-29", "day out of range for 1900-02"),
            ("2027-04-31", "day out of range for 2027-04"),
            ("2027-04-00", "day out of range for 2027-04"),
            ("2027-12-31 24:00", "time out of range"),
            ("2027-12-31 12:60", "time out of range"),
            (
                "2027-12-31 12:00:00.5",
                "fractional seconds are not supported",
            ),
            ("2027-12-31 12:00 +16", "offset out of range"),
            ("27-12-31", "expected a 4-digit year"),
            ("2027/12/31", "expected \"-\""),
            ("tomorrow", "expected a 4-digit year"),
            ("2027-12-31 noon", "expected a 2-digit hour"),
            ("2027-12-31 12:00 UTC", "unexpected \"UTC\" after the time"),
            ("0001-01-01T00:00:00+01:00", "year out of range"),
            ("", "expected a 4-digit year"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input), Err(expected.to_string()), "{input}");
        }
    }
}
