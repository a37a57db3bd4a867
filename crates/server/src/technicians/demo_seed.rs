//! Demo profiles of the field team: areas, specialisations, work days and a spread of
//! availability for the demo technicians.

use crate::state::AppState;
use aglis_core::technician::{Availability, Specialization, WorkDay};
use aglis_db::repo::technicians::{self, Extras};
use aglis_db::repo::users;

/// The demo technicians' further areas, specialisations, work days and a spread of availability
/// (by username; those missing are skipped). Run after the demo technicians exist; idempotent.
pub async fn seed_demo_profiles(state: &AppState) -> anyhow::Result<()> {
    use Specialization::*;
    use WorkDay::*;
    const WEEKDAYS: &[WorkDay] = &[Mon, Tue, Wed, Thu, Fri];
    const MON_SAT: &[WorkDay] = &[Mon, Tue, Wed, Thu, Fri, Sat];
    const TUE_SUN: &[WorkDay] = &[Tue, Wed, Thu, Fri, Sat, Sun];
    type Demo = (&'static str, &'static [&'static str], &'static [Specialization], &'static [WorkDay], Availability);
    let people: &[Demo] = &[
        (
            "technician",
            &["Karawang Timur", "Telukjambe Barat"],
            &[FtthInstallation, FtthMaintenance],
            MON_SAT,
            Availability::Available,
        ),
        (
            "teknisi.karawang1",
            &["Klari", "Cikampek"],
            &[FtthMaintenance, NetworkInfrastructure],
            WEEKDAYS,
            Availability::Available,
        ),
        (
            "teknisi.karawang2",
            &["Telukjambe Timur", "Karawang Barat"],
            &[FtthInstallation],
            MON_SAT,
            Availability::Break,
        ),
        (
            "teknisi.bekasi1",
            &["Bekasi Utara", "Tambun Selatan"],
            &[FtthInstallation, WirelessServices, CustomerSupport],
            MON_SAT,
            Availability::Busy,
        ),
        (
            "teknisi.bekasi2",
            &["Cikarang Barat", "Cikarang Utara", "Cibitung"],
            &[NetworkInfrastructure, FtthMaintenance],
            TUE_SUN,
            Availability::Available,
        ),
    ];
    let now = state.now();
    for (username, areas, specs, days, availability) in people {
        let Some((user, _)) = users::find_credentials(&state.db, username).await? else { continue };
        let Some(t) = technicians::by_user(&state.db, user.id).await? else { continue };
        let extras = Extras {
            areas: areas.iter().map(|a| (*a).to_owned()).collect(),
            specializations: specs.to_vec(),
            work_days: days.to_vec(),
        };
        technicians::set_extras(&state.db, t.id, &extras).await?;
        technicians::set_availability(&state.db, t.id, *availability, now).await?;
    }
    Ok(())
}
