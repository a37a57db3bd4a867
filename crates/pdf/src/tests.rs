use typst::layout::{Frame, FrameItem};

use super::*;

/// A name with every character that means something in typst markup or code.
const WEIRD: &str = r#"Budi "Ucok" Santoso #1 $x [a] *b* _c_ @d <e> \ "#;

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">
<rect x="0" y="0" width="40" height="40" rx="8" fill="#12467b"/>
<circle cx="20" cy="20" r="9" fill="#ffffff"/>
<text x="48" y="27" font-size="18" fill="#12467b">NET</text>
</svg>"##;

fn line(description: &str, quantity: i64, unit_price: i64) -> Line {
    Line { description: description.to_owned(), quantity, unit_price, amount: quantity * unit_price }
}

/// A December invoice under the 11/12 rule: Rp 1.500.000 + Rp 50.000 installation, less
/// Rp 50.000 discount.
fn sample(lang: Lang) -> InvoiceDoc {
    let lines = vec![line("Internet 100 Mbps — Desember 2026", 1, 1_500_000), line("Biaya pemasangan", 1, 50_000)];
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let discount = 50_000;
    let dpp = subtotal - discount;
    let dpp_nilai_lain = dpp * 11 / 12;
    let ppn = dpp_nilai_lain * 12 / 100;
    let total = dpp + ppn;
    InvoiceDoc {
        lang,
        company: Company {
            name: "PT Awan Gigabit Nusantara".to_owned(),
            address: "Jl. Merdeka No. 17\nBandung 40111".to_owned(),
            npwp: "01.234.567.8-901.000".to_owned(),
            phone: "+62 22 1234 5678".to_owned(),
            email: "tagihan@awan.net.id".to_owned(),
            logo: Some(Logo::Svg(LOGO.to_owned())),
        },
        number: "INV-202612-000123".to_owned(),
        issued_on: "1 Desember 2026".to_owned(),
        due_on: "10 Desember 2026".to_owned(),
        period: Some("Desember 2026".to_owned()),
        status: "Belum dibayar".to_owned(),
        paid_stamp: false,
        customer_name: "Siti Rahmawati".to_owned(),
        customer_code: "CUST-00042".to_owned(),
        customer_address: "Jl. Cempaka 5, RT 02/RW 03\nCibeunying, Bandung".to_owned(),
        customer_phone: "0812 3456 7890".to_owned(),
        lines,
        subtotal,
        discount,
        dpp,
        dpp_nilai_lain: Some(dpp_nilai_lain),
        ppn_rate: 12,
        ppn,
        total,
        paid: 0,
        credited: 0,
        balance_due: total,
        pay_url: "https://pay.awan.net.id/i/INV-202612-000123".to_owned(),
        payment_instructions: vec![
            "Transfer BCA 123-456-7890 a.n. PT Awan Gigabit Nusantara".to_owned(),
            "Scan QRIS".to_owned(),
        ],
    }
}

/// The document's text, page by page, in layout order (each text run as typst shaped it).
fn page_texts(doc: &InvoiceDoc) -> Vec<String> {
    fn walk(frame: &Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, out),
                FrameItem::Text(text) => {
                    out.push_str(&text.text);
                    out.push('\n');
                }
                _ => {}
            }
        }
    }
    let document = compile(doc).expect("compiles");
    document
        .pages()
        .iter()
        .map(|page| {
            let mut s = String::new();
            walk(&page.frame, &mut s);
            s
        })
        .collect()
}

fn no_whitespace(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn assert_pdf(doc: &InvoiceDoc) -> Vec<u8> {
    let pdf = render_invoice(doc).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.len() > 1000);
    pdf
}

#[test]
fn renders_indonesian_with_ppn_and_logo() {
    let doc = sample(Lang::Id);
    assert_pdf(&doc);
    let pages = page_texts(&doc);
    assert_eq!(pages.len(), 1);
    let text = &pages[0];
    for expected in [
        "TAGIHAN",
        "PT Awan Gigabit Nusantara",
        "NPWP: 01.234.567.8-901.000",
        "INV-202612-000123",
        "Siti Rahmawati",
        "Harga Jual / Penggantian",
        "Rp 1.550.000",
        "Potongan Harga",
        "Dasar Pengenaan Pajak",
        "Rp 1.500.000",
        "DPP Nilai Lain (11/12)",
        "Rp 1.375.000",
        "PPN 12%",
        "Rp 165.000",
        "Rp 1.665.000",
        "Sisa Tagihan",
        "https://pay.awan.net.id/i/INV-202612-000123",
        "Scan QRIS",
        "Halaman 1 / 1",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.contains("LUNAS"));
}

#[test]
fn renders_english_without_ppn_and_without_logo() {
    let mut doc = sample(Lang::En);
    doc.company.logo = None;
    doc.ppn_rate = 0;
    doc.ppn = 0;
    doc.dpp_nilai_lain = None;
    doc.discount = 0;
    doc.total = doc.subtotal;
    doc.paid = doc.total;
    doc.balance_due = 0;
    doc.status = "Paid".to_owned();
    doc.paid_stamp = true;
    assert_pdf(&doc);
    let text = &page_texts(&doc)[0];
    for expected in ["INVOICE", "BILL TO", "Selling price", "Total", "Paid", "Amount due", "No VAT charged", "PAID"] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    for absent in ["VAT 12%", "Tax base", "Other tax base", "Discount", "PPN"] {
        assert!(!text.contains(absent), "{absent:?} printed:\n{text}");
    }
}

#[test]
fn renders_with_no_lines_and_no_pay_url() {
    let mut doc = sample(Lang::Id);
    doc.lines.clear();
    doc.pay_url = String::new();
    doc.payment_instructions.clear();
    doc.period = None;
    assert_pdf(&doc);
    let pages = page_texts(&doc);
    assert_eq!(pages.len(), 1);
    assert!(pages[0].contains("Tidak ada rincian tagihan."));
    assert!(!pages[0].contains("Periode"));
}

#[test]
fn thirty_lines_take_a_second_page_with_the_table_header_again() {
    let mut doc = sample(Lang::Id);
    doc.lines = (1..=30).map(|i| line(&format!("Layanan tambahan nomor {i}"), i, 10_000)).collect();
    doc.subtotal = doc.lines.iter().map(|l| l.amount).sum();
    assert_pdf(&doc);
    let pages = page_texts(&doc);
    assert!(pages.len() >= 2, "{} page(s)", pages.len());
    assert!(pages[1].contains("Uraian"), "the table header repeats:\n{}", pages[1]);
    assert!(pages[1].contains("INV-202612-000123"), "the page header names the invoice");
    assert!(pages.concat().contains("Layanan tambahan nomor 30"));
    assert!(pages[0].contains(&format!("Halaman 1 / {}", pages.len())));
}

#[test]
fn user_text_is_printed_literally_never_as_markup() {
    let mut doc = sample(Lang::Id);
    doc.customer_name = WEIRD.to_owned();
    doc.company.name = format!("{WEIRD} ISP");
    doc.customer_code = "#1 $x *b*".to_owned();
    doc.customer_address = r#"]) #panic("x") #{ "#.to_owned();
    doc.number = "<inv> @ref".to_owned();
    doc.lines[0].description = "#set page(width: 1cm) // not a comment /* */".to_owned();
    doc.payment_instructions = vec!["`raw` = $ 1 + 1 $ - [link](x)".to_owned(), "- not a list".to_owned()];
    doc.status = r"\u{41}".to_owned();
    assert_pdf(&doc);
    let text = page_texts(&doc).concat();
    let flat = no_whitespace(&text);
    for literal in [
        WEIRD,
        r#"]) #panic("x") #{"#,
        "#set page(width: 1cm) // not a comment /* */",
        "`raw` = $ 1 + 1 $ - [link](x)",
        "- not a list",
    ] {
        assert!(flat.contains(&no_whitespace(literal)), "{literal:?} not printed literally:\n{text}");
    }
    // Short ones fit on a line, so they show exactly, spaces and all.
    for exact in ["#1 $x *b*", "<inv> @ref", r"\u{41}", "\"Ucok\""] {
        assert!(text.contains(exact), "{exact:?} not printed exactly:\n{text}");
    }
}

#[test]
fn odd_characters_do_not_break_the_render() {
    let mut doc = sample(Lang::En);
    doc.customer_name = "Nul\u{0} bell\u{7} rtl\u{202E}abc emoji 📶🚀 CJK 你好 tab\there\r\nCRLF".to_owned();
    doc.lines[0].description = "x".repeat(400);
    doc.customer_address = "\n\n\n".to_owned();
    doc.payment_instructions = vec![String::new(), " ".to_owned()];
    assert_pdf(&doc);
}

#[test]
fn a_broken_logo_is_an_error_not_a_panic() {
    let mut doc = sample(Lang::En);
    doc.company.logo = Some(Logo::Svg("<svg this is not".to_owned()));
    let err = render_invoice(&doc).expect_err("a broken SVG fails");
    assert!(matches!(err, PdfError::Template(_)));
    assert!(err.to_string().starts_with("the invoice template failed"), "{err}");
}

#[test]
fn the_template_compiles_without_warnings() {
    let doc = sample(Lang::Id);
    let data = serde_json::to_vec(&Data::new(&doc).expect("data")).expect("json");
    let world = InvoiceWorld::new(data, doc.company.logo.as_ref());
    let warned = typst::compile::<PagedDocument>(&world);
    assert!(warned.output.is_ok());
    let warnings: Vec<_> = warned.warnings.iter().map(|w| w.message.to_string()).collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn the_world_has_no_other_files() {
    let world = InvoiceWorld::new(Vec::new(), None);
    for path in ["/etc/passwd", "/logo.svg", "/../secret.typ"] {
        if let Ok(vpath) = VirtualPath::new(path) {
            let id = RootedPath::new(VirtualRoot::Project, vpath).intern();
            assert!(matches!(world.file(id), Err(FileError::NotFound(_))), "{path}");
            assert!(world.source(id).is_err(), "{path}");
        }
    }
}

#[test]
fn totals_follow_the_tax_invoice_rows() {
    let doc = sample(Lang::Id);
    let rows: Vec<(String, String, RowKind)> =
        totals(&doc, Labels::of(Lang::Id)).into_iter().map(|r| (r.label, r.value, r.kind)).collect();
    let row = |l: &str, v: &str, k| (l.to_owned(), v.to_owned(), k);
    assert_eq!(
        rows,
        vec![
            row("Harga Jual / Penggantian", "Rp 1.550.000", RowKind::Normal),
            row("Potongan Harga", "Rp 50.000", RowKind::Normal),
            row("Dasar Pengenaan Pajak", "Rp 1.500.000", RowKind::Normal),
            row("DPP Nilai Lain (11/12)", "Rp 1.375.000", RowKind::Normal),
            row("PPN 12%", "Rp 165.000", RowKind::Normal),
            row("Total", "Rp 1.665.000", RowKind::Total),
            row("Sisa Tagihan", "Rp 1.665.000", RowKind::Due),
        ]
    );

    let mut exempt = sample(Lang::En);
    exempt.ppn_rate = 0;
    exempt.discount = 0;
    exempt.paid = 100_000;
    let labels: Vec<String> = totals(&exempt, Labels::of(Lang::En)).into_iter().map(|r| r.label).collect();
    assert_eq!(labels, ["Selling price", "Total", "Paid", "Amount due"]);

    // A credit note settled part: it is its own row, not money paid.
    exempt.paid = 150_000;
    exempt.credited = 50_000;
    let rows: Vec<(String, String)> =
        totals(&exempt, Labels::of(Lang::En)).into_iter().map(|r| (r.label, r.value)).collect();
    assert_eq!(rows[2], ("Paid".to_owned(), "Rp 100.000".to_owned()));
    assert_eq!(rows[3], ("Credit notes".to_owned(), "Rp 50.000".to_owned()));
    exempt.paid = 50_000;
    let labels: Vec<String> = totals(&exempt, Labels::of(Lang::En)).into_iter().map(|r| r.label).collect();
    assert_eq!(labels, ["Selling price", "Total", "Credit notes", "Amount due"], "credited only: no paid row");
}

#[test]
fn quantities_are_grouped_like_money() {
    assert_eq!(group_thousands(1), "1");
    assert_eq!(group_thousands(1_500), "1.500");
    assert_eq!(group_thousands(-2_000_000), "-2.000.000");
}

#[test]
fn renders_from_many_threads() {
    let handles: Vec<_> = [Lang::Id, Lang::En, Lang::Id, Lang::En]
        .into_iter()
        .map(|lang| std::thread::spawn(move || render_invoice(&sample(lang)).map(|pdf| pdf.starts_with(b"%PDF"))))
        .collect();
    for h in handles {
        assert!(matches!(h.join().expect("thread"), Ok(true)));
    }
}

/// `AGLIS_PDF_DUMP=/some/dir cargo test -p aglis-pdf dump` writes the sample invoices there, to
/// look at.
#[test]
fn dump_samples_when_asked() {
    let Some(dir) = std::env::var_os("AGLIS_PDF_DUMP") else { return };
    let dir = std::path::PathBuf::from(dir);
    let mut paid = sample(Lang::En);
    paid.company.logo = None;
    paid.ppn_rate = 0;
    paid.dpp_nilai_lain = None;
    paid.paid = paid.total;
    paid.balance_due = 0;
    paid.status = "Paid".to_owned();
    paid.paid_stamp = true;
    let mut long = sample(Lang::Id);
    long.customer_name = WEIRD.to_owned();
    long.lines = (1..=30).map(|i| line(&format!("Layanan tambahan nomor {i}"), i, 10_000)).collect();
    let mut empty = sample(Lang::Id);
    empty.lines.clear();
    empty.pay_url.clear();
    for (name, doc) in [("id", sample(Lang::Id)), ("en-paid", paid), ("id-30-lines", long), ("id-empty", empty)] {
        std::fs::write(dir.join(format!("{name}.pdf")), render_invoice(&doc).expect("renders")).expect("writes");
    }
}

#[test]
fn a_png_or_jpeg_logo_is_printed_and_other_files_are_not_logos() {
    // A 2×1 PNG: red and blue.
    let png: Vec<u8> = vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x7B, 0x40, 0xE8, 0xDD, 0x00, 0x00, 0x00,
        0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0x00, 0x04, 0xFF, 0x01, 0x07, 0x00, 0x01, 0xFF,
        0xE2, 0x23, 0x9E, 0x59, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let logo = Logo::sniff(png.clone()).expect("a PNG");
    assert_eq!(logo.mime(), "image/png");
    let mut doc = sample(Lang::Id);
    doc.company.logo = Some(logo);
    let with = render_invoice(&doc).expect("renders with a PNG");
    doc.company.logo = None;
    let without = render_invoice(&doc).expect("renders without");
    assert!(with.len() > without.len(), "the image is embedded");
    assert!(check_logo(&Logo::Png(png.clone())).is_ok());
    let mut broken = png.clone();
    broken[40] ^= 0xFF;
    assert!(check_logo(&Logo::Png(broken)).is_err(), "a damaged PNG is found before an invoice needs it");
    assert_eq!(Logo::sniff(vec![0xFF, 0xD8, 0xFF, 0xE0]).map(|l| l.mime()), Some("image/jpeg"));
    assert_eq!(Logo::sniff(LOGO.as_bytes().to_vec()).map(|l| l.mime()), Some("image/svg+xml"));
    assert_eq!(Logo::sniff(b"%PDF-1.7".to_vec()), None);
    assert_eq!(Logo::sniff(vec![0, 159, 146, 150]), None, "not text, not an image");
}
