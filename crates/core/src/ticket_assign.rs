//! Which technician should take a ticket: ranked by skill match, area, availability and load.

use crate::ticket::TicketType;

/// The skills a ticket type calls for (specialisation codes from the spec's catalogue).
pub fn skills_for(t: TicketType) -> &'static [&'static str] {
    match t {
        TicketType::Installation => &["ftth_basic_install", "fiber_splicing"],
        TicketType::Repair => &["fiber_splicing", "ftth_basic_install", "speed_testing"],
        TicketType::Maintenance => &["fiber_splicing", "backbone_fiber"],
        TicketType::Upgrade | TicketType::Downgrade => &["speed_testing", "ftth_basic_install"],
        TicketType::WifiSetup => &["wifi_setup"],
        TicketType::Dismantle => &["ftth_basic_install"],
        TicketType::Survey => &["ftth_basic_install"],
    }
}

/// A technician as the ranking sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub work_zone: String,
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

/// Ranks `candidates` for a ticket of type `t` at `location` (an address). Only an available
/// technician with spare capacity is assignable; the others follow, so the supervisor sees why.
/// Score: skill levels in the type's skills (×10), +25 in the same area (the zone named in the
/// address), −8 per ticket already led.
pub fn rank(t: TicketType, location: &str, candidates: &[Candidate]) -> Vec<Ranked> {
    let wanted = skills_for(t);
    let place = location.to_lowercase();
    let mut out: Vec<Ranked> = candidates
        .iter()
        .map(|c| {
            let skill: i64 =
                c.skills.iter().filter(|(s, _)| wanted.contains(&s.as_str())).map(|(_, l)| i64::from(*l)).sum();
            let zone = c.work_zone.to_lowercase();
            let same_area = !zone.trim().is_empty()
                && (place.contains(zone.trim()) || zone.split_whitespace().next().is_some_and(|w| place.contains(w)));
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

    fn c(id: i64, zone: &str, available: bool, load: i64, skills: &[(&str, i32)]) -> Candidate {
        Candidate {
            id,
            work_zone: zone.into(),
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
        let r = rank(TicketType::Repair, "Jl. Tuparev No. 15, Karawang Barat", &people);
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
        assert_eq!(rank(TicketType::WifiSetup, "Cikarang", &people)[0].id, 2);
    }
}
