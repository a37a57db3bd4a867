//! Exports of every staff list (issue 22): `GET /api/v1/<list>/export?format=xlsx|csv` takes the
//! list's own filters, reads it with the list's own repository query (same filters, same order)
//! a page of [`PAGE_ROWS`] at a time, and streams the file while it reads: the rows go through a
//! bounded channel into the response body, so an export of any length holds a few pages in
//! memory. Headers are in the request's language; every export is recorded in the audit log
//! (`data.exported`, with the format, the query and the rows sent).
//!
//! - [`xlsx`]: the streaming workbook writer (numeric rupiah and Jakarta times with formats);
//! - [`lists`]: the routes, one per list, and each list's columns;
//! - here: cells, formats and the streaming plumbing they share.
//!
//! Pages are read with the lists' own `page`/`per_page` queries (an offset walking the list's
//! index), which is what makes the file the list exactly, whatever its filters and sort. The
//! offsets grow with the page number: 100 k customers take 100 pages and about 2 s; a list of a
//! million rows would want keyset paging in its repository. A row written while an export runs
//! may shift a page boundary (a row then appears twice or not at all); nothing holds a snapshot
//! open for the length of a download.

pub mod lists;
pub mod xlsx;

use crate::audit::{Entry, RequestMeta, record};
use crate::auth::session::Authenticated;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::state::AppState;
use aglis_core::schedule::JAKARTA;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use utoipa::{IntoParams, ToSchema};

/// Rows read from the database at a time.
pub const PAGE_ROWS: u64 = 1_000;
/// Chunks of the file waiting for a slow client before reading stops until it catches up.
const CHANNEL_CHUNKS: usize = 4;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    /// Whole rupiah.
    Money(i64),
    Bool(bool),
    /// A moment, shown on a Jakarta clock.
    Time(DateTime<Utc>),
    Date(NaiveDate),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}
impl From<i32> for Cell {
    fn from(n: i32) -> Self {
        Cell::Int(n.into())
    }
}
impl From<f64> for Cell {
    fn from(f: f64) -> Self {
        Cell::Float(f)
    }
}
impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}
impl From<DateTime<Utc>> for Cell {
    fn from(t: DateTime<Utc>) -> Self {
        Cell::Time(t)
    }
}
impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl Cell {
    /// The value as CSV text: times in RFC 3339 on a Jakarta clock (`2026-12-07T09:30:00+07:00`),
    /// dates `yyyy-mm-dd`, rupiah and numbers as plain digits, booleans `true`/`false`; text that
    /// a spreadsheet would run as a formula starts with `'`.
    pub fn csv(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => defuse(t),
            Cell::Int(n) | Cell::Money(n) => n.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(t) => t.with_timezone(&JAKARTA).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// Text a spreadsheet would run as a formula, behind a `'`.
fn defuse(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An Excel workbook (the default).
    #[default]
    Xlsx,
    /// UTF-8 CSV with a byte-order mark, comma-separated, a header row.
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }
}

/// `format` of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `xlsx` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
}

/// A column: the locale key of its header and its width in an Excel sheet (characters).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub width: u8,
}

pub const fn col(key: &'static str, width: u8) -> Column {
    Column { key, width }
}

pub type Row = Vec<Cell>;
pub type PageFuture = Pin<Box<dyn Future<Output = AppResult<Vec<Row>>> + Send>>;
/// Reads page `n` (from 1) of [`PAGE_ROWS`] rows of a list; a short page is the last.
pub type Fetch = Box<dyn FnMut(u64) -> PageFuture + Send>;

/// What is exported, for whom.
pub struct Export {
    /// The list: `customers`, `tickets`, …; the audit record's resource, the file's name and
    /// the locale key `export.<what>` of the sheet's name.
    pub what: &'static str,
    pub columns: &'static [Column],
    pub format: Format,
    pub lang: Lang,
    /// The request's query string (its filters), for the audit record.
    pub query: Option<String>,
}

/// Bytes the encoder writes, taken by the sender after each page.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Encoder {
    Xlsx(Box<xlsx::XlsxWriter<Shared>>),
    Csv(Box<csv::Writer<Shared>>),
}

impl Encoder {
    fn new(ex: &Export, out: Shared) -> io::Result<Self> {
        let headers: Vec<&str> = ex.columns.iter().map(|c| ex.lang.t(c.key)).collect();
        match ex.format {
            Format::Xlsx => {
                let widths: Vec<u8> = ex.columns.iter().map(|c| c.width).collect();
                let sheet = ex.lang.t(&format!("export.{}", ex.what));
                Ok(Encoder::Xlsx(Box::new(xlsx::XlsxWriter::new(out, sheet, &headers, &widths)?)))
            }
            Format::Csv => {
                let mut out = out;
                out.write_all("\u{FEFF}".as_bytes())?;
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&headers)?;
                Ok(Encoder::Csv(Box::new(w)))
            }
        }
    }

    /// Writes `row`; `false` when the sheet is full (Excel's row limit).
    fn row(&mut self, row: &[Cell]) -> io::Result<bool> {
        match self {
            Encoder::Xlsx(w) if w.full() => Ok(false),
            Encoder::Xlsx(w) => w.row(row).map(|()| true),
            Encoder::Csv(w) => {
                w.write_record(row.iter().map(Cell::csv))?;
                Ok(true)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Xlsx(_) => Ok(()),
            Encoder::Csv(w) => w.flush(),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Encoder::Xlsx(w) => w.finish().map(drop),
            Encoder::Csv(mut w) => w.flush(),
        }
    }
}

type Chunk = Result<Bytes, io::Error>;

/// The export as a streamed download. The first page is read before answering, so a filter the
/// database refuses is a problem response; a failure later (the database gone mid-way) breaks
/// the download off, so a cut file is never mistaken for a whole one.
pub async fn respond(
    state: AppState,
    auth: Authenticated,
    meta: RequestMeta,
    ex: Export,
    mut fetch: Fetch,
) -> AppResult<Response> {
    let first = fetch(1).await?;
    let out = Shared::default();
    let encoder = Encoder::new(&ex, out.clone()).map_err(|e| anyhow::Error::new(e).context("starting an export"))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let name = format!(
        "attachment; filename=\"{}-{}.{}\"",
        ex.what,
        state.now().with_timezone(&JAKARTA).format("%Y%m%d-%H%M"),
        ex.format.as_str()
    );
    let format = ex.format;
    tokio::spawn(produce(state, auth, meta, ex, fetch, first, encoder, out, tx));
    // Fused: the compression layer polls a finished body once more, which an `unfold` answers
    // with a panic (the fuzzer's gzip-accepting CSV downloads were cut off by it).
    let body =
        Body::from_stream(futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })));
    let mut res = body.into_response();
    let h = res.headers_mut();
    match format {
        Format::Xlsx => {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX_MIME));
            // Already deflated: the compression layer leaves it alone.
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("identity"));
        }
        Format::Csv => {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        }
    }
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Writes the rows page by page into the channel, then records the export.
#[allow(clippy::too_many_arguments)]
async fn produce(
    state: AppState,
    auth: Authenticated,
    meta: RequestMeta,
    ex: Export,
    mut fetch: Fetch,
    first: Vec<Row>,
    mut encoder: Encoder,
    out: Shared,
    tx: tokio::sync::mpsc::Sender<Chunk>,
) {
    let mut rows = 0usize;
    let mut page = first;
    let mut n = 1;
    // Why the file is not whole, if it is not.
    let mut cut: Option<&'static str> = None;
    loop {
        let last = (page.len() as u64) < PAGE_ROWS;
        for row in &page {
            match encoder.row(row) {
                Ok(true) => rows += 1,
                Ok(false) => {
                    cut = Some("the sheet is full");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, what = ex.what, "writing an export");
                    cut = Some("write error");
                    break;
                }
            }
        }
        if let Err(e) = encoder.flush() {
            tracing::error!(error = %e, what = ex.what, "writing an export");
            cut = cut.or(Some("write error"));
        }
        let chunk = out.take();
        if !chunk.is_empty() && tx.send(Ok(Bytes::from(chunk))).await.is_err() {
            cut = cut.or(Some("the client left"));
        }
        if last || cut.is_some() {
            break;
        }
        n += 1;
        page = match fetch(n).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, what = ex.what, page = n, "reading a page of an export");
                cut = Some("read error");
                break;
            }
        };
    }
    let whole = !matches!(cut, Some("write error" | "read error" | "the client left"));
    if whole {
        match encoder.finish() {
            Ok(()) => {
                let _ = tx.send(Ok(Bytes::from(out.take()))).await;
            }
            Err(e) => {
                tracing::error!(error = %e, what = ex.what, "finishing an export");
                cut = Some("write error");
            }
        }
    }
    let mut details = serde_json::json!({
        "format": ex.format.as_str(),
        "query": ex.query.unwrap_or_default(),
        "complete": cut.is_none(),
    });
    if let (Some(why), Some(map)) = (cut, details.as_object_mut()) {
        map.insert("cut".into(), why.into());
    }
    if let Err(e) = record(&state, Entry::exported(&auth, &meta, ex.what, rows, details)).await {
        tracing::error!(error = %e, what = ex.what, "recording an export in the audit log");
    }
    if matches!(cut, Some("write error" | "read error")) {
        let _ = tx.send(Err(io::Error::other("the export failed; see the server log"))).await;
    }
    // Dropping `tx` ends the body, after the audit record is written.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_values_are_plain_and_formulas_defused() {
        let t = DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        assert_eq!(Cell::Time(t).csv(), "2026-05-29T03:26:40+07:00");
        assert_eq!(Cell::Money(1_500_000).csv(), "1500000");
        assert_eq!(Cell::from(Some("=SUM(A1)")).csv(), "'=SUM(A1)");
        assert_eq!(Cell::from(None::<String>).csv(), "");
        assert_eq!(Cell::Bool(false).csv(), "false");
    }
}
