//! A technician's profile and its rules: availability, skill level, specialisations, skills with a
//! level 1–5, service areas, work hours and days, and the daily capacity the load is measured against.
//!
//! [`check_profile`] turns a profile as typed (API body or form) into checked values or the list of
//! every problem, each naming its field, so the API and the pages answer alike.

use crate::phone::{Phone, PhoneError};
use chrono::NaiveTime;

crate::str_enum! {
    "availability",
    /// Where a technician stands right now; only `available` ones take new tickets.
    pub enum Availability {
        Available = "available",
        Busy = "busy",
        Break = "break",
        Offline = "offline",
        OnLeave = "on_leave",
    }
}

impl Availability {
    /// Whether a new ticket may be given to them (if active and under capacity).
    pub fn takes_work(self) -> bool {
        self == Availability::Available
    }
}

crate::str_enum! {
    "skill level",
    /// Seniority (spec §2.7 `skill_levels`).
    pub enum SkillLevel {
        Junior = "junior",
        Senior = "senior",
        Expert = "expert",
        Specialist = "specialist",
    }
}

impl SkillLevel {
    /// Tickets a day the spec's master table suggests for this level.
    pub fn suggested_capacity(self) -> i32 {
        match self {
            SkillLevel::Junior => 5,
            SkillLevel::Senior => 8,
            SkillLevel::Expert => 10,
            SkillLevel::Specialist => 12,
        }
    }
}

crate::str_enum! {
    "specialisation",
    /// The fields of work a technician specialises in (spec §2.7 `specialization_categories`).
    pub enum Specialization {
        FtthInstallation = "ftth_installation",
        FtthMaintenance = "ftth_maintenance",
        NetworkInfrastructure = "network_infrastructure",
        NocOperations = "noc_operations",
        CustomerSupport = "customer_support",
        WirelessServices = "wireless_services",
    }
}

crate::str_enum! {
    "work day",
    /// A day of the week a technician works.
    pub enum WorkDay {
        Mon = "mon",
        Tue = "tue",
        Wed = "wed",
        Thu = "thu",
        Fri = "fri",
        Sat = "sat",
        Sun = "sun",
    }
}

/// The usual week of a field technician here: Monday to Saturday.
pub const DEFAULT_WORK_DAYS: &[WorkDay] =
    &[WorkDay::Mon, WorkDay::Tue, WorkDay::Wed, WorkDay::Thu, WorkDay::Fri, WorkDay::Sat];

pub const MIN_SKILL: i32 = 1;
pub const MAX_SKILL: i32 = 5;
pub const MAX_CAPACITY: i32 = 50;
pub const DEFAULT_CAPACITY: i32 = 8;
pub const MAX_AREAS: usize = 20;
pub const MAX_SKILLS: usize = 30;
pub const DEFAULT_WORK_START: &str = "08:00";
pub const DEFAULT_WORK_END: &str = "17:00";

/// One problem with a typed profile. [`field`](Self::field) names the input, [`code`](Self::code)
/// is a stable key for translated messages, `Display` is the English message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TechnicianError {
    #[error("2 to 100 characters")]
    Name,
    #[error("{0}")]
    Phone(PhoneError),
    #[error("2 to 100 characters")]
    Zone,
    #[error("`{0}`: each area 2 to 100 characters")]
    Area(String),
    #[error("at most {MAX_AREAS} service areas")]
    TooManyAreas,
    #[error("`{0}` is not one of junior, senior, expert, specialist")]
    SkillLevel(String),
    #[error("from 1 to {MAX_CAPACITY}")]
    Capacity,
    #[error("`{value}` is not a time such as 08:00")]
    Time { field: &'static str, value: String },
    #[error("must be after work_start")]
    HoursOrder,
    #[error("`{0}`: a skill code is 1 to 50 characters of a-z, 0-9 and _")]
    SkillCode(String),
    #[error("`{code}`: the level must be from {MIN_SKILL} to {MAX_SKILL}, not {level}")]
    SkillRange { code: String, level: i64 },
    #[error("at most {MAX_SKILLS} skills")]
    TooManySkills,
    #[error(
        "`{0}` is not one of ftth_installation, ftth_maintenance, network_infrastructure, noc_operations, customer_support, wireless_services"
    )]
    Specialization(String),
    #[error("`{0}` is not a day such as mon or sat")]
    WorkDay(String),
    #[error("choose at least one work day")]
    NoWorkDays,
    #[error("`{0}` is not one of available, busy, break, offline, on_leave")]
    Availability(String),
}

impl TechnicianError {
    /// The input the problem is in.
    pub fn field(&self) -> &'static str {
        match self {
            TechnicianError::Name => "full_name",
            TechnicianError::Phone(_) => "phone",
            TechnicianError::Zone => "work_zone",
            TechnicianError::Area(_) | TechnicianError::TooManyAreas => "areas",
            TechnicianError::SkillLevel(_) => "skill_level",
            TechnicianError::Capacity => "max_daily_tickets",
            TechnicianError::Time { field, .. } => field,
            TechnicianError::HoursOrder => "work_end",
            TechnicianError::SkillCode(_) | TechnicianError::SkillRange { .. } | TechnicianError::TooManySkills => {
                "skills"
            }
            TechnicianError::Specialization(_) => "specializations",
            TechnicianError::WorkDay(_) | TechnicianError::NoWorkDays => "work_days",
            TechnicianError::Availability(_) => "availability",
        }
    }

    /// A stable key for the message in other languages (`techmgmt.err.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            TechnicianError::Name => "name",
            TechnicianError::Phone(_) => "phone",
            TechnicianError::Zone => "zone",
            TechnicianError::Area(_) => "area",
            TechnicianError::TooManyAreas => "too_many_areas",
            TechnicianError::SkillLevel(_) => "skill_level",
            TechnicianError::Capacity => "capacity",
            TechnicianError::Time { .. } => "time",
            TechnicianError::HoursOrder => "hours_order",
            TechnicianError::SkillCode(_) => "skill_code",
            TechnicianError::SkillRange { .. } => "skill_range",
            TechnicianError::TooManySkills => "too_many_skills",
            TechnicianError::Specialization(_) => "specialization",
            TechnicianError::WorkDay(_) => "work_day",
            TechnicianError::NoWorkDays => "no_work_days",
            TechnicianError::Availability(_) => "availability",
        }
    }

    /// The value the message is about, if any (a skill code, an area, a time).
    pub fn subject(&self) -> Option<&str> {
        match self {
            TechnicianError::Area(v)
            | TechnicianError::SkillLevel(v)
            | TechnicianError::SkillCode(v)
            | TechnicianError::Specialization(v)
            | TechnicianError::WorkDay(v)
            | TechnicianError::Availability(v) => Some(v),
            TechnicianError::Time { value, .. } => Some(value),
            TechnicianError::SkillRange { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Trims and collapses inner whitespace: `"  Karawang   Barat "` → `"Karawang Barat"`.
pub fn tidy(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse_name(raw: &str) -> Result<String, TechnicianError> {
    let name = tidy(raw);
    if (2..=100).contains(&name.chars().count()) { Ok(name) } else { Err(TechnicianError::Name) }
}

/// The stored form `628…`.
pub fn parse_phone(raw: &str) -> Result<String, TechnicianError> {
    Phone::parse(raw).map(|p| p.as_str().to_owned()).map_err(TechnicianError::Phone)
}

pub fn parse_zone(raw: &str) -> Result<String, TechnicianError> {
    let zone = tidy(raw);
    if (2..=100).contains(&zone.chars().count()) { Ok(zone) } else { Err(TechnicianError::Zone) }
}

/// Further service areas besides the home zone: tidied, blanks dropped, repeats (of each other or
/// of the home zone, in any case) dropped, order kept.
pub fn parse_areas(zone: &str, raw: &[String]) -> Result<Vec<String>, TechnicianError> {
    let mut out: Vec<String> = Vec::new();
    for a in raw {
        let a = tidy(a);
        if a.is_empty() {
            continue;
        }
        if !(2..=100).contains(&a.chars().count()) {
            return Err(TechnicianError::Area(a));
        }
        let key = a.to_lowercase();
        if key != zone.to_lowercase() && !out.iter().any(|o| o.to_lowercase() == key) {
            out.push(a);
        }
    }
    if out.len() > MAX_AREAS {
        return Err(TechnicianError::TooManyAreas);
    }
    Ok(out)
}

/// A list typed in one box: areas separated by commas, semicolons or new lines.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split([',', ';', '\n']).map(tidy).filter(|s| !s.is_empty()).collect()
}

pub fn parse_capacity(n: i64) -> Result<i32, TechnicianError> {
    i32::try_from(n).ok().filter(|n| (1..=MAX_CAPACITY).contains(n)).ok_or(TechnicianError::Capacity)
}

/// `HH:MM` (a single-digit hour is accepted: `8:00` → `08:00`).
pub fn parse_time(field: &'static str, raw: &str) -> Result<String, TechnicianError> {
    let v = raw.trim();
    NaiveTime::parse_from_str(v, "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| TechnicianError::Time { field, value: v.to_owned() })
}

/// Start and end of the working day, `HH:MM`, the end after the start (no shift over midnight).
pub fn work_hours(start: &str, end: &str) -> Result<(String, String), TechnicianError> {
    let (start, end) = (parse_time("work_start", start)?, parse_time("work_end", end)?);
    // Zero-padded `HH:MM` sorts as time does.
    if start >= end {
        return Err(TechnicianError::HoursOrder);
    }
    Ok((start, end))
}

/// A skill code (`fiber_splicing`) and its level 1–5.
pub fn parse_skill(code: &str, level: i64) -> Result<(String, i32), TechnicianError> {
    let code = code.trim();
    let ok = (1..=50).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(TechnicianError::SkillCode(code.to_owned()));
    }
    match i32::try_from(level) {
        Ok(l) if (MIN_SKILL..=MAX_SKILL).contains(&l) => Ok((code.to_owned(), l)),
        _ => Err(TechnicianError::SkillRange { code: code.to_owned(), level }),
    }
}

/// Work days, each once, Monday first; at least one.
pub fn parse_work_days(raw: &[String]) -> Result<Vec<WorkDay>, TechnicianError> {
    let mut days = Vec::new();
    for d in raw {
        let day: WorkDay = d.trim().parse().map_err(|_| TechnicianError::WorkDay(d.trim().to_owned()))?;
        if !days.contains(&day) {
            days.push(day);
        }
    }
    if days.is_empty() {
        return Err(TechnicianError::NoWorkDays);
    }
    days.sort();
    Ok(days)
}

pub fn parse_availability(raw: &str) -> Result<Availability, TechnicianError> {
    raw.trim().parse().map_err(|_| TechnicianError::Availability(raw.trim().to_owned()))
}

/// A profile as typed; `None` takes the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawProfile {
    pub full_name: String,
    pub phone: String,
    pub work_zone: String,
    pub areas: Vec<String>,
    pub skill_level: Option<String>,
    pub max_daily_tickets: Option<i64>,
    pub work_start: Option<String>,
    pub work_end: Option<String>,
    /// (code, level)
    pub skills: Vec<(String, i64)>,
    pub specializations: Vec<String>,
    /// `None`: Monday to Saturday.
    pub work_days: Option<Vec<String>>,
}

/// A checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProfile {
    pub full_name: String,
    /// `628…`
    pub phone: String,
    pub work_zone: String,
    /// Service areas besides the home zone.
    pub areas: Vec<String>,
    pub skill_level: SkillLevel,
    pub max_daily_tickets: i32,
    pub work_start: String,
    pub work_end: String,
    /// (code, level 1–5), by code, each code once.
    pub skills: Vec<(String, i32)>,
    pub specializations: Vec<Specialization>,
    pub work_days: Vec<WorkDay>,
}

/// The value, or `None` with the error noted.
fn keep<T>(errors: &mut Vec<TechnicianError>, r: Result<T, TechnicianError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Checks every field; all the problems at once, in field order.
pub fn check_profile(raw: &RawProfile) -> Result<CheckedProfile, Vec<TechnicianError>> {
    let mut errors = Vec::new();
    let full_name = keep(&mut errors, parse_name(&raw.full_name));
    let phone = keep(&mut errors, parse_phone(&raw.phone));
    let work_zone = keep(&mut errors, parse_zone(&raw.work_zone));
    let areas = keep(&mut errors, parse_areas(work_zone.as_deref().unwrap_or_default(), &raw.areas));
    let skill_level = keep(
        &mut errors,
        match raw.skill_level.as_deref().map(str::trim) {
            None | Some("") => Ok(SkillLevel::Junior),
            Some(s) => s.parse().map_err(|_| TechnicianError::SkillLevel(s.to_owned())),
        },
    );
    let max_daily_tickets = keep(&mut errors, raw.max_daily_tickets.map_or(Ok(DEFAULT_CAPACITY), parse_capacity));
    let hours = keep(
        &mut errors,
        work_hours(
            raw.work_start.as_deref().unwrap_or(DEFAULT_WORK_START),
            raw.work_end.as_deref().unwrap_or(DEFAULT_WORK_END),
        ),
    );
    let skills = keep(
        &mut errors,
        (|| {
            let mut skills: Vec<(String, i32)> = Vec::new();
            for (code, level) in &raw.skills {
                let (code, level) = parse_skill(code, *level)?;
                match skills.iter_mut().find(|(c, _)| *c == code) {
                    Some(s) => s.1 = level,
                    None => skills.push((code, level)),
                }
            }
            if skills.len() > MAX_SKILLS {
                return Err(TechnicianError::TooManySkills);
            }
            skills.sort();
            Ok(skills)
        })(),
    );
    let specializations = keep(
        &mut errors,
        (|| {
            let mut out: Vec<Specialization> = Vec::new();
            for s in &raw.specializations {
                let s = s.trim();
                let v: Specialization = s.parse().map_err(|_| TechnicianError::Specialization(s.to_owned()))?;
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            out.sort();
            Ok(out)
        })(),
    );
    let work_days = keep(
        &mut errors,
        match &raw.work_days {
            None => Ok(DEFAULT_WORK_DAYS.to_vec()),
            Some(days) => parse_work_days(days),
        },
    );
    match (
        full_name,
        phone,
        work_zone,
        areas,
        skill_level,
        max_daily_tickets,
        hours,
        skills,
        specializations,
        work_days,
    ) {
        (
            Some(full_name),
            Some(phone),
            Some(work_zone),
            Some(areas),
            Some(skill_level),
            Some(max_daily_tickets),
            Some((work_start, work_end)),
            Some(skills),
            Some(specializations),
            Some(work_days),
        ) if errors.is_empty() => Ok(CheckedProfile {
            full_name,
            phone,
            work_zone,
            areas,
            skill_level,
            max_daily_tickets,
            work_start,
            work_end,
            skills,
            specializations,
            work_days,
        }),
        _ => Err(errors),
    }
}

/// How full a technician's day is, in percent of their capacity (at most 100, for a bar).
pub fn load_percent(load: i64, capacity: i32) -> u32 {
    if capacity <= 0 {
        return if load > 0 { 100 } else { 0 };
    }
    let pct = load.max(0).saturating_mul(100) / i64::from(capacity);
    u32::try_from(pct.min(100)).unwrap_or(100)
}

/// Whether they can take one more ticket as lead.
pub fn has_room(load: i64, capacity: i32) -> bool {
    load < i64::from(capacity)
}

/// A search box's text as the digits of a stored `628…` number, when it looks like (part of) a
/// phone number: `0812-7777` → `8127777`, `+62 812` → `812`. At least 3 digits; `None` otherwise.
pub fn phone_digits(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty() || !q.chars().all(|c| c.is_ascii_digit() || " -.()+".contains(c)) {
        return None;
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let national = if q.starts_with('+') {
        digits.strip_prefix("62").unwrap_or(&digits)
    } else if let Some(n) = digits.strip_prefix('0') {
        n
    } else {
        digits.as_str()
    };
    (national.len() >= 3).then(|| national.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawProfile {
        RawProfile {
            full_name: "  Agus   Setiawan ".into(),
            phone: "0812-7777-1001".into(),
            work_zone: "Karawang Barat".into(),
            ..RawProfile::default()
        }
    }

    #[test]
    fn a_minimal_profile_takes_the_defaults() {
        let p = check_profile(&raw()).expect("valid");
        assert_eq!(p.full_name, "Agus Setiawan");
        assert_eq!(p.phone, "6281277771001");
        assert_eq!(p.skill_level, SkillLevel::Junior);
        assert_eq!(p.max_daily_tickets, DEFAULT_CAPACITY);
        assert_eq!((p.work_start.as_str(), p.work_end.as_str()), ("08:00", "17:00"));
        assert_eq!(p.work_days, DEFAULT_WORK_DAYS);
        assert!(p.skills.is_empty() && p.areas.is_empty() && p.specializations.is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let bad = RawProfile {
            full_name: "A".into(),
            phone: "12345".into(),
            work_zone: " ".into(),
            areas: vec!["X".into()],
            skill_level: Some("guru".into()),
            max_daily_tickets: Some(0),
            work_start: Some("17:00".into()),
            work_end: Some("08:00".into()),
            skills: vec![("fiber_splicing".into(), 6)],
            specializations: vec!["cooking".into()],
            work_days: Some(vec![]),
        };
        let errors = check_profile(&bad).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(TechnicianError::field).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "phone",
                "work_zone",
                "areas",
                "skill_level",
                "max_daily_tickets",
                "work_end",
                "skills",
                "specializations",
                "work_days"
            ]
        );
        assert_eq!(errors[6], TechnicianError::HoursOrder);
        assert_eq!(errors[7].to_string(), "`fiber_splicing`: the level must be from 1 to 5, not 6");
        assert_eq!(errors[7].subject(), Some("fiber_splicing"));
    }

    #[test]
    fn work_hours_must_be_times_in_order() {
        assert_eq!(work_hours("7:30", "16:00"), Ok(("07:30".into(), "16:00".into())));
        assert_eq!(work_hours("08:00", "08:00"), Err(TechnicianError::HoursOrder));
        assert_eq!(work_hours("09:00", "08:59"), Err(TechnicianError::HoursOrder));
        assert_eq!(work_hours("00:00", "23:59"), Ok(("00:00".into(), "23:59".into())));
        let e = work_hours("8 pagi", "17:00").expect_err("not a time");
        assert_eq!((e.field(), e.code()), ("work_start", "time"));
        let e = work_hours("08:00", "24:00").expect_err("no 24:00");
        assert_eq!(e.field(), "work_end");
        assert!(work_hours("08:00", "17:00:00").is_err(), "seconds are not asked for");
    }

    #[test]
    fn skill_levels_run_from_1_to_5_and_codes_are_snake_case() {
        for level in 1..=5 {
            assert_eq!(
                parse_skill("fiber_splicing", level),
                Ok(("fiber_splicing".into(), i32::try_from(level).unwrap_or(0)))
            );
        }
        for level in [0, 6, -1, i64::MAX] {
            assert!(matches!(parse_skill("fiber_splicing", level), Err(TechnicianError::SkillRange { .. })));
        }
        for code in ["", "Fiber", "fiber splicing", "fiber-splicing", &"a".repeat(51)] {
            assert!(matches!(parse_skill(code, 3), Err(TechnicianError::SkillCode(_))), "{code}");
        }
        assert!(parse_skill("olt_management2", 3).is_ok());
    }

    #[test]
    fn repeated_skills_keep_the_last_level_and_sort_by_code() {
        let p = check_profile(&RawProfile {
            skills: vec![("speed_testing".into(), 2), ("fiber_splicing".into(), 4), ("speed_testing".into(), 5)],
            ..raw()
        })
        .expect("valid");
        assert_eq!(p.skills, [("fiber_splicing".to_owned(), 4), ("speed_testing".to_owned(), 5)]);
        let many: Vec<(String, i64)> = (0..31).map(|i| (format!("skill_{i}"), 3)).collect();
        let e = check_profile(&RawProfile { skills: many, ..raw() }).expect_err("too many");
        assert_eq!(e, [TechnicianError::TooManySkills]);
    }

    #[test]
    fn areas_are_tidied_and_repeats_of_the_zone_dropped() {
        let areas = ["Telukjambe".into(), " karawang   barat".into(), "".into(), "TELUKJAMBE".into(), "Klari".into()];
        assert_eq!(parse_areas("Karawang Barat", &areas), Ok(vec!["Telukjambe".into(), "Klari".into()]));
        assert_eq!(parse_areas("Karawang", &["K".into()]), Err(TechnicianError::Area("K".into())));
        let many: Vec<String> = (0..21).map(|i| format!("Area {i}")).collect();
        assert_eq!(parse_areas("Karawang", &many), Err(TechnicianError::TooManyAreas));
        assert_eq!(split_list("Klari, Cikampek;\nTelukjambe ,, "), ["Klari", "Cikampek", "Telukjambe"]);
    }

    #[test]
    fn phones_are_indonesian_numbers() {
        assert_eq!(parse_phone("+62 812-7777-1001"), Ok("6281277771001".into()));
        assert_eq!(parse_phone(""), Err(TechnicianError::Phone(PhoneError::Empty)));
        assert_eq!(parse_phone("+1 555 0100").map_err(|e| e.field()), Err("phone"));
    }

    #[test]
    fn capacity_days_levels_and_availability() {
        assert_eq!(parse_capacity(1), Ok(1));
        assert_eq!(parse_capacity(50), Ok(50));
        for n in [0, 51, -3, i64::MAX] {
            assert_eq!(parse_capacity(n), Err(TechnicianError::Capacity));
        }
        let days = parse_work_days(&["sat".into(), "mon".into(), "sat".into()]).expect("days");
        assert_eq!(days, [WorkDay::Mon, WorkDay::Sat]);
        assert_eq!(parse_work_days(&["minggu".into()]), Err(TechnicianError::WorkDay("minggu".into())));
        assert_eq!(parse_work_days(&[]), Err(TechnicianError::NoWorkDays));
        assert_eq!(parse_availability("on_leave"), Ok(Availability::OnLeave));
        assert_eq!(parse_availability("cuti").map_err(|e| e.code()), Err("availability"));
        assert!(Availability::Available.takes_work());
        assert!(Availability::ALL.iter().filter(|a| a.takes_work()).count() == 1);
        assert_eq!(SkillLevel::Specialist.suggested_capacity(), 12);
        let p = check_profile(&RawProfile {
            skill_level: Some("expert".into()),
            specializations: vec!["ftth_maintenance".into(), "ftth_installation".into(), "ftth_maintenance".into()],
            ..raw()
        })
        .expect("valid");
        assert_eq!(p.skill_level, SkillLevel::Expert);
        assert_eq!(p.specializations, [Specialization::FtthInstallation, Specialization::FtthMaintenance]);
    }

    #[test]
    fn every_error_has_a_field_a_code_and_a_message() {
        let all = [
            TechnicianError::Name,
            TechnicianError::Phone(PhoneError::BadLength),
            TechnicianError::Zone,
            TechnicianError::Area("x".into()),
            TechnicianError::TooManyAreas,
            TechnicianError::SkillLevel("x".into()),
            TechnicianError::Capacity,
            TechnicianError::Time { field: "work_start", value: "x".into() },
            TechnicianError::HoursOrder,
            TechnicianError::SkillCode("x".into()),
            TechnicianError::SkillRange { code: "x".into(), level: 9 },
            TechnicianError::TooManySkills,
            TechnicianError::Specialization("x".into()),
            TechnicianError::WorkDay("x".into()),
            TechnicianError::NoWorkDays,
            TechnicianError::Availability("x".into()),
        ];
        let codes: std::collections::BTreeSet<&str> = all.iter().map(TechnicianError::code).collect();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
        assert!(all.iter().all(|e| !e.to_string().is_empty() && !e.field().is_empty()));
    }

    #[test]
    fn the_load_bar_is_a_share_of_capacity() {
        assert_eq!(load_percent(0, 8), 0);
        assert_eq!(load_percent(2, 8), 25);
        assert_eq!(load_percent(8, 8), 100);
        assert_eq!(load_percent(12, 8), 100, "over capacity still fills the bar once");
        assert_eq!(load_percent(1, 0), 100);
        assert_eq!(load_percent(-1, 8), 0);
        assert!(has_room(7, 8) && !has_room(8, 8));
    }

    #[test]
    fn a_search_for_a_phone_number_matches_the_stored_digits() {
        assert_eq!(phone_digits("0812-7777"), Some("8127777".into()));
        assert_eq!(phone_digits("+62 812 7777"), Some("8127777".into()));
        assert_eq!(phone_digits("62812"), Some("62812".into()), "without + it may be any part");
        assert_eq!(phone_digits("7777"), Some("7777".into()));
        assert_eq!(phone_digits("08"), None, "too short to mean anything");
        assert_eq!(phone_digits("Agus"), None);
        assert_eq!(phone_digits("TEC0001"), None);
    }
}
