//! A month is billed on its first day; what changes later in it (another package, a pause, the
//! end of service) is put right once, on the customer's next invoice.

use crate::billing::{customer, silver, wib};
use crate::helpers::{TestApp, spawn_app};
use aglis_core::customer::{CustomerStatus, PauseReason};
use aglis_core::invoice::LineKind;
use aglis_core::ledger::EntryKind;
use aglis_core::proration::{Period, Span};
use aglis_db::entity::invoices as invoice_rows;
use aglis_db::repo::customers;
use aglis_db::repo::invoices::{self, Invoice, Line};
use aglis_db::repo::packages::{self, PackageFields};
use aglis_db::repo::{ledger, service_pauses};
use aglis_server::billing::run::{RunReport, run_at};
use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn month(app: &TestApp, period: &str) -> RunReport {
    let p = Period::parse(period).expect("period");
    // On the 1st at 01:00 WIB, as the schedule runs it.
    let at = wib(p.start.year(), p.start.month(), 1, 1);
    run_at(&app.state, p, false, None, at, None).await.expect("run")
}

async fn invoice_of(app: &TestApp, customer_id: i64, period: &str) -> (Invoice, Vec<Line>) {
    let inv = invoice_rows::Entity::find()
        .filter(invoice_rows::Column::CustomerId.eq(customer_id))
        .filter(invoice_rows::Column::Period.eq(period))
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("invoice");
    let lines = invoices::lines(&app.state.db, inv.id).await.expect("lines");
    (inv, lines)
}

fn adjustment(lines: &[Line]) -> Option<i64> {
    let found: Vec<i64> = lines.iter().filter(|l| l.kind == LineKind::Adjustment).map(|l| l.amount).collect();
    assert!(found.len() <= 1, "{lines:?}");
    found.first().copied()
}

#[tokio::test]
async fn changes_after_a_months_invoice_are_put_right_once_on_the_next() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    let f = PackageFields {
        name: "Home Gold 100M".into(),
        speed_mbps: 100,
        monthly_price: 300_000,
        installation_fee: 0,
        description: String::new(),
        is_active: true,
    };
    let gold = packages::create(&app.state.db, f, app.state.now()).await.expect("gold").id;
    let upgrades = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 6, 1, 10)).await;
    let away = customer(&app, 2, silver, CustomerStatus::Active, wib(2026, 6, 1, 10)).await;
    let leaves = customer(&app, 3, silver, CustomerStatus::Active, wib(2026, 6, 1, 10)).await;
    let steady = customer(&app, 4, silver, CustomerStatus::Active, wib(2026, 6, 1, 10)).await;

    let nov = month(&app, "2026-11").await;
    assert_eq!((nov.created, nov.adjusted), (4, 0), "{nov:?}");

    // During November, after its invoices: an upgrade on the 16th, a pause from the 21st, and a
    // customer who leaves on the 6th.
    let c = customers::get(&app.state.db, upgrades).await.expect("db").expect("customer");
    let profile = customers::Profile { package_id: gold, ..customers::Profile::from(&c) };
    customers::update_profile(&app.state.db, upgrades, profile, "package", None, wib(2026, 11, 16, 9))
        .await
        .expect("upgrade")
        .expect("customer");
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("day");
    let span = Span::between(day(21), NaiveDate::from_ymd_opt(2026, 12, 1).expect("day"));
    service_pauses::add(&app.state.db, away, PauseReason::Paused, span, "mudik", wib(2026, 11, 20, 9))
        .await
        .expect("pause");
    customers::set_status(&app.state.db, leaves, CustomerStatus::Terminated, "pindah", None, wib(2026, 11, 6, 9))
        .await
        .expect("terminate");

    let dec = month(&app, "2026-12").await;
    assert_eq!((dec.created, dec.adjusted), (4, 3), "{dec:?}");
    // 15 days of Silver and 15 of Gold were due (99,950 + 150,000); 199,900 was billed.
    let (inv, lines) = invoice_of(&app, upgrades, "2026-12").await;
    assert_eq!(adjustment(&lines), Some(50_050));
    assert_eq!(inv.subtotal, 300_000 + 50_050);
    assert!(lines.iter().any(|l| l.description.contains("Penyesuaian layanan November 2026")), "{lines:?}");
    // Ten days away of thirty.
    let (inv, lines) = invoice_of(&app, away, "2026-12").await;
    assert_eq!(adjustment(&lines), Some(-66_633));
    assert_eq!((inv.subtotal, inv.dpp), (199_900 - 66_633, 199_900 - 66_633), "PPN on what is owed after it");
    // Five days of service were due; there is nothing else to bill, so the invoice comes to zero
    // and the rest, with its PPN, is the customer's credit.
    let (inv, lines) = invoice_of(&app, leaves, "2026-12").await;
    assert_eq!((inv.total, adjustment(&lines)), (0, Some(0)), "{lines:?}");
    let credit = 166_583 + 18_324;
    let entries = ledger::of_customer(&app.state.db, leaves).await.expect("ledger");
    let correction = entries.iter().find(|e| e.kind == EntryKind::Correction).expect("a correction");
    assert_eq!((correction.amount, correction.invoice_id), (-credit, Some(inv.id)));
    let balance = ledger::balance(&app.state.db, leaves).await.expect("balance");
    assert_eq!(balance, 221_889 - credit, "November's charge less what was given back");
    let (_, lines) = invoice_of(&app, steady, "2026-12").await;
    assert_eq!(adjustment(&lines), None, "nothing changed");

    // January puts nothing right again: each month is trued up once.
    let jan = month(&app, "2027-01").await;
    assert_eq!((jan.created, jan.adjusted), (3, 0), "{jan:?}");
    for id in [upgrades, away, steady] {
        let (_, lines) = invoice_of(&app, id, "2027-01").await;
        assert_eq!(adjustment(&lines), None);
    }
}
