//! Demo registrations in every state, so the list, a registration's page and the tracking page
//! all have something to show.

use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_core::notification_catalog::Language;
use aglis_core::registration::{RegistrationStatus, number_prefix};
use aglis_db::repo::customers::{self, Profile};
use aglis_db::repo::registrations::{self, Application, StepFields};
use chrono::Duration;

/// (name, phone, address, the status it has reached)
const APPLICANTS: &[(&str, &str, &str, RegistrationStatus)] = &[
    (
        "Lina Marlina",
        "6285611110001",
        "Perum Griya Telukjambe Blok D4 No. 2, Telukjambe Timur",
        RegistrationStatus::Submitted,
    ),
    ("Taufik Hidayat", "6285611110002", "Jl. Tuparev Gg. Mawar No. 15, Karawang Barat", RegistrationStatus::Submitted),
    ("Nurul Aini", "6285611110003", "Perum Karaba Indah Blok F1 No. 9, Karawang", RegistrationStatus::Verified),
    ("Yoga Pratama", "6285611110004", "Jl. Ahmad Yani Cikampek No. 88, Cikampek", RegistrationStatus::SurveyScheduled),
    (
        "Desi Ratnasari",
        "6285611110005",
        "Perum Bumi Bekasi Baru Blok C3 No. 11, Bekasi Timur",
        RegistrationStatus::Surveyed,
    ),
    (
        "Arif Rahman",
        "6285611110006",
        "Perum Metland Cibitung Blok B2 No. 20, Cikarang",
        RegistrationStatus::InstallationScheduled,
    ),
    ("Hana Permata", "6285611110009", "Perum Galuh Mas Blok H2 No. 5, Telukjambe Timur", RegistrationStatus::Approved),
    ("Irfan Maulana", "6285611110010", "Jl. Jend. Sudirman No. 12, Cikampek", RegistrationStatus::Installed),
    ("Kartika Sari", "6285611110011", "Jl. Husni Hamid No. 30, Karawang", RegistrationStatus::Activated),
    ("Citra Kirana", "6285611110007", "Jl. Cut Mutia No. 41, Bekasi Timur", RegistrationStatus::Rejected),
    ("Galih Saputra", "6285611110008", "Jl. Kertabumi No. 3, Karawang Barat", RegistrationStatus::Cancelled),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let Some(package) = aglis_db::repo::packages::list(&state.db, true).await?.into_iter().nth(1) else {
        return Ok(());
    };
    let prefix = number_prefix(now);
    for (i, (name, phone, address, reached)) in APPLICANTS.iter().enumerate() {
        let app = Application {
            full_name: (*name).into(),
            phone: (*phone).into(),
            email: None,
            address: (*address).into(),
            city: if address.contains("Bekasi") || address.contains("Cikarang") { "Bekasi" } else { "Karawang" }.into(),
            latitude: None,
            longitude: None,
            package_id: package.id,
            language: if i % 4 == 3 { Language::En } else { Language::Id },
        };
        let reg = registrations::create(&state.db, &format!("{prefix}{:03}", i + 1), app, now).await?;
        let mut at = reg.status;
        let mut customer = None;
        for next in RegistrationStatus::PATH.iter().skip(1) {
            let target = match *reached {
                RegistrationStatus::Rejected => RegistrationStatus::Surveyed,
                RegistrationStatus::Cancelled => RegistrationStatus::Verified,
                other => other,
            };
            if RegistrationStatus::PATH.iter().position(|s| s == next)
                > RegistrationStatus::PATH.iter().position(|s| *s == target)
            {
                break;
            }
            let fields = match next {
                RegistrationStatus::SurveyScheduled => {
                    StepFields { survey_at: Some(now + Duration::days(2)), ..Default::default() }
                }
                RegistrationStatus::Surveyed => {
                    StepFields { survey_feasible: Some(*reached != RegistrationStatus::Rejected), ..Default::default() }
                }
                RegistrationStatus::InstallationScheduled => {
                    StepFields { installation_at: Some(now + Duration::days(3)), ..Default::default() }
                }
                RegistrationStatus::Approved => {
                    // The next code of the day, as an approval in the workflow would take it.
                    let code = customers::next_code(&state.db, now).await??;
                    let profile = Profile {
                        name: reg.full_name.clone(),
                        phone: reg.phone.clone(),
                        email: None,
                        ktp: None,
                        address: reg.address.clone(),
                        city: reg.city.clone(),
                        latitude: None,
                        longitude: None,
                        package_id: reg.package_id,
                        notes: format!("From registration {}", reg.number),
                        language: reg.language,
                    };
                    let c = customers::create(&state.db, &code, profile, CustomerStatus::Prospect, None, now).await?;
                    customer = Some(c.id);
                    StepFields { customer_id: Some(c.id), ..Default::default() }
                }
                RegistrationStatus::Activated => {
                    if let Some(c) = customer {
                        customers::set_status(&state.db, c, CustomerStatus::Active, "installed", None, now).await?;
                    }
                    StepFields::default()
                }
                _ => StepFields::default(),
            };
            registrations::step(&state.db, reg.id, at, *next, fields, "", None, now).await?;
            at = *next;
        }
        let closing = match reached {
            RegistrationStatus::Rejected => Some("Belum ada jaringan fiber dalam jangkauan"),
            RegistrationStatus::Cancelled => Some("Pemohon pindah alamat"),
            _ => None,
        };
        if let Some(reason) = closing {
            let fields = StepFields { reason: Some(reason.into()), ..Default::default() };
            registrations::step(&state.db, reg.id, at, *reached, fields, reason, None, now).await?;
        }
    }
    Ok(())
}
