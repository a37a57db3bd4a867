//! OpenAPI schemas of values whose Rust type says less than the rule the server checks: dates in
//! the accepted years, a day or a time, a text that must hold a visible character. Used with
//! `#[schema(schema_with = …)]` and `#[param(schema_with = …)]`, so that the document states
//! exactly what the server accepts (the fuzz stage of `cargo xtask test` holds it to that).

use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};

/// A real date `YYYY-MM-DD` in the years 2000–2100 (leap years included, 2100 is not one).
pub const DATE_2000_2100: &str = "^(20[0-9]{2}|2100)-(((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01]))|((0[469]|11)-(0[1-9]|[12][0-9]|30))|(02-(0[1-9]|1[0-9]|2[0-8])))$|^20([02468][048]|[13579][26])-02-29$";

/// A text with at least one character that is not white space (the server trims).
/// Not white space as Rust trims it: ECMAScript's `\\s` (the patterns' dialect) leaves out U+0085,
/// which `str::trim` removes, so a text of only that would pass the schema and fail the check.
pub const VISIBLE: &str = "[^\\s\\u0085]";

/// One line: no control characters, at least one that is not white space.
pub const LINE: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$";

/// A day of the years 2000–2100, `YYYY-MM-DD`.
pub fn date() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(DATE_2000_2100)).examples(["2026-12-25"])
}

/// A day `YYYY-MM-DD` (Asia/Jakarta) or an RFC 3339 time.
pub fn day_or_time() -> AnyOfBuilder {
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
}

/// A text of at most `max` characters that, trimmed, still has at least `min` (≥ 1): the
/// pattern asks for visible characters `min - 1` apart.
pub fn text(min: usize, max: usize) -> ObjectBuilder {
    let pattern = match min {
        0 | 1 => VISIBLE.to_owned(),
        n => format!("{VISIBLE}[\\s\\S]{{{},}}{VISIBLE}", n - 2),
    };
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(min)).max_length(Some(max)).pattern(Some(pattern))
}

/// For an optional body field whose schema has no `null` (a `schema_with` of one type): left out
/// is `None`, `null` is refused, as the document says.
pub fn non_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    match <Option<T> as serde::Deserialize>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom("must not be null: leave the field out instead")),
    }
}

/// Whole rupiah: a number, or text such as `199900`, `199.900` or `Rp 199.900`.
pub fn rupiah() -> AnyOfBuilder {
    use aglis_core::money::MAX_PRICE;
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)).maximum(Some(MAX_PRICE)))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^(Rp ?)?([0-9]{1,9}|[0-9]{1,3}(\\.[0-9]{3}){1,2})$"))
                .examples(["199.900"]),
        )
}

/// An ODP code such as `ODP-KRW-001-A12` (any case: stored in capitals).
pub fn odp_code() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z0-9][A-Za-z0-9-]{2,39}$"))
        .examples(["ODP-KRW-001-A12"])
}

pub fn latitude() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Number).minimum(Some(-90.0)).maximum(Some(90.0))
}

pub fn longitude() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Number).minimum(Some(-180.0)).maximum(Some(180.0))
}

/// One of `values`, as text.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.into_iter().collect::<Vec<_>>()))
}

/// One of the text enum `T`'s values, or an empty text (a filter left empty: any).
pub fn or_empty<T: utoipa::PartialSchema>() -> ObjectBuilder {
    let values: Vec<serde_json::Value> = match T::schema() {
        utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(o)) => o.enum_values.unwrap_or_default(),
        _ => Vec::new(),
    };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().chain([serde_json::Value::String(String::new())])))
}

/// [`day_or_time`], or an empty text (no bound).
pub fn day_time_or_empty() -> AnyOfBuilder {
    day_or_time().item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)))
}

/// An alert rule's code, or `all`.
pub fn rule_or_all() -> ObjectBuilder {
    use aglis_core::alerting::RuleCode;
    one_of(RuleCode::ALL.iter().map(|r| r.as_str()).chain(["all", ""]))
}

/// An error group's status, or `all`.
pub fn error_status_or_all() -> ObjectBuilder {
    use aglis_core::alerting::ErrorStatus;
    one_of(ErrorStatus::ALL.iter().map(|r| r.as_str()).chain(["all", ""]))
}

/// One line of `min`–`max` characters (see [`LINE`]).
pub fn line(min: usize, max: usize) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(min)).max_length(Some(max)).pattern(Some(LINE))
}

/// An Indonesian mobile or landline number in one of its plain forms (`0812…`, `62812…`,
/// `+62812…`): 9–13 digits after the country code. The server also takes spaces, dashes, dots
/// and brackets between the digits.
pub const PHONE: &str = "^(\\+62|62|0)[1-9][0-9]{8,12}$";

/// An e-mail address of plain ASCII (the server takes any `local@domain.tld`).
pub const EMAIL: &str = "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$";

pub fn phone() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(PHONE)).examples(["081234567890"])
}

pub fn email() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(254))
        .pattern(Some(EMAIL))
        .examples(["budi.santoso@contoh.co.id"])
}

/// A phone number, or an empty text that removes it.
pub fn phone_or_empty() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(format!("^$|{PHONE}")))
}

/// An e-mail address, or an empty text that removes it.
pub fn email_or_empty() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).max_length(Some(254)).pattern(Some(format!("^$|{EMAIL}")))
}

/// A login name: 3–50 of `a-z 0-9 . _ -`, starting with a letter or digit (any case: stored lowercase).
pub fn username() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z0-9][A-Za-z0-9._-]{2,49}$"))
        .examples(["budi.santoso"])
}

/// A new password: 8–128 characters.
pub fn new_password() -> ObjectBuilder {
    use aglis_core::user::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(MIN_PASSWORD_LEN)).max_length(Some(MAX_PASSWORD_LEN))
}

/// A person's full name: 1–100 characters, one visible.
pub fn full_name() -> ObjectBuilder {
    text(1, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_pattern_is_exactly_the_real_days_of_2000_to_2100() {
        let re = regex::Regex::new(DATE_2000_2100).expect("pattern");
        let mut day = chrono::NaiveDate::from_ymd_opt(1999, 12, 1).expect("day");
        let last = chrono::NaiveDate::from_ymd_opt(2101, 1, 31).expect("day");
        while day <= last {
            let text = day.format("%Y-%m-%d").to_string();
            let inside = (2000..=2100).contains(&chrono::Datelike::year(&day));
            assert_eq!(re.is_match(&text), inside, "{text}");
            day = day.succ_opt().expect("next");
        }
        let line = regex::Regex::new(LINE).expect("pattern");
        for (text, ok) in [("Idul Fitri", true), (" x ", true), ("   ", false), ("a\u{7}b", false), ("a\nb", false)] {
            assert_eq!(line.is_match(text), ok, "{text:?}");
        }
        let phone = regex::Regex::new(PHONE).expect("pattern");
        for raw in ["081234567890", "6281234567", "+62812345678901", "0211234567", "0621234567890"] {
            assert_eq!(phone.is_match(raw), aglis_core::phone::Phone::parse(raw).is_ok(), "{raw}");
        }
        for (min, text, ok) in
            [(2, "ab", true), (2, " a ", false), (3, "a b", true), (3, "ab ", false), (5, "Jl. A", true)]
        {
            let schema = utoipa::openapi::Schema::Object(super::text(min, 100).build());
            let pattern = serde_json::to_value(&schema).expect("json")["pattern"].as_str().expect("pattern").to_owned();
            let trimmed_ok = text.trim().chars().count() >= min;
            assert_eq!(regex::Regex::new(&pattern).expect("pattern").is_match(text), ok, "{min} {text:?}");
            assert_eq!(trimmed_ok, ok);
        }
        for wrong in ["2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-1-01", "x2026-01-01"]
        {
            assert!(!re.is_match(wrong), "{wrong}");
        }
    }
}
