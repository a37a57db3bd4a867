//! Master data staff edit instead of code (issue 22): ticket categories per ticket type, the skill
//! catalogue (each skill in a field of work and serving some ticket types, which is what the
//! assignment suggestions look for), and the service areas technicians work in.
//!
//! The checks here turn what was typed into checked values or every problem, each naming its
//! field; `Display` is the English message and [`MasterError::key`] the translated one's key.

use crate::technician::Specialization;
use crate::ticket::TicketType;

/// Most minutes a category's job may be estimated at (two working days).
pub const MAX_MINUTES: i64 = 960;

/// One problem with typed master data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterError {
    #[error("2 to 50 characters: lower-case letters, digits and _, starting with a letter")]
    Code,
    #[error("2 to 100 characters")]
    Name(&'static str),
    #[error("`{0}` is not a ticket type")]
    TicketType(String),
    #[error("a whole number of minutes from 15 to {MAX_MINUTES}")]
    Minutes,
    #[error("`{0}` is not a field of work")]
    Specialization(String),
    #[error("choose at least one ticket type")]
    NoTicketTypes,
    #[error("at most 100 characters")]
    City,
}

impl MasterError {
    /// The input it is about.
    pub fn field(&self) -> &'static str {
        match self {
            MasterError::Code => "code",
            MasterError::Name(field) => field,
            MasterError::TicketType(_) => "ticket_type",
            MasterError::Minutes => "minutes",
            MasterError::Specialization(_) => "specialization",
            MasterError::NoTicketTypes => "ticket_types",
            MasterError::City => "city",
        }
    }

    /// The key of the translated message (`master.err.<key>`).
    pub fn key(&self) -> &'static str {
        match self {
            MasterError::Code => "code",
            MasterError::Name(_) => "name",
            MasterError::TicketType(_) => "ticket_type",
            MasterError::Minutes => "minutes",
            MasterError::Specialization(_) => "specialization",
            MasterError::NoTicketTypes => "no_ticket_types",
            MasterError::City => "city",
        }
    }

    /// The value it names, if any (for the translated message's `{value}`).
    pub fn value(&self) -> &str {
        match self {
            MasterError::TicketType(v) | MasterError::Specialization(v) => v,
            _ => "",
        }
    }
}

/// Runs of white space as one space, trimmed; NUL dropped (no text column holds it).
fn tidy(raw: &str) -> String {
    raw.split_whitespace().map(|w| w.replace('\0', "")).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A stable code: `fiber_splicing` (as typed: a space is no part of a code).
pub fn parse_code(raw: &str) -> Result<String, MasterError> {
    let code = raw;
    let ok = (2..=50).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(code.to_owned()) } else { Err(MasterError::Code) }
}

fn parse_name(field: &'static str, raw: &str) -> Result<String, MasterError> {
    let name = tidy(raw);
    if (2..=100).contains(&name.chars().count()) { Ok(name) } else { Err(MasterError::Name(field)) }
}

/// An English name may be left empty: the Indonesian one is shown instead.
fn parse_optional_name(field: &'static str, raw: &str) -> Result<String, MasterError> {
    if raw.is_empty() { Ok(String::new()) } else { parse_name(field, raw) }
}

fn collect<T>(problems: Vec<MasterError>, value: impl FnOnce() -> T) -> Result<T, Vec<MasterError>> {
    if problems.is_empty() { Ok(value()) } else { Err(problems) }
}

/// A ticket category as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCategory {
    pub ticket_type: String,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub minutes: i64,
}

/// A checked ticket category: what kind of job within a ticket type, and how long it usually takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub ticket_type: TicketType,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub minutes: i32,
}

pub fn check_category(raw: &RawCategory) -> Result<Category, Vec<MasterError>> {
    let mut problems = Vec::new();
    let ticket_type = raw
        .ticket_type
        .trim()
        .parse::<TicketType>()
        .map_err(|_| problems.push(MasterError::TicketType(raw.ticket_type.trim().to_owned())))
        .ok();
    let code = parse_code(&raw.code).map_err(|e| problems.push(e)).ok();
    let name_id = parse_name("name_id", &raw.name_id).map_err(|e| problems.push(e)).ok();
    let name_en = parse_optional_name("name_en", &raw.name_en).map_err(|e| problems.push(e)).ok();
    let minutes = i32::try_from(raw.minutes)
        .ok()
        .filter(|m| (15..=MAX_MINUTES).contains(&i64::from(*m)))
        .ok_or(MasterError::Minutes)
        .map_err(|e| problems.push(e))
        .ok();
    collect(problems, || Category {
        ticket_type: ticket_type.unwrap_or(TicketType::Repair),
        code: code.unwrap_or_default(),
        name_id: name_id.unwrap_or_default(),
        name_en: name_en.unwrap_or_default(),
        minutes: minutes.unwrap_or_default(),
    })
}

/// A catalogue skill as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSkill {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub specialization: String,
    pub ticket_types: Vec<String>,
}

/// A checked skill: its field of work and the ticket types it serves (the suggestions rank
/// technicians by their level in the skills a ticket's type calls for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub specialization: Specialization,
    pub ticket_types: Vec<TicketType>,
}

pub fn check_skill(raw: &RawSkill) -> Result<Skill, Vec<MasterError>> {
    let mut problems = Vec::new();
    let code = parse_code(&raw.code).map_err(|e| problems.push(e)).ok();
    let name_id = parse_name("name_id", &raw.name_id).map_err(|e| problems.push(e)).ok();
    let name_en = parse_optional_name("name_en", &raw.name_en).map_err(|e| problems.push(e)).ok();
    let specialization = raw
        .specialization
        .trim()
        .parse::<Specialization>()
        .map_err(|_| problems.push(MasterError::Specialization(raw.specialization.trim().to_owned())))
        .ok();
    let mut types = Vec::new();
    for t in raw.ticket_types.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        match t.parse::<TicketType>() {
            Ok(t) if !types.contains(&t) => types.push(t),
            Ok(_) => {}
            Err(_) => problems.push(MasterError::TicketType(t.to_owned())),
        }
    }
    if types.is_empty() && !problems.iter().any(|p| matches!(p, MasterError::TicketType(_))) {
        problems.push(MasterError::NoTicketTypes);
    }
    types.sort_by_key(|t| TicketType::ALL.iter().position(|x| x == t));
    collect(problems, || Skill {
        code: code.unwrap_or_default(),
        name_id: name_id.unwrap_or_default(),
        name_en: name_en.unwrap_or_default(),
        specialization: specialization.unwrap_or(Specialization::FtthInstallation),
        ticket_types: types,
    })
}

/// Ticket types as stored with a skill: `installation,repair`.
pub fn join_types(types: &[TicketType]) -> String {
    types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
}

/// The stored list read back; anything unknown is dropped.
pub fn split_types(stored: &str) -> Vec<TicketType> {
    stored.split(',').filter_map(|t| t.trim().parse().ok()).collect()
}

/// A service area as typed: its name and the city or regency it lies in.
pub fn check_area(name: &str, city: &str) -> Result<(String, String), Vec<MasterError>> {
    let mut problems = Vec::new();
    let name = parse_name("name", name).map_err(|e| problems.push(e)).ok();
    let city = tidy(city);
    if city.chars().count() > 100 {
        problems.push(MasterError::City);
    }
    collect(problems, || (name.unwrap_or_default(), city))
}

/// The area a place is in: of the area names found in it as whole words (ignoring case), the
/// first, as an Indonesian address goes from the street to the regency ("Klari, Karawang" is in
/// Klari); of names starting at the same word, the longest ("Karawang Barat", not "Karawang").
pub fn area_of<'a>(place: &str, areas: &'a [String]) -> Option<&'a str> {
    let words: Vec<String> =
        place.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    areas
        .iter()
        .filter_map(|a| {
            let wanted: Vec<String> = a.split_whitespace().map(str::to_lowercase).collect();
            if wanted.is_empty() {
                return None;
            }
            let at = words.windows(wanted.len()).position(|w| w == wanted.as_slice())?;
            Some((at, std::cmp::Reverse(wanted.len()), a))
        })
        .min()
        .map(|(_, _, a)| a.as_str())
}

/// The skills the catalogue names for ticket type `t`, from (code, ticket types) pairs.
pub fn skills_for(t: TicketType, catalogue: &[(String, Vec<TicketType>)]) -> Vec<&str> {
    catalogue.iter().filter(|(_, types)| types.contains(&t)).map(|(code, _)| code.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_category() -> RawCategory {
        RawCategory {
            ticket_type: "repair".into(),
            code: "red_light".into(),
            name_id: "  Lampu   LOS merah ".into(),
            name_en: String::new(),
            minutes: 90,
        }
    }

    #[test]
    fn a_category_is_tidied_and_an_english_name_may_be_left_out() {
        let c = check_category(&raw_category()).expect("valid");
        assert_eq!(c.ticket_type, TicketType::Repair);
        assert_eq!(c.name_id, "Lampu LOS merah");
        assert_eq!(c.name_en, "");
        assert_eq!(c.minutes, 90);
    }

    #[test]
    fn every_problem_of_a_category_is_named() {
        let raw = RawCategory {
            ticket_type: "cooking".into(),
            code: "Red Light".into(),
            name_id: "x".into(),
            name_en: "y".into(),
            minutes: 5,
        };
        let fields: Vec<&str> = check_category(&raw).expect_err("invalid").iter().map(MasterError::field).collect();
        assert_eq!(fields, ["ticket_type", "code", "name_id", "name_en", "minutes"]);
        let too_long = RawCategory { minutes: MAX_MINUTES + 1, ..raw_category() };
        assert_eq!(check_category(&too_long), Err(vec![MasterError::Minutes]));
        assert!(check_category(&RawCategory { minutes: MAX_MINUTES, ..raw_category() }).is_ok());
    }

    #[test]
    fn codes_are_lower_case_words() {
        assert_eq!(parse_code("fiber_splicing"), Ok("fiber_splicing".into()));
        for bad in ["", "a", " fiber_splicing", "1abc", "Fiber", "fiber-splicing", "fiber splicing", &"a".repeat(51)] {
            assert_eq!(parse_code(bad), Err(MasterError::Code), "{bad:?}");
        }
    }

    #[test]
    fn a_skill_needs_a_field_of_work_and_the_ticket_types_it_serves() {
        let raw = RawSkill {
            code: "fiber_splicing".into(),
            name_id: "Penyambungan fiber".into(),
            name_en: "Fibre splicing".into(),
            specialization: "ftth_maintenance".into(),
            ticket_types: vec!["repair".into(), "installation".into(), "repair".into(), " ".into()],
        };
        let s = check_skill(&raw).expect("valid");
        assert_eq!(s.ticket_types, [TicketType::Installation, TicketType::Repair]);
        assert_eq!(join_types(&s.ticket_types), "installation,repair");
        assert_eq!(split_types("installation,repair,gone"), [TicketType::Installation, TicketType::Repair]);
        let none = RawSkill { ticket_types: vec![], ..raw.clone() };
        assert_eq!(check_skill(&none), Err(vec![MasterError::NoTicketTypes]));
        let bad = RawSkill { specialization: "cooking".into(), ticket_types: vec!["flying".into()], ..raw };
        assert_eq!(
            check_skill(&bad),
            Err(vec![MasterError::Specialization("cooking".into()), MasterError::TicketType("flying".into())])
        );
    }

    #[test]
    fn an_area_has_a_name_and_maybe_a_city() {
        assert_eq!(
            check_area(" Karawang  Barat ", "Kab. Karawang"),
            Ok(("Karawang Barat".into(), "Kab. Karawang".into()))
        );
        assert_eq!(check_area("K", ""), Err(vec![MasterError::Name("name")]));
        // PostgreSQL refuses NUL in text: it is dropped.
        assert_eq!(check_area("Kar\0awang", "Kab.\0"), Ok(("Karawang".into(), "Kab.".into())));
        assert_eq!(check_area("Cikarang", &"x".repeat(101)), Err(vec![MasterError::City]));
    }

    #[test]
    fn a_place_is_in_the_first_area_named_in_it_as_whole_words() {
        let areas: Vec<String> =
            ["Karawang", "Karawang Barat", "Bekasi Timur", "Tambun"].iter().map(|a| (*a).to_owned()).collect();
        assert_eq!(area_of("Jl. Tuparev No. 15, KARAWANG BARAT", &areas), Some("Karawang Barat"));
        assert_eq!(area_of("Perum Galuh Mas, Karawang", &areas), Some("Karawang"));
        assert_eq!(area_of("Jl. Raya 8, Tambun, Karawang Barat", &areas), Some("Tambun"));
        assert_eq!(area_of("Jl. Tambunan 3, Medan", &areas), None);
        assert_eq!(area_of("", &areas), None);
    }

    #[test]
    fn the_catalogue_says_which_skills_a_ticket_type_calls_for() {
        let catalogue = vec![
            ("fiber_splicing".to_owned(), vec![TicketType::Repair, TicketType::Installation]),
            ("wifi_setup".to_owned(), vec![TicketType::WifiSetup]),
        ];
        assert_eq!(skills_for(TicketType::Repair, &catalogue), ["fiber_splicing"]);
        assert_eq!(skills_for(TicketType::WifiSetup, &catalogue), ["wifi_setup"]);
        assert!(skills_for(TicketType::Survey, &catalogue).is_empty());
    }
}
