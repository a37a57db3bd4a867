//! Demo data for customers: the spec's package catalogue, ODPs across Karawang and Bekasi, and a
//! few hundred customers with Indonesian names and addresses in every status.

use crate::seed::Lcg;
use crate::state::AppState;
use aglis_core::customer::{CustomerStatus, code_prefix};
use aglis_core::network::OdpStatus;
use aglis_db::repo::customers::{self, Profile};
use aglis_db::repo::odps::{self, OdpFields};
use aglis_db::repo::packages::{self, PackageFields};
use chrono::Duration;

/// (name, Mbps, monthly price, installation fee) — spec domain §2.3.
const PACKAGES: &[(&str, i32, i64, i64)] = &[
    ("Home Bronze 30M", 30, 149_900, 100_000),
    ("Home Silver 50M", 50, 199_900, 100_000),
    ("Home Gold 75M", 75, 249_900, 150_000),
    ("Home Platinum 100M", 100, 289_900, 150_000),
];

/// (area code, area, city, streets, centre lat/lon)
type Area = (&'static str, &'static str, &'static str, &'static [&'static str], (f64, f64));

const AREAS: &[Area] = &[
    (
        "KRW",
        "Karawang Barat",
        "Karawang",
        &["Jl. Tuparev", "Jl. Kertabumi", "Jl. Ahmad Yani", "Perum Karaba Indah"],
        (-6.3016, 107.2903),
    ),
    (
        "TJB",
        "Telukjambe Timur",
        "Karawang",
        &["Perum Galuh Mas", "Perum Griya Telukjambe", "Jl. Arteri Galuh Mas", "Jl. Husni Hamid"],
        (-6.3227, 107.2985),
    ),
    (
        "CKP",
        "Cikampek",
        "Karawang",
        &["Jl. Ahmad Yani Cikampek", "Perum Cikampek Baru", "Jl. Jend. Sudirman"],
        (-6.4098, 107.4576),
    ),
    (
        "BKT",
        "Bekasi Timur",
        "Bekasi",
        &["Jl. Cut Mutia", "Perum Bumi Bekasi Baru", "Jl. Pahlawan"],
        (-6.2496, 107.0228),
    ),
    (
        "CKR",
        "Cikarang Utara",
        "Bekasi",
        &["Jl. Raya Industri", "Perum Metland Cibitung", "Jl. Kasuari"],
        (-6.2619, 107.1528),
    ),
];

/// The demo's names: the start of the load seed's lists (so every demo looks the same).
const FIRST: &[&str] = crate::seed::FIRST.split_at(30).0;
const LAST: &[&str] = crate::seed::LAST.split_at(20).0;

pub const DEMO_CUSTOMERS: usize = 300;

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let mut package_ids = Vec::new();
    for (name, speed, price, fee) in PACKAGES {
        let f = PackageFields {
            name: (*name).into(),
            speed_mbps: *speed,
            monthly_price: *price,
            installation_fee: *fee,
            description: format!("Internet fiber {speed} Mbps simetris, kuota tanpa batas"),
            is_active: true,
        };
        package_ids.push(packages::create(&state.db, f, now).await?.id);
    }
    let mut odp_ids = Vec::new();
    for (code, area, _, streets, (lat, lon)) in AREAS {
        for n in 1..=6 {
            let f = OdpFields {
                code: format!("ODP-{code}-{n:03}-{}{:02}", ['A', 'B', 'C', 'D'][n % 4], n * 3),
                area: (*area).into(),
                location: format!("{} (tiang {n})", streets[n % streets.len()]),
                latitude: Some(lat + f64::from(i32::try_from(n).unwrap_or(0)) * 0.0021),
                longitude: Some(lon - f64::from(i32::try_from(n).unwrap_or(0)) * 0.0017),
                total_ports: 16,
                status: if n == 6 && *code == "CKP" { OdpStatus::Maintenance } else { OdpStatus::Active },
            };
            odp_ids.push((odps::create(&state.db, f, now).await?.id, *code));
        }
    }
    let mut rng = Lcg(20_261_125);
    let prefix = code_prefix(now);
    let mut used_ports: std::collections::BTreeMap<i64, i32> = Default::default();
    for i in 0..DEMO_CUSTOMERS {
        let (area_code, _, city, streets, (lat, lon)) = AREAS[i % AREAS.len()];
        let name = format!("{} {}", FIRST[rng.next(FIRST.len())], LAST[rng.next(LAST.len())]);
        let operator = ["812", "813", "821", "852", "857", "878", "896"][rng.next(7)];
        let profile = Profile {
            name: name.clone(),
            phone: format!("62{operator}{:08}", 10_000_000 + i * 7_919),
            email: (i % 3 == 0).then(|| format!("{}.{i}@contoh.co.id", name.to_lowercase().replace(' ', "."))),
            ktp: (i % 4 == 0).then(|| format!("32150{:011}", 12_345_678 + i)),
            address: format!(
                "{} Blok {}{} No. {}",
                streets[rng.next(streets.len())],
                ['A', 'B', 'C', 'D', 'E'][rng.next(5)],
                rng.next(9) + 1,
                rng.next(40) + 1
            ),
            city: city.into(),
            latitude: Some(lat + (rng.next(200) as f64 - 100.0) * 0.0001),
            longitude: Some(lon + (rng.next(200) as f64 - 100.0) * 0.0001),
            package_id: package_ids[[0, 1, 1, 1, 2, 2, 3][rng.next(7)]],
            notes: String::new(),
            // A few expatriate households read English.
            language: if i % 15 == 7 { aglis_core::notification_catalog::Language::En } else { Default::default() },
        };
        let status = match i % 20 {
            0 | 1 => CustomerStatus::Prospect,
            2 => CustomerStatus::Suspended,
            3 => CustomerStatus::Terminated,
            _ => CustomerStatus::Active,
        };
        let code = format!("{prefix}{:04}", i + 1);
        let start = if status == CustomerStatus::Prospect { CustomerStatus::Prospect } else { CustomerStatus::Active };
        let c = customers::create(&state.db, &code, profile, start, None, now).await?;
        if status != CustomerStatus::Prospect {
            let candidates: Vec<i64> = odp_ids.iter().filter(|(_, a)| *a == area_code).map(|(id, _)| *id).collect();
            if let Some(odp) = candidates.iter().find(|o| used_ports.get(*o).copied().unwrap_or(0) < 15) {
                let port = used_ports.entry(*odp).or_insert(0);
                *port += 1;
                customers::set_port(&state.db, c.id, Some((*odp, *port)), &format!("port {port}"), None, now).await?;
            }
        }
        match status {
            CustomerStatus::Suspended => {
                customers::set_status(&state.db, c.id, status, "Tunggakan 2 bulan", None, now).await?;
            }
            CustomerStatus::Terminated => {
                customers::set_status(&state.db, c.id, status, "Pindah rumah ke luar kota", None, now).await?;
            }
            _ => {}
        }
    }
    for (odp, _) in odp_ids {
        odps::recount(&state.db, odp, now).await?;
    }
    Ok(())
}

/// Dates the demo's terminations over the last eleven months (they all happen at the demo's
/// "now" otherwise), each at least a month after the customer's service began, so the manager's
/// trends show churn across the year (issue 22). Runs after the billing demo, which dates when
/// each customer's service began.
pub async fn date_terminations(state: &AppState) -> anyhow::Result<()> {
    use aglis_db::entity::{customer_events, customers as rows};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let now = state.now();
    let left: Vec<rows::Model> = rows::Entity::find()
        .filter(rows::Column::Status.eq(CustomerStatus::Terminated.as_str()))
        .order_by_asc(rows::Column::Id)
        .all(&state.db)
        .await?;
    let mut rng = Lcg(1_299_709);
    for c in left {
        let began = c.activated_at.unwrap_or(c.registered_at);
        let days = i64::try_from(rng.next(330)).unwrap_or(0);
        let at = (now - Duration::days(days) - Duration::hours(3)).max(began + Duration::days(30)).min(now);
        rows::Entity::update_many()
            .col_expr(rows::Column::TerminatedAt, Expr::value(at))
            .col_expr(rows::Column::UpdatedAt, Expr::value(at))
            .filter(rows::Column::Id.eq(c.id))
            .exec(&state.db)
            .await?;
        customer_events::Entity::update_many()
            .col_expr(customer_events::Column::At, Expr::value(at))
            .filter(customer_events::Column::CustomerId.eq(c.id))
            .filter(customer_events::Column::Kind.eq("status"))
            .exec(&state.db)
            .await?;
    }
    Ok(())
}
