//! Which technician should take a ticket: ranked by skill match, area, availability and load.
//!
//! The skills a ticket's type calls for and the areas come from the master data (see
//! [`crate::master`]): the ranking is told them, it knows no codes of its own.

/// A technician as the ranking sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub work_zone: String,
    /// Further service areas besides the home zone.
    pub areas: Vec<String>,
    pub available: bool,
    /// Active tickets they lead now.
    pub load: i64,
    pub capacity: i64,
    /// (skill code, level 1–5)
    pub skills: Vec<(String, i32)>,
}

/// A candidate's place, with the reasons a supervisor reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: i64,
    pub score: i64,
    pub skill: i64,
    pub same_area: bool,
    pub assignable: bool,
}

/// Where a ticket is, as the ranking compares it with the technicians' areas.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The service area the ticket is in (see [`crate::master::area_of`]), when one is named.
    pub area: Option<&'a str>,
    /// Its address, for technicians whose zone is not on the area list.
    pub location: &'a str,
}

impl Candidate {
    /// Whether they work where the ticket is: its service area is their zone or one of their
    /// areas; without a known area, their zone (or its first word) is named in the address.
    fn works_in(&self, place: Place<'_>) -> bool {
        if let Some(area) = place.area {
            return std::iter::once(&self.work_zone).chain(&self.areas).any(|a| a.trim().eq_ignore_ascii_case(area));
        }
        let address = place.location.to_lowercase();
        let zone = self.work_zone.to_lowercase();
        !zone.trim().is_empty()
            && (address.contains(zone.trim()) || zone.split_whitespace().next().is_some_and(|w| address.contains(w)))
    }
}

/// Ranks `candidates` for a ticket that calls for the skills `wanted` at `place`. Only an
/// available technician with spare capacity is assignable; the others follow, so the supervisor
/// sees why. Score: skill levels in the wanted skills (×10), +25 in the same area, −8 per ticket
/// already led.
pub fn rank(wanted: &[&str], place: Place<'_>, candidates: &[Candidate]) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = candidates
        .iter()
        .map(|c| {
            let skill: i64 =
                c.skills.iter().filter(|(s, _)| wanted.contains(&s.as_str())).map(|(_, l)| i64::from(*l)).sum();
            let same_area = c.works_in(place);
            let assignable = c.available && c.load < c.capacity;
            Ranked {
                id: c.id,
                score: skill * 10 + if same_area { 25 } else { 0 } - 8 * c.load,
                skill,
                same_area,
                assignable,
            }
        })
        .collect();
    out.sort_by(|a, b| b.assignable.cmp(&a.assignable).then(b.score.cmp(&a.score)).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPAIR: &[&str] = &["fiber_splicing", "ftth_basic_install", "speed_testing"];

    fn at(location: &str) -> Place<'_> {
        Place { area: None, location }
    }

    fn c(id: i64, zone: &str, available: bool, load: i64, skills: &[(&str, i32)]) -> Candidate {
        Candidate {
            id,
            work_zone: zone.into(),
            areas: Vec::new(),
            available,
            load,
            capacity: 4,
            skills: skills.iter().map(|(s, l)| ((*s).to_owned(), *l)).collect(),
        }
    }

    #[test]
    fn skill_area_and_load_order_the_candidates() {
        let people = [
            c(1, "Bekasi Timur", true, 0, &[("fiber_splicing", 5)]),
            c(2, "Karawang Barat", true, 0, &[("fiber_splicing", 4)]),
            c(3, "Karawang Barat", true, 3, &[("fiber_splicing", 5)]),
            c(4, "Karawang Barat", false, 0, &[("fiber_splicing", 5), ("ftth_basic_install", 5)]),
            c(5, "Karawang Barat", true, 4, &[("fiber_splicing", 5)]),
        ];
        let r = rank(REPAIR, at("Jl. Tuparev No. 15, Karawang Barat"), &people);
        let ids: Vec<i64> = r.iter().map(|x| x.id).collect();
        // 2: 40+25; 1: 50; 3: 50+25-24; then the unassignable: 4 (off) and 5 (full).
        assert_eq!(ids, [2, 3, 1, 4, 5]);
        assert!(r[0].same_area && !r[2].same_area);
        assert!(!r[3].assignable && !r[4].assignable);
    }

    #[test]
    fn a_wifi_job_wants_wifi_skills() {
        let people =
            [c(1, "Cikarang", true, 0, &[("fiber_splicing", 5)]), c(2, "Cikarang", true, 0, &[("wifi_setup", 2)])];
        assert_eq!(rank(&["wifi_setup"], at("Cikarang"), &people)[0].id, 2);
    }

    #[test]
    fn a_known_area_matches_the_zone_or_a_further_area_and_nothing_else() {
        let mut far = c(1, "Karawang", true, 0, &[]);
        let mut near = c(2, "Bekasi Timur", true, 0, &[]);
        near.areas = vec!["Karawang Barat".into()];
        far.areas = vec!["Cikampek".into()];
        let place = Place { area: Some("Karawang Barat"), location: "Jl. Tuparev 15, Karawang Barat" };
        let r = rank(&[], place, &[far, near]);
        assert_eq!((r[0].id, r[0].same_area, r[1].same_area), (2, true, false));
    }
}
