//! Invoice rendering time: `cargo bench -p aglis-pdf`.
//!
//! Times the first render (fonts, template and typst's library loaded), then 200 renders of
//! invoices that differ from each other (customer, number, amounts; every tenth with 30 lines,
//! every other one in English), and prints the mean and the 99th percentile.

use std::time::{Duration, Instant};

use aglis_pdf::{Company, InvoiceDoc, Lang, Line, render_invoice};

const RUNS: usize = 200;

fn invoice(i: usize) -> InvoiceDoc {
    let n = i as i64;
    let line_count = if i % 10 == 9 { 30 } else { 2 };
    let lines: Vec<Line> = (0..line_count)
        .map(|k| {
            let unit_price = 150_000 + 1_000 * (n + k);
            Line {
                description: format!("Internet 50 Mbps, layanan ke-{k}"),
                quantity: 1,
                unit_price,
                amount: unit_price,
            }
        })
        .collect();
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let dpp = subtotal;
    let dpp_nilai_lain = dpp * 11 / 12;
    let ppn = dpp_nilai_lain * 12 / 100;
    let total = dpp + ppn;
    InvoiceDoc {
        lang: if i.is_multiple_of(2) { Lang::Id } else { Lang::En },
        company: Company {
            name: "PT Awan Gigabit Nusantara".to_owned(),
            address: "Jl. Merdeka No. 17\nBandung 40111".to_owned(),
            npwp: "01.234.567.8-901.000".to_owned(),
            phone: "+62 22 1234 5678".to_owned(),
            email: "tagihan@awan.net.id".to_owned(),
            logo: Some(aglis_pdf::Logo::Svg(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" rx="8" fill="#12467b"/></svg>"##
                    .to_owned(),
            )),
        },
        number: format!("INV-202612-{i:06}"),
        issued_on: "1 Desember 2026".to_owned(),
        due_on: "10 Desember 2026".to_owned(),
        period: Some("Desember 2026".to_owned()),
        status: "Belum dibayar".to_owned(),
        paid_stamp: i.is_multiple_of(3),
        customer_name: format!("Pelanggan Nomor {i}"),
        customer_code: format!("CUST-{i:05}"),
        customer_address: "Jl. Cempaka 5, RT 02/RW 03\nCibeunying, Bandung".to_owned(),
        customer_phone: "0812 3456 7890".to_owned(),
        lines,
        subtotal,
        discount: 0,
        dpp,
        dpp_nilai_lain: Some(dpp_nilai_lain),
        ppn_rate: 12,
        ppn,
        total,
        paid: 0,
        credited: 0,
        balance_due: total,
        pay_url: format!("https://pay.awan.net.id/i/INV-202612-{i:06}"),
        payment_instructions: vec!["Transfer BCA 123-456-7890".to_owned(), "Scan QRIS".to_owned()],
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let start = Instant::now();
    let first = render_invoice(&invoice(10_000)).expect("renders");
    let first_time = start.elapsed();
    assert!(first.starts_with(b"%PDF"));

    // Warm-up: one more (different) invoice.
    render_invoice(&invoice(10_001)).expect("renders");

    let mut times = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for i in 0..RUNS {
        let doc = invoice(i);
        let start = Instant::now();
        let pdf = render_invoice(&doc).expect("renders");
        times.push(start.elapsed());
        bytes += pdf.len();
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / RUNS as u32;
    let p99 = times[(RUNS * 99).div_ceil(100) - 1];
    println!(
        "aglis-pdf render_invoice: first {:.1} ms; {RUNS} runs: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; mean size {} KiB",
        ms(first_time),
        ms(mean),
        ms(times[RUNS / 2]),
        ms(p99),
        ms(times[RUNS - 1]),
        bytes / RUNS / 1024
    );
}
