//! The monthly run writes a batch of customers with one counter update and three inserts; what it
//! stands on: a block of consecutive numbers, and a batch that clashes giving everything back.

use crate::billing::{customer, silver, wib};
use crate::helpers::spawn_app;
use aglis_core::billing::PlannedLine;
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::{self, InvoiceKind, LineKind};
use aglis_core::money::Rupiah;
use aglis_core::ppn::PpnRule;
use aglis_core::proration::Period;
use aglis_db::entity::{invoice_lines, invoices as invoices_entity, ledger_entries as ledger_entity};
use aglis_db::repo::invoices::{self, NewInvoice};
use aglis_db::repo::ledger;
use aglis_db::{TransactionTrait, codes};
use aglis_server::billing::run::run;
use chrono::NaiveDate;
use sea_orm::{EntityTrait, PaginatorTrait};

fn recurring(customer_id: i64, period: Period, amount: i64) -> NewInvoice {
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("day");
    NewInvoice {
        customer_id,
        kind: InvoiceKind::Recurring,
        period: Some(period),
        issued_on: day,
        due_on: day + chrono::Duration::days(7),
        lines: vec![PlannedLine {
            kind: LineKind::Package,
            description: "Home Silver 50M".into(),
            first_day: Some(day),
            last_day: Some(NaiveDate::from_ymd_opt(2026, 12, 31).expect("day")),
            days: Some(31),
            quantity: 1,
            unit_price: Rupiah(amount),
            amount: Rupiah(amount),
            monthly: Some(Rupiah(amount)),
        }],
        discount: 0,
        tax: PpnRule::default().apply(Rupiah(amount), false),
        credit: 0,
        created_by: None,
    }
}

#[tokio::test]
async fn a_block_of_numbers_is_consecutive_above_the_floor_and_a_clashing_batch_gives_it_back() {
    let app = spawn_app().await;
    let pkg = silver(&app).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(customer(&app, n, pkg, CustomerStatus::Active, wib(2026, 6, 1, 10)).await);
    }
    let period = Period::parse("2026-12").expect("period");
    let series = invoice::series(period);

    // Numbers imported before the counter existed are a floor; a block starts above it.
    let txn = app.state.db.begin().await.expect("begin");
    let block = codes::next_n(&txn, &series, Some("INV-202612-000040"), 3).await.expect("db").expect("numbers");
    assert_eq!(block, ["INV-202612-000041", "INV-202612-000042", "INV-202612-000043"]);
    let one = codes::next(&txn, &series, None).await.expect("db").expect("number");
    assert_eq!(one, "INV-202612-000044", "a single number follows the block");
    txn.rollback().await.expect("rollback");

    // The first customer is billed already: a batch naming them writes nothing at all.
    let txn = app.state.db.begin().await.expect("begin");
    let number = codes::next(&txn, &series, None).await.expect("db").expect("number");
    assert_eq!(number, "INV-202612-000001", "a rolled-back block gave its numbers back");
    invoices::create(&txn, &number, recurring(ids[0], period, 199_900), app.state.now()).await.expect("first");
    txn.commit().await.expect("commit");
    let txn = app.state.db.begin().await.expect("begin");
    let batch = txn.begin().await.expect("savepoint");
    let block = codes::next_n(&batch, &series, None, 3).await.expect("db").expect("numbers");
    assert_eq!(block[0], "INV-202612-000002");
    let items = block.into_iter().zip(&ids).map(|(n, id)| (n, recurring(*id, period, 199_900))).collect();
    let clash = invoices::create_many(&batch, items, app.state.now()).await.expect_err("billed twice");
    assert!(clash.is_unique_on("recurring_key"), "{clash:?}");
    batch.rollback().await.expect("rollback to the savepoint");
    let after = codes::next_n(&txn, &series, None, 2).await.expect("db").expect("numbers");
    assert_eq!(after, ["INV-202612-000002", "INV-202612-000003"], "nothing of the clashing batch is left");
    let items = after.into_iter().zip(&ids[1..]).map(|(n, id)| (n, recurring(*id, period, 249_900))).collect();
    let written = invoices::create_many(&txn, items, app.state.now()).await.expect("the rest");
    txn.commit().await.expect("commit");
    assert_eq!(written.iter().map(|i| i.customer_id).collect::<Vec<_>>(), ids[1..], "in the order given");
    for inv in &written {
        let lines = invoices::lines(&app.state.db, inv.id).await.expect("lines");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount, 249_900);
        let entries = ledger::of_customer(&app.state.db, inv.customer_id).await.expect("ledger");
        assert_eq!(entries.len(), 1, "one charge each");
        assert_eq!(
            (entries[0].amount, entries[0].invoice_id, entries[0].note.as_str()),
            (inv.total, Some(inv.id), inv.number.as_str())
        );
    }

    // A run for the month bills nobody again, and numbers none.
    let report = run(&app.state, period, false, None, None).await.expect("run");
    assert_eq!((report.created, report.already_billed), (0, 3), "{report:?}");
}

#[tokio::test]
async fn a_run_over_several_batches_numbers_every_invoice_once_in_customer_order() {
    let app = spawn_app().await;
    let pkg = silver(&app).await;
    let mut ids = Vec::new();
    for n in 1..=450 {
        ids.push(customer(&app, n, pkg, CustomerStatus::Active, wib(2026, 6, 1, 10)).await);
    }
    let period = Period::parse("2026-12").expect("period");
    let report = run(&app.state, period, false, None, None).await.expect("run");
    assert_eq!((report.created, report.already_billed), (450, 0), "{report:?}");
    let mut all = invoices_entity::Entity::find().all(&app.state.db).await.expect("invoices");
    all.sort_by_key(|i| i.customer_id);
    let numbers: Vec<String> = all.iter().map(|i| i.number.clone()).collect();
    let expected: Vec<String> = (1..=450).map(|n| format!("INV-202612-{n:06}")).collect();
    assert_eq!(numbers, expected, "three batches, one series, numbered in customer order");
    assert_eq!(report.total, all.iter().map(|i| i.total).sum::<i64>());
    let charged: i64 =
        ledger_entity::Entity::find().all(&app.state.db).await.expect("ledger").iter().map(|e| e.amount).sum();
    assert_eq!(charged, report.total, "every invoice charged once in the ledger");
    let lines = invoice_lines::Entity::find().count(&app.state.db).await.expect("lines");
    assert_eq!(lines, 450, "one line each: active since June, no installation fee");
}
