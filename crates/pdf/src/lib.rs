//! AGLIS documents as PDF, typeset in-process with [typst](https://typst.app).
//!
//! [`render_invoice`] turns an [`InvoiceDoc`] (every text already in the customer's language,
//! every amount in whole rupiah) into the bytes of an A4 PDF. Nothing is read from the disk or
//! the network: the template (`invoice.typ`) and the two fonts (DejaVu Sans, `fonts/`) are
//! compiled into the binary, and the fonts are parsed once per process.
//!
//! The data never becomes typst markup. It is serialised to JSON and handed to the template as
//! the virtual file `/data.json`, which the template reads with `json(..)` and shows as plain
//! strings: a customer called `*Budi* #x` prints as exactly that.

use std::sync::LazyLock;

use aglis_core::money::Rupiah;
use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::ecow::EcoVec;
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

mod labels;

use labels::Labels;

/// The language the invoice is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Bahasa Indonesia.
    Id,
    /// English.
    En,
}

/// The company that issues the invoice (the ISP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub name: String,
    pub address: String,
    pub npwp: String,
    pub phone: String,
    pub email: String,
    /// The company's logo; None prints the name only.
    pub logo: Option<Logo>,
}

/// A logo image: SVG text, or PNG or JPEG bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logo {
    Svg(String),
    Png(Vec<u8>),
    Jpeg(Vec<u8>),
}

impl Logo {
    /// Recognises an image by its content (not by a name or a declared type): PNG and JPEG by
    /// their signatures, SVG as UTF-8 text with an `<svg` element.
    pub fn sniff(bytes: Vec<u8>) -> Option<Logo> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Logo::Png(bytes));
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Logo::Jpeg(bytes));
        }
        let text = String::from_utf8(bytes).ok()?;
        text.contains("<svg").then_some(Logo::Svg(text))
    }

    /// The media type it is served with.
    pub fn mime(&self) -> &'static str {
        match self {
            Logo::Svg(_) => "image/svg+xml",
            Logo::Png(_) => "image/png",
            Logo::Jpeg(_) => "image/jpeg",
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Logo::Svg(s) => s.as_bytes(),
            Logo::Png(b) | Logo::Jpeg(b) => b,
        }
    }

    /// Where the template finds it.
    fn path(&self) -> &'static str {
        match self {
            Logo::Svg(_) => "/logo.svg",
            Logo::Png(_) => "/logo.png",
            Logo::Jpeg(_) => "/logo.jpg",
        }
    }
}

/// One line of the invoice. Amounts in whole rupiah.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// Everything printed on an invoice, already computed and translated: the renderer formats
/// amounts but does no arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDoc {
    pub lang: Lang,
    pub company: Company,
    /// e.g. "INV-202612-000123"
    pub number: String,
    /// Already formatted for the language, e.g. "1 Desember 2026".
    pub issued_on: String,
    pub due_on: String,
    /// e.g. "Desember 2026"
    pub period: Option<String>,
    /// Already translated, e.g. "Lunas" / "Belum dibayar".
    pub status: String,
    /// Print a "LUNAS"/"PAID" stamp.
    pub paid_stamp: bool,
    pub customer_name: String,
    pub customer_code: String,
    pub customer_address: String,
    pub customer_phone: String,
    pub lines: Vec<Line>,
    pub subtotal: i64,
    pub discount: i64,
    /// The tax base (DPP) and, when the 11/12 rule applies, "DPP Nilai Lain" = dpp × 11/12.
    pub dpp: i64,
    pub dpp_nilai_lain: Option<i64>,
    /// 12; 0 = no PPN (exempt): then no PPN rows are printed but a note "Tidak dikenakan PPN".
    pub ppn_rate: i32,
    pub ppn: i64,
    pub total: i64,
    /// Settled: payments and credit notes.
    pub paid: i64,
    /// The part of `paid` credit notes settled.
    pub credited: i64,
    pub balance_due: i64,
    /// Printed and encoded in the QR code; empty prints neither.
    pub pay_url: String,
    /// e.g. bank accounts, "Scan QRIS".
    pub payment_instructions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the invoice template failed: {0}")]
    Template(String),
}

/// Renders the invoice as PDF bytes (starts with `%PDF`).
pub fn render_invoice(doc: &InvoiceDoc) -> Result<Vec<u8>, PdfError> {
    let options = typst_pdf::PdfOptions { creator: Smart::Custom(Some("AGLIS".to_owned())), ..Default::default() };
    let pdf =
        compile(doc).and_then(|document| typst_pdf::pdf(&document, &options).map_err(|e| diagnostics("PDF export", e)));
    // typst memoises layout work in a process-wide cache; without eviction it grows with every
    // invoice. Results unused for the last few renders go (the fonts and the template stay).
    typst::comemo::evict(EVICT_AFTER_RENDERS);
    pdf
}

/// Whether `logo` can be printed: lays out a blank invoice with it (an image typst cannot decode
/// is an error here, not on every invoice later).
pub fn check_logo(logo: &Logo) -> Result<(), PdfError> {
    let doc = InvoiceDoc {
        lang: Lang::Id,
        company: Company {
            name: "AGLIS".to_owned(),
            address: String::new(),
            npwp: String::new(),
            phone: String::new(),
            email: String::new(),
            logo: Some(logo.clone()),
        },
        number: "INV-000000-000000".to_owned(),
        issued_on: String::new(),
        due_on: String::new(),
        period: None,
        status: String::new(),
        paid_stamp: false,
        customer_name: String::new(),
        customer_code: String::new(),
        customer_address: String::new(),
        customer_phone: String::new(),
        lines: Vec::new(),
        subtotal: 0,
        discount: 0,
        dpp: 0,
        dpp_nilai_lain: None,
        ppn_rate: 0,
        ppn: 0,
        total: 0,
        paid: 0,
        credited: 0,
        balance_due: 0,
        pay_url: String::new(),
        payment_instructions: Vec::new(),
    };
    compile(&doc).map(|_| ())
}

/// How many renders a memoised typst result survives unused.
const EVICT_AFTER_RENDERS: usize = 8;

/// Lays the invoice out (typst's document before PDF export).
fn compile(doc: &InvoiceDoc) -> Result<PagedDocument, PdfError> {
    let data = serde_json::to_vec(&Data::new(doc)?).map_err(|e| PdfError::Template(format!("invoice data: {e}")))?;
    let world = InvoiceWorld::new(data, doc.company.logo.as_ref());
    typst::compile::<PagedDocument>(&world).output.map_err(|e| diagnostics("layout", e))
}

fn diagnostics(stage: &str, errors: EcoVec<SourceDiagnostic>) -> PdfError {
    let messages: Vec<String> = errors
        .iter()
        .map(|e| {
            let mut m = e.message.to_string();
            for hint in &e.hints {
                m.push_str(" (hint: ");
                m.push_str(&hint.v);
                m.push(')');
            }
            m
        })
        .collect();
    PdfError::Template(format!("{stage}: {}", messages.join("; ")))
}

// ---------------------------------------------------------------------------------------------
// The data the template reads (`/data.json`)

#[derive(Serialize)]
struct Data<'a> {
    lang: &'static str,
    labels: &'static Labels,
    title: String,
    company: DataCompany<'a>,
    /// The logo's path in the world (`/logo.png`).
    logo: Option<&'static str>,
    number: &'a str,
    issued_on: &'a str,
    due_on: &'a str,
    period: Option<&'a str>,
    status: &'a str,
    paid_stamp: bool,
    customer: DataCustomer<'a>,
    lines: Vec<DataLine<'a>>,
    totals: Vec<TotalRow>,
    balance_due: String,
    no_vat_note: Option<&'static str>,
    pay_url: &'a str,
    /// Whether `pay_url` is a web address the PDF may link to.
    pay_link: bool,
    /// The QR code of `pay_url` as an SVG document; None when there is no pay URL.
    qr: Option<String>,
    instructions: &'a [String],
}

#[derive(Serialize)]
struct DataCompany<'a> {
    name: &'a str,
    address: &'a str,
    npwp: &'a str,
    phone: &'a str,
    email: &'a str,
}

#[derive(Serialize)]
struct DataCustomer<'a> {
    name: &'a str,
    code: &'a str,
    address: &'a str,
    phone: &'a str,
}

#[derive(Serialize)]
struct DataLine<'a> {
    description: &'a str,
    quantity: String,
    unit_price: String,
    amount: String,
}

/// One row of the totals block.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct TotalRow {
    label: String,
    value: String,
    kind: RowKind,
}

#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RowKind {
    Normal,
    /// The invoice total: bold, ruled above.
    Total,
    /// What is left to pay: highlighted.
    Due,
}

impl<'a> Data<'a> {
    fn new(doc: &'a InvoiceDoc) -> Result<Self, PdfError> {
        let labels = Labels::of(doc.lang);
        let pay_url = doc.pay_url.trim();
        let qr = if pay_url.is_empty() { None } else { Some(qr_svg(pay_url)?) };
        Ok(Data {
            lang: match doc.lang {
                Lang::Id => "id",
                Lang::En => "en",
            },
            labels,
            title: format!("{} {}", labels.title, doc.number),
            company: DataCompany {
                name: &doc.company.name,
                address: &doc.company.address,
                npwp: &doc.company.npwp,
                phone: &doc.company.phone,
                email: &doc.company.email,
            },
            logo: doc.company.logo.as_ref().filter(|l| !l.bytes().is_empty()).map(Logo::path),
            number: &doc.number,
            issued_on: &doc.issued_on,
            due_on: &doc.due_on,
            period: doc.period.as_deref().filter(|s| !s.trim().is_empty()),
            status: &doc.status,
            paid_stamp: doc.paid_stamp,
            customer: DataCustomer {
                name: &doc.customer_name,
                code: &doc.customer_code,
                address: &doc.customer_address,
                phone: &doc.customer_phone,
            },
            lines: doc
                .lines
                .iter()
                .map(|l| DataLine {
                    description: &l.description,
                    quantity: group_thousands(l.quantity),
                    unit_price: Rupiah(l.unit_price).to_string(),
                    amount: Rupiah(l.amount).to_string(),
                })
                .collect(),
            totals: totals(doc, labels),
            balance_due: Rupiah(doc.balance_due).to_string(),
            no_vat_note: (doc.ppn_rate == 0).then_some(labels.no_vat),
            pay_url,
            pay_link: pay_url.starts_with("https://") || pay_url.starts_with("http://"),
            qr,
            instructions: &doc.payment_instructions,
        })
    }
}

/// The totals block, the way an Indonesian tax invoice lists them (PMK 131/2024): selling price,
/// discount, tax base (DPP), other tax base (DPP Nilai Lain, 11/12), PPN, total; then what was
/// paid and what is left. With no PPN (rate 0) the tax rows are left out.
fn totals(doc: &InvoiceDoc, l: &Labels) -> Vec<TotalRow> {
    let row =
        |label: &str, amount: i64, kind| TotalRow { label: label.to_owned(), value: Rupiah(amount).to_string(), kind };
    let mut rows = vec![row(l.selling_price, doc.subtotal, RowKind::Normal)];
    if doc.discount > 0 {
        rows.push(row(l.discount, doc.discount, RowKind::Normal));
    }
    if doc.ppn_rate != 0 {
        rows.push(row(l.dpp, doc.dpp, RowKind::Normal));
        if let Some(other) = doc.dpp_nilai_lain {
            rows.push(row(l.dpp_other, other, RowKind::Normal));
        }
        rows.push(row(&format!("{} {}%", l.vat, doc.ppn_rate), doc.ppn, RowKind::Normal));
    }
    rows.push(row(l.total, doc.total, RowKind::Total));
    if doc.paid - doc.credited != 0 {
        rows.push(row(l.paid, doc.paid - doc.credited, RowKind::Normal));
    }
    if doc.credited != 0 {
        rows.push(row(l.credit_note, doc.credited, RowKind::Normal));
    }
    rows.push(row(l.amount_due, doc.balance_due, RowKind::Due));
    rows
}

/// `1234567` → `1.234.567` (the Indonesian thousands separator, as for money).
fn group_thousands(n: i64) -> String {
    Rupiah(n).to_string().replacen("Rp ", "", 1)
}

/// The QR code of `text` as an SVG document, black on white. Without the quiet zone (the white
/// margin scanners need): the template leaves that room around it.
fn qr_svg(text: &str) -> Result<String, PdfError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| PdfError::Template(format!("the pay URL does not fit in a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(false)
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

// ---------------------------------------------------------------------------------------------
// The typst world: one template, one data file, two fonts; nothing else exists.

/// The template, the fonts and typst's standard library: built once per process.
struct Assets {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    data_id: FileId,
}

const TEMPLATE: &str = include_str!("invoice.typ");

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE`): Latin, and every Indonesian name.
static FONT_FILES: [&[u8]; 2] =
    [include_bytes!("../fonts/DejaVuSans.ttf"), include_bytes!("../fonts/DejaVuSans-Bold.ttf")];

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
    Assets {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
        main: Source::new(file("/invoice.typ"), TEMPLATE.to_owned()),
        data_id: file("/data.json"),
    }
});

fn file(path: &str) -> FileId {
    match VirtualPath::new(path) {
        Ok(vpath) => RootedPath::new(VirtualRoot::Project, vpath).intern(),
        Err(e) => panic!("the fixed path {path} is invalid: {e}"),
    }
}

struct InvoiceWorld {
    /// `/data.json`
    data: Bytes,
    /// The logo at its path, when there is one.
    logo: Option<(FileId, Bytes)>,
}

impl InvoiceWorld {
    fn new(data: Vec<u8>, logo: Option<&Logo>) -> Self {
        let logo = logo.map(|l| (file(l.path()), Bytes::new(l.bytes().to_vec())));
        InvoiceWorld { data: Bytes::new(data), logo }
    }
}

impl World for InvoiceWorld {
    fn library(&self) -> &LazyHash<Library> {
        &ASSETS.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &ASSETS.book
    }

    fn main(&self) -> FileId {
        ASSETS.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == ASSETS.main.id() { Ok(ASSETS.main.clone()) } else { Err(not_found(id)) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == ASSETS.data_id {
            Ok(self.data.clone())
        } else if id == ASSETS.main.id() {
            Ok(Bytes::from_string(TEMPLATE))
        } else if let Some((_, bytes)) = self.logo.as_ref().filter(|(logo_id, _)| *logo_id == id) {
            Ok(bytes.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        ASSETS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Not used by the template; fixed so that a render depends on its input alone.
        Datetime::from_ymd(2026, 1, 1)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

#[cfg(test)]
mod tests;
