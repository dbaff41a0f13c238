//! Database encodings, written as `pg_encoding_to_char` prints them
//! (`UTF8`, `LATIN1`, `ISO_8859_5`). PostgreSQL accepts aliases at
//! creation, but the live database reports the canonical name; comparing
//! an alias would report a change that can never be applied.

/// The encodings a database may use, canonical spelling.
const SERVER_ENCODINGS: &[&str] = &[
    "SQL_ASCII",
    "EUC_JP",
    "EUC_CN",
    "EUC_KR",
    "EUC_TW",
    "EUC_JIS_2004",
    "UTF8",
    "MULE_INTERNAL",
    "LATIN1",
    "LATIN2",
    "LATIN3",
    "LATIN4",
    "LATIN5",
    "LATIN6",
    "LATIN7",
    "LATIN8",
    "LATIN9",
    "LATIN10",
    "WIN1256",
    "WIN1258",
    "WIN866",
    "WIN874",
    "KOI8R",
    "WIN1251",
    "WIN1252",
    "ISO_8859_5",
    "ISO_8859_6",
    "ISO_8859_7",
    "ISO_8859_8",
    "WIN1250",
    "WIN1253",
    "WIN1254",
    "WIN1255",
    "WIN1257",
    "KOI8U",
];

/// Encodings only clients may use.
const CLIENT_ENCODINGS: &[&str] = &[
    "SJIS",
    "BIG5",
    "GBK",
    "UHC",
    "GB18030",
    "JOHAB",
    "SHIFT_JIS_2004",
];

/// Aliases PostgreSQL knows, compared without separators (as it does).
const ALIASES: &[(&str, &str)] = &[
    ("UNICODE", "UTF8"),
    ("ISO88591", "LATIN1"),
    ("ISO88592", "LATIN2"),
    ("ISO88593", "LATIN3"),
    ("ISO88594", "LATIN4"),
    ("ISO88599", "LATIN5"),
    ("ISO885910", "LATIN6"),
    ("ISO885913", "LATIN7"),
    ("ISO885914", "LATIN8"),
    ("ISO885915", "LATIN9"),
    ("ISO885916", "LATIN10"),
    ("KOI8", "KOI8R"),
    ("ALT", "WIN866"),
    ("WIN", "WIN1251"),
    ("ABC", "WIN1258"),
    ("TCVN", "WIN1258"),
    ("TCVN5712", "WIN1258"),
    ("VSCII", "WIN1258"),
];

/// Upper case without `-`, `_`, spaces or dots: how PostgreSQL matches names.
fn squeeze(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The canonical name of `text`, or a message saying why it is refused.
pub(crate) fn normalize(text: &str) -> Result<String, String> {
    let mut key = squeeze(text);
    if let Some(windows) = key.strip_prefix("WINDOWS") {
        key = format!("WIN{windows}");
    }
    if let Some((_, canonical)) = ALIASES.iter().find(|(alias, _)| *alias == key) {
        return Ok((*canonical).to_string());
    }
    if let Some(canonical) = SERVER_ENCODINGS.iter().find(|name| squeeze(name) == key) {
        return Ok((*canonical).to_string());
    }
    if let Some(client) = CLIENT_ENCODINGS.iter().find(|name| squeeze(name) == key) {
        return Err(format!(
            "encoding {client} is for clients only; a database cannot use it"
        ));
    }
    Err(format!("unknown encoding \"{text}\""))
}

/// Candidates for a did-you-mean hint.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    SERVER_ENCODINGS.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn canonical_names() {
        let table = [
            ("UTF8", "UTF8"),
            ("utf8", "UTF8"),
            ("UTF-8", "UTF8"),
            ("utf-8", "UTF8"),
            ("unicode", "UTF8"),
            ("sql_ascii", "SQL_ASCII"),
            ("SQL-ASCII", "SQL_ASCII"),
            ("latin1", "LATIN1"),
            ("ISO-8859-1", "LATIN1"),
            ("iso8859-15", "LATIN9"),
            ("iso-8859-5", "ISO_8859_5"),
            ("ISO_8859_8", "ISO_8859_8"),
            ("euc-jp", "EUC_JP"),
            ("windows-1252", "WIN1252"),
            ("win1251", "WIN1251"),
            ("koi8-r", "KOI8R"),
            (" Latin10 ", "LATIN10"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn refused_names() {
        assert_eq!(
            normalize("sjis"),
            Err("encoding SJIS is for clients only; a database cannot use it".to_string())
        );
        assert_eq!(
            normalize("utf9"),
            Err("unknown encoding \"utf9\"".to_string())
        );
        assert_eq!(normalize(""), Err("unknown encoding \"\"".to_string()));
    }
}
