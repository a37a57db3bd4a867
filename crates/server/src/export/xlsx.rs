//! A small streaming XLSX writer: one worksheet, written row by row into a zip stream (no seek,
//! no shared-strings table, nothing held per row), so a workbook of any length takes constant
//! memory. Text is an inline string (`t="inlineStr"`); whole numbers, rupiah and times are
//! numeric cells with a number format: rupiah `#,##0`, times `yyyy-mm-dd hh:mm` as Excel serial
//! days in Asia/Jakarta, dates `yyyy-mm-dd`.

use super::Cell;
use aglis_core::schedule::JAKARTA;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::fmt::Write as _;
use std::io::{self, Write};
use zip::ZipWriter;
use zip::write::{SimpleFileOptions, StreamWriter};

/// Rows one worksheet holds (Excel's limit), the header row included.
pub const MAX_ROWS: u32 = 1_048_576;
/// Characters one cell holds (Excel's limit); longer text is cut.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Cell styles (`cellXfs` indexes of [`STYLES`]).
const STYLE_HEADER: u8 = 1;
const STYLE_MONEY: u8 = 2;
const STYLE_DATETIME: u8 = 3;
const STYLE_DATE: u8 = 4;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Number formats 164 (`yyyy-mm-dd hh:mm`) and 165 (`yyyy-mm-dd`), and the built-in 3 (`#,##0`);
/// cell styles: 0 plain, 1 bold header, 2 rupiah, 3 date and time, 4 date.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// A workbook being written: the fixed parts are out, the sheet is open for rows.
pub struct XlsxWriter<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    /// Column letters, `A`, `B`, … (computed once).
    letters: Vec<String>,
    /// The last row written (1 is the header).
    row: u32,
    /// One row's XML, reused.
    buf: String,
}

impl<W: Write> XlsxWriter<W> {
    /// Writes the fixed parts and the header row (bold, frozen) of a sheet named `sheet`.
    pub fn new(inner: W, sheet: &str, headers: &[&str], widths: &[u8]) -> io::Result<Self> {
        let mut zip = ZipWriter::new_stream(inner);
        let fixed = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        // Level 1: the sheet is repetitive XML; a higher level costs several times the CPU for a
        // few percent.
        let sheet_opts = fixed.compression_level(Some(1)).large_file(false);
        let name = escape(&sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect::<String>());
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        );
        for (path, text) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ] {
            zip.start_file(path, fixed).map_err(io::Error::other)?;
            zip.write_all(text.as_bytes())?;
        }
        zip.start_file("xl/worksheets/sheet1.xml", sheet_opts).map_err(io::Error::other)?;
        let mut head = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#,
        );
        if !widths.is_empty() {
            head.push_str("<cols>");
            for (i, w) in widths.iter().enumerate() {
                let _ = write!(head, r#"<col min="{n}" max="{n}" width="{w}" customWidth="1"/>"#, n = i + 1);
            }
            head.push_str("</cols>");
        }
        head.push_str("<sheetData>");
        zip.write_all(head.as_bytes())?;
        let letters = (0..headers.len()).map(column_letters).collect();
        let mut w = XlsxWriter { zip, letters, row: 0, buf: String::with_capacity(1024) };
        let cells: Vec<Cell> = headers.iter().map(|h| Cell::Text((*h).to_owned())).collect();
        w.write_row(&cells, Some(STYLE_HEADER))?;
        Ok(w)
    }

    /// Rows written so far, the header included.
    pub fn rows(&self) -> u32 {
        self.row
    }

    /// Whether the sheet has room for another row.
    pub fn full(&self) -> bool {
        self.row >= MAX_ROWS
    }

    /// Appends one row; `Err` past [`MAX_ROWS`].
    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        self.write_row(cells, None)
    }

    fn write_row(&mut self, cells: &[Cell], style: Option<u8>) -> io::Result<()> {
        if self.full() {
            return Err(io::Error::other("the sheet is full"));
        }
        self.row += 1;
        let r = self.row;
        let buf = &mut self.buf;
        buf.clear();
        let _ = write!(buf, r#"<row r="{r}">"#);
        for (i, cell) in cells.iter().enumerate() {
            let Some(col) = self.letters.get(i) else { break };
            let s = |own: u8| style.unwrap_or(own);
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => text_cell(buf, col, r, style, t),
                Cell::Int(n) => {
                    let _ = write!(buf, r#"<c r="{col}{r}"{}><v>{n}</v></c>"#, style_attr(style));
                }
                Cell::Float(f) if f.is_finite() => {
                    let _ = write!(buf, r#"<c r="{col}{r}"{}><v>{f}</v></c>"#, style_attr(style));
                }
                Cell::Float(_) => {}
                Cell::Money(n) => {
                    let _ = write!(buf, r#"<c r="{col}{r}" s="{}"><v>{n}</v></c>"#, s(STYLE_MONEY));
                }
                Cell::Bool(b) => {
                    let _ = write!(buf, r#"<c r="{col}{r}" t="b"{}><v>{}</v></c>"#, style_attr(style), u8::from(*b));
                }
                Cell::Time(t) => {
                    let _ = write!(buf, r#"<c r="{col}{r}" s="{}"><v>{}</v></c>"#, s(STYLE_DATETIME), serial_time(*t));
                }
                Cell::Date(d) => {
                    let _ = write!(buf, r#"<c r="{col}{r}" s="{}"><v>{}</v></c>"#, s(STYLE_DATE), serial_date(*d));
                }
            }
        }
        buf.push_str("</row>");
        self.zip.write_all(self.buf.as_bytes())
    }

    /// Closes the sheet and the zip; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.zip.write_all(b"</sheetData></worksheet>")?;
        let stream = self.zip.finish().map_err(io::Error::other)?;
        Ok(stream.into_inner())
    }
}

fn style_attr(style: Option<u8>) -> String {
    style.map(|s| format!(r#" s="{s}""#)).unwrap_or_default()
}

fn text_cell(buf: &mut String, col: &str, r: u32, style: Option<u8>, t: &str) {
    let _ = write!(buf, r#"<c r="{col}{r}" t="inlineStr"{}><is><t xml:space="preserve">"#, style_attr(style));
    push_escaped(buf, t);
    buf.push_str("</t></is></c>");
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`, `701` → `ZZ`, `702` → `AAA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + u8::try_from(rem).unwrap_or(0));
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `text` as XML character data: `& < > " '` escaped; characters XML 1.0 cannot hold (controls
/// other than tab, line feed and carriage return; U+FFFE, U+FFFF) dropped; cut at
/// [`MAX_CELL_CHARS`].
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars().take(MAX_CELL_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default().and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Excel's serial day of `t` on a Jakarta clock, to the second.
pub fn serial_time(t: DateTime<Utc>) -> f64 {
    let local = t.with_timezone(&JAKARTA).naive_local();
    #[allow(clippy::cast_precision_loss)]
    let secs = (local - epoch()).num_seconds() as f64;
    secs / 86_400.0
}

/// Excel's serial day of `d`.
pub fn serial_date(d: NaiveDate) -> i64 {
    (d - epoch().date()).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn column_letters_go_past_z() {
        let got: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383].into_iter().map(column_letters).collect();
        assert_eq!(got, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]);
    }

    #[test]
    fn text_is_escaped_and_controls_dropped() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1}c\u{B}d\u{1F}e\tf\ng\rh\u{FFFE}"), "abcde\tf\ng\rh");
        assert_eq!(escape(&"x".repeat(40_000)).len(), MAX_CELL_CHARS);
    }

    #[test]
    fn serial_days_are_jakarta_time() {
        // 1900-01-01 00:00 Jakarta is serial 2; 2026-12-07 00:00 WIB is 2026-12-06 17:00 UTC.
        let t = DateTime::parse_from_rfc3339("2026-12-06T17:00:00Z").map(|t| t.with_timezone(&Utc));
        assert_eq!(t.map(serial_time).ok(), Some(46_363.0));
        assert_eq!(NaiveDate::from_ymd_opt(2026, 12, 7).map(serial_date), Some(46_363));
    }

    fn sheet_xml(bytes: &[u8]) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml",
                "xl/workbook.xml",
                "xl/worksheets/sheet1.xml"
            ]
        );
        let mut text = String::new();
        archive.by_name("xl/worksheets/sheet1.xml").expect("sheet").read_to_string(&mut text).expect("utf-8");
        text
    }

    #[test]
    fn a_workbook_streams_well_formed_rows() {
        let headers: Vec<String> = (0..30).map(|i| format!("h{i}")).collect();
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut w = XlsxWriter::new(Vec::new(), "Pelanggan <&>", &refs, &[12, 30]).expect("start");
        let t = DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        let mut cells = vec![
            Cell::Text("<b>\"A&B\"</b>\u{7}".into()),
            Cell::Money(1_500_000),
            Cell::Time(t),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default()),
            Cell::Bool(true),
            Cell::Int(-7),
            Cell::Float(-6.2),
            Cell::Empty,
        ];
        cells.resize(29, Cell::Empty);
        cells.push(Cell::Text("last".into()));
        w.row(&cells).expect("row");
        assert_eq!(w.rows(), 2);
        let bytes = w.finish().expect("finish");
        let sheet = sheet_xml(&bytes);
        assert!(sheet.contains(r#"<c r="A2" t="inlineStr"><is><t xml:space="preserve">&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</t></is></c>"#), "{sheet}");
        assert!(sheet.contains(r#"<c r="B2" s="2"><v>1500000</v></c>"#));
        assert!(sheet.contains(r#"<c r="C2" s="3"><v>"#));
        assert!(sheet.contains(r#"<c r="D2" s="4"><v>46053</v></c>"#));
        assert!(sheet.contains(r#"<c r="E2" t="b"><v>1</v></c>"#));
        assert!(sheet.contains(r#"<c r="F2"><v>-7</v></c>"#));
        assert!(sheet.contains(r#"<c r="G2"><v>-6.2</v></c>"#));
        assert!(!sheet.contains(r#"r="H2""#), "an empty cell is left out");
        assert!(sheet.contains(r#"<c r="AD2" t="inlineStr"><is><t xml:space="preserve">last</t>"#));
        assert!(sheet.contains(r#"<c r="AD1" t="inlineStr" s="1">"#), "bold header");
        assert!(sheet.ends_with("</sheetData></worksheet>"));
        assert!(!sheet.contains('\u{7}'));

        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("calamine opens it");
        assert_eq!(book.sheet_names(), ["Pelanggan <&>"]);
        let range = book.worksheet_range_at(0).expect("a sheet").expect("readable");
        assert_eq!(range.get((0, 29)), Some(&Data::String("h29".into())));
        assert_eq!(range.get((1, 0)), Some(&Data::String("<b>\"A&B\"</b>".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(1_500_000.0)));
        assert!(matches!(range.get((1, 2)), Some(Data::DateTime(_))), "{:?}", range.get((1, 2)));
        assert_eq!(range.get((1, 4)), Some(&Data::Bool(true)));
    }
}
