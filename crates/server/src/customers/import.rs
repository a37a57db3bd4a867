//! Importing existing customers from CSV or Excel (xlsx). A dry run reports every bad row with
//! its reason; the import itself writes nothing unless the whole file is clean, and then writes
//! it in one transaction.

use crate::customers::service::{ProfileInput, check_profile};
use crate::error::{AppError, AppResult};
use crate::i18n::msg;
use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_db::repo::customers;
use aglis_db::repo::packages;
use aglis_db::{DbError, TransactionTrait};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub const MAX_ROWS: usize = 20_000;

/// Column names people use, in Indonesian and English, mapped to ours.
const COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["code", "kode", "customer_code", "kode_pelanggan", "id_pelanggan", "customer_id"]),
    ("name", &["name", "nama", "full_name", "nama_lengkap", "nama_pelanggan"]),
    ("phone", &["phone", "telepon", "no_hp", "hp", "whatsapp", "no_telepon", "nomor_hp"]),
    ("email", &["email", "e-mail", "surel"]),
    ("ktp", &["ktp", "nik", "no_ktp"]),
    ("address", &["address", "alamat"]),
    ("city", &["city", "kota", "kabupaten"]),
    ("latitude", &["latitude", "lat", "lintang"]),
    ("longitude", &["longitude", "lon", "lng", "bujur"]),
    ("package", &["package", "paket", "package_id", "package_name", "nama_paket"]),
    ("status", &["status"]),
    ("notes", &["notes", "catatan", "keterangan"]),
    ("language", &["language", "bahasa", "lang"]),
];

fn column(header: &str) -> Option<&'static str> {
    let h = header.trim().to_lowercase().replace(' ', "_");
    COLUMNS.iter().find(|(_, aliases)| aliases.contains(&h.as_str())).map(|(c, _)| *c)
}

/// One row problem, as shown to the person importing.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read.
    pub rows: usize,
    pub errors: Vec<RowError>,
    /// Customers created (0 on a dry run or when any row is bad).
    pub imported: usize,
}

impl ImportReport {
    /// The report with its messages in `lang` (they are kept as message keys until shown).
    pub fn in_language(mut self, lang: crate::i18n::Lang) -> Self {
        for e in &mut self.errors {
            e.message = lang.render(&e.message);
        }
        self
    }
}

/// The rows of a CSV (comma or semicolon separated) or xlsx file, keyed by our column names.
pub fn read(filename: &str, bytes: &[u8]) -> AppResult<Vec<BTreeMap<&'static str, String>>> {
    let table = if filename.to_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let mut rows = table.into_iter();
    let header: Vec<Option<&'static str>> = rows.next().unwrap_or_default().iter().map(|h| column(h)).collect();
    for needed in ["name", "phone", "address", "package"] {
        if !header.contains(&Some(needed)) {
            return Err(AppError::field(
                "file",
                format!("the first row needs a `{needed}` column (columns: name, phone, address, city, package, …)"),
            ));
        }
    }
    let out: Vec<BTreeMap<&'static str, String>> = rows
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .map(|r| header.iter().zip(r).filter_map(|(h, v)| h.map(|h| (h, v.trim().to_owned()))).collect())
        .collect();
    if out.len() > MAX_ROWS {
        return Err(AppError::field("file", msg("val.import.too_many", &[("max", &MAX_ROWS)])));
    }
    Ok(out)
}

fn read_csv(bytes: &[u8]) -> AppResult<Vec<Vec<String>>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| AppError::field("file", msg("val.import.not_utf8", &[])))?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            r.map(|rec| rec.iter().map(str::to_owned).collect())
                .map_err(|e| AppError::field("file", msg("val.import.row", &[("row", &(i + 1)), ("error", &e)])))
        })
        .collect()
}

fn read_xlsx(bytes: &[u8]) -> AppResult<Vec<Vec<String>>> {
    use calamine::{Data, Reader};
    let bad = |e: String| AppError::field("file", msg("val.import.bad_excel", &[("error", &e)]));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
    let range =
        book.worksheet_range_at(0).ok_or_else(|| bad("it has no sheet".into()))?.map_err(|e| bad(e.to_string()))?;
    Ok(range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match *c {
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                    Data::Empty => String::new(),
                    ref other => other.to_string(),
                })
                .collect()
        })
        .collect())
}

/// Checks every row and, unless `dry_run` or a row is bad, creates all the customers at once.
pub async fn run(
    state: &AppState,
    rows: Vec<BTreeMap<&'static str, String>>,
    dry_run: bool,
    actor: i64,
) -> AppResult<ImportReport> {
    let by_name: HashMap<String, i64> =
        packages::list(&state.db, false).await?.into_iter().map(|p| (p.name.to_lowercase(), p.id)).collect();
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut phones: HashMap<String, usize> = HashMap::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        let get = |k: &str| row.get(k).cloned().unwrap_or_default();
        let mut err = |field: &str, message: String| errors.push(RowError { row: line, field: field.into(), message });
        let package = get("package");
        let package_id = package.parse::<i64>().ok().or_else(|| by_name.get(&package.to_lowercase()).copied());
        if package_id.is_none() {
            err("package", msg("val.import.package", &[("package", &package)]));
        }
        let status = match get("status").to_lowercase().as_str() {
            "" | "active" | "aktif" => CustomerStatus::Active,
            "prospect" | "calon" => CustomerStatus::Prospect,
            "suspended" | "isolir" | "diisolir" => CustomerStatus::Suspended,
            "terminated" | "berhenti" => CustomerStatus::Terminated,
            other => {
                err("status", msg("val.import.status", &[("value", &other)]));
                CustomerStatus::Active
            }
        };
        let code = Some(get("code").to_uppercase()).filter(|c| !c.is_empty());
        if let Some(c) = &code {
            if !(3..=20).contains(&c.len()) || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
                err("code", msg("val.import.code", &[("code", c)]));
            } else if let Some(first) = codes.insert(c.clone(), line) {
                err("code", msg("val.import.same_code", &[("row", &first)]));
            } else if customers::by_code(&state.db, c).await?.is_some() {
                err("code", msg("val.import.code_exists", &[("code", c)]));
            }
        }
        let coord =
            |k: &str| Some(get(k)).filter(|s| !s.is_empty()).and_then(|s| s.replace(',', ".").parse::<f64>().ok());
        let input = ProfileInput {
            name: get("name"),
            phone: get("phone"),
            email: Some(get("email")),
            ktp: Some(get("ktp")),
            address: get("address"),
            city: Some(get("city")),
            latitude: coord("latitude"),
            longitude: coord("longitude"),
            package_id: package_id.or(Some(-1)),
            notes: Some(get("notes")),
            language: Some(get("language")),
            tax_exempt: None,
            billing_mode: None,
        };
        let repeated = match aglis_core::phone::Phone::parse(&input.phone) {
            Ok(p) => phones.insert(p.as_str().to_owned(), line),
            Err(_) => None,
        };
        if let Some(first) = repeated {
            err("phone", msg("val.import.same_phone", &[("row", &first)]));
        }
        match check_profile(&state.db, &input, None).await {
            Ok(profile) => {
                if repeated.is_none() {
                    checked.push((code, profile, status));
                }
            }
            Err(AppError::Validation { fields, .. }) => {
                for (field, messages) in fields {
                    if field == "package_id" && package_id.is_none() {
                        continue; // already reported by name
                    }
                    for m in messages {
                        err(&field, m);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut report = ImportReport { dry_run, rows: rows.len(), errors, imported: 0 };
    if dry_run || !report.errors.is_empty() {
        return Ok(report);
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    for (code, profile, status) in checked {
        let code = match code {
            Some(c) => c,
            None => customers::next_code(&txn, now).await??,
        };
        let start = if status == CustomerStatus::Prospect { CustomerStatus::Prospect } else { CustomerStatus::Active };
        let c = customers::create(&txn, &code, profile, start, Some(actor), now).await?;
        if matches!(status, CustomerStatus::Suspended | CustomerStatus::Terminated) {
            customers::set_status(&txn, c.id, status, "imported", Some(actor), now).await?;
        }
        report.imported += 1;
    }
    txn.commit().await.map_err(DbError::from)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_headers_in_either_language_and_either_separator() {
        let rows = read(
            "pelanggan.csv",
            "Nama;No HP;Alamat;Kota;Paket\nBudi;0812 1;Jl. A;Karawang;Home Silver 50M\n;;;;\n".as_bytes(),
        )
        .expect("read");
        assert_eq!(rows.len(), 1, "empty rows are skipped");
        assert_eq!(rows[0]["name"], "Budi");
        assert_eq!(rows[0]["phone"], "0812 1");
        let err = read("x.csv", b"foo,bar\n1,2\n").expect_err("no name column");
        assert!(format!("{err:?}").contains("`name`"));
        assert!(read("x.csv", &[0xff, 0xfe, 0x00]).is_err(), "not UTF-8");
    }
}
