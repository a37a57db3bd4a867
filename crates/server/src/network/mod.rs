//! Master data of the network: internet packages and ODPs, edited by admins and supervisors.

pub mod api;
pub mod pages;

use crate::error::{AppError, AppResult, FieldErrors};
use aglis_core::money::Rupiah;
use aglis_core::network::{self, OdpStatus};
use aglis_db::DbError;
use aglis_db::repo::odps::{self, Odp, OdpFields};
use aglis_db::repo::packages::{self, Package, PackageFields};
use sea_orm::ConnectionTrait;

fn push(errors: &mut FieldErrors, field: &str, msg: impl ToString) {
    errors.entry(field.to_owned()).or_default().push(msg.to_string());
}

/// Checks a package's fields; prices are rupiah as numbers or as typed (`149.900`).
pub fn parse_package(
    name: &str,
    speed_mbps: i64,
    monthly_price: &str,
    installation_fee: &str,
    description: &str,
    is_active: bool,
) -> Result<PackageFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=100).contains(&name.chars().count()) {
        push(&mut e, "name", "the name must be 2–100 characters");
    }
    let speed = i32::try_from(speed_mbps).ok().filter(|s| network::check_speed(*s).is_ok());
    if speed.is_none() {
        push(&mut e, "speed_mbps", network::NetworkError::Speed);
    }
    let price = Rupiah::parse(monthly_price).map_err(|err| push(&mut e, "monthly_price", err)).ok();
    let fee = Rupiah::parse(installation_fee).map_err(|err| push(&mut e, "installation_fee", err)).ok();
    if description.chars().count() > 500 {
        push(&mut e, "description", "the description is longer than 500 characters");
    }
    match (speed, price, fee) {
        (Some(speed_mbps), Some(p), Some(f)) if e.is_empty() => Ok(PackageFields {
            name,
            speed_mbps,
            monthly_price: p.0,
            installation_fee: f.0,
            description: description.trim().to_owned(),
            is_active,
        }),
        _ => Err(e),
    }
}

fn package_taken(e: DbError) -> AppError {
    if e.is_unique_on("name") { AppError::taken("name", "another package has this name") } else { e.into() }
}

/// Creates a package; `tax_exempt`: its invoices carry no PPN.
pub async fn create_package(
    conn: &impl ConnectionTrait,
    f: PackageFields,
    tax_exempt: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Package> {
    let p = packages::create(conn, f, now).await.map_err(package_taken)?;
    exempt(conn, p, Some(tax_exempt)).await
}

/// Changes a package; `tax_exempt` left out keeps its PPN setting.
pub async fn update_package(
    conn: &impl ConnectionTrait,
    id: i64,
    f: PackageFields,
    tax_exempt: Option<bool>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Package> {
    let p = packages::update(conn, id, f, now)
        .await
        .map_err(package_taken)?
        .ok_or_else(|| AppError::not_found("package"))?;
    exempt(conn, p, tax_exempt).await
}

async fn exempt(conn: &impl ConnectionTrait, mut p: Package, tax_exempt: Option<bool>) -> AppResult<Package> {
    if let Some(v) = tax_exempt.filter(|v| *v != p.tax_exempt) {
        packages::set_tax_exempt(conn, p.id, v).await?;
        p.tax_exempt = v;
    }
    Ok(p)
}

/// Deletes a package nobody has ever subscribed to; otherwise 409 (switch it off instead).
pub async fn delete_package(conn: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    packages::get(conn, id).await?.ok_or_else(|| AppError::not_found("package"))?;
    let n = packages::customer_count(conn, id).await?;
    if n > 0 {
        return Err(AppError::Conflict {
            detail: format!("{n} customers have this package; switch it off instead of deleting it"),
            fields: FieldErrors::new(),
        });
    }
    packages::delete(conn, id).await?;
    Ok(())
}

/// Checks an ODP's fields.
#[allow(clippy::too_many_arguments)]
pub fn parse_odp(
    code: &str,
    area: &str,
    location: &str,
    latitude: Option<f64>,
    longitude: Option<f64>,
    total_ports: i64,
    status: &str,
) -> Result<OdpFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let code = network::parse_odp_code(code).map_err(|err| push(&mut e, "code", err)).ok();
    let area = area.trim().to_owned();
    if !(2..=100).contains(&area.chars().count()) {
        push(&mut e, "area", "the area must be 2–100 characters, e.g. Karawang Barat");
    }
    let location = location.trim().to_owned();
    if !(3..=300).contains(&location.chars().count()) {
        push(&mut e, "location", "describe where the ODP is (3–300 characters)");
    }
    match (latitude, longitude) {
        (Some(lat), Some(lon)) => {
            if let Err(err) = network::check_location(lat, lon) {
                push(&mut e, "latitude", err);
            }
        }
        (None, None) => {}
        _ => push(&mut e, "latitude", "give both latitude and longitude, or neither"),
    }
    let ports = i32::try_from(total_ports).ok().filter(|p| network::check_ports(*p).is_ok());
    if ports.is_none() {
        push(&mut e, "total_ports", network::NetworkError::Ports);
    }
    let status = status.parse::<OdpStatus>().map_err(|err| push(&mut e, "status", err)).ok();
    match (code, ports, status) {
        (Some(code), Some(total_ports), Some(status)) if e.is_empty() => {
            Ok(OdpFields { code, area, location, latitude, longitude, total_ports, status })
        }
        _ => Err(e),
    }
}

fn odp_taken(e: DbError) -> AppError {
    if e.is_unique_on("code") { AppError::taken("code", "another ODP has this code") } else { e.into() }
}

pub async fn create_odp(
    conn: &impl ConnectionTrait,
    f: OdpFields,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Odp> {
    odps::create(conn, f, now).await.map_err(odp_taken)
}

/// Changes an ODP; its ports cannot drop below those in use.
pub async fn update_odp(
    conn: &impl ConnectionTrait,
    id: i64,
    f: OdpFields,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Odp> {
    let taken = odps::taken_ports(conn, id).await?;
    if let Some(highest) = taken.last().filter(|p| **p > f.total_ports) {
        return Err(AppError::field(
            "total_ports",
            format!("port {highest} is in use; the ODP needs at least {highest} ports"),
        ));
    }
    odps::update(conn, id, f, now).await.map_err(odp_taken)?.ok_or_else(|| AppError::not_found("ODP"))
}

pub async fn delete_odp(conn: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    odps::get(conn, id).await?.ok_or_else(|| AppError::not_found("ODP"))?;
    if !odps::taken_ports(conn, id).await?.is_empty() {
        return Err(AppError::Conflict {
            detail: "customers are connected to this ODP; move them first".into(),
            fields: FieldErrors::new(),
        });
    }
    odps::delete(conn, id).await.map_err(|e| match e {
        // Terminated customers still refer to it.
        DbError::Db(_) => AppError::Conflict {
            detail: "former customers refer to this ODP; set it inactive instead".into(),
            fields: FieldErrors::new(),
        },
        other => other.into(),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_fields_are_checked_together() {
        let ok = parse_package("Home Silver 50M", 50, "199.900", "100000", "", true).expect("valid");
        assert_eq!((ok.monthly_price, ok.installation_fee), (199_900, 100_000));
        let e = parse_package("", 0, "gratis", "-1", "", true).expect_err("invalid");
        for f in ["name", "speed_mbps", "monthly_price", "installation_fee"] {
            assert!(e.contains_key(f), "{f}");
        }
    }

    #[test]
    fn odp_fields_are_checked_together() {
        let ok = parse_odp(
            "odp-krw-001-a12",
            "Karawang Barat",
            "Jl. Tuparev No. 12",
            Some(-6.30),
            Some(107.29),
            16,
            "active",
        )
        .expect("valid");
        assert_eq!(ok.code, "ODP-KRW-001-A12");
        let e = parse_odp("ODP 1", "", "", Some(100.0), None, 0, "broken").expect_err("invalid");
        for f in ["code", "area", "location", "latitude", "total_ports", "status"] {
            assert!(e.contains_key(f), "{f}");
        }
    }
}
