//! Demo: a customer with a bill to pay and tickets to follow gets the portal account
//! `pelanggan` (the demo password), and one of their finished visits is rated, so the portal and
//! the technicians' ratings are never empty. Demo only.

use crate::state::AppState;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::permission::Role;
use aglis_core::ticket::TicketStatus;
use aglis_db::repo::invoices::{self, InvoiceQuery};
use aglis_db::repo::portal_notices::{self, ANNOUNCEMENT, NewNotice};
use aglis_db::repo::tickets::{self, TicketQuery};
use aglis_db::repo::{customers, users};

/// The demo customer's username on `/login` (the portal's optional password).
pub const DEMO_CUSTOMER: &str = "pelanggan";

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    if users::find_credentials(&state.db, DEMO_CUSTOMER).await?.is_some() {
        return Ok(());
    }
    let q = InvoiceQuery { status: Some(InvoiceStatus::Open), page: 1, per_page: 200, ..Default::default() };
    let (open, _, _) = invoices::list(&state.db, &q).await?;
    let mut chosen = None;
    for inv in &open {
        let tq = TicketQuery {
            status: None,
            priority: None,
            technician_id: None,
            customer_id: Some(inv.customer_id),
            member: None,
            search: None,
            scope: None,
            sort: None,
            page: 1,
            per_page: 20,
        };
        let (list, _, _) = tickets::list(&state.db, &tq).await?;
        let done = list.iter().find(|t| matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed)).cloned();
        if let Some(t) = done {
            chosen = Some((inv.customer_id, Some(t)));
            break;
        }
        if chosen.is_none() && !list.is_empty() {
            chosen = Some((inv.customer_id, None));
        }
    }
    let Some((customer_id, finished)) = chosen.or_else(|| open.first().map(|i| (i.customer_id, None))) else {
        return Ok(());
    };
    let Some(c) = customers::get(&state.db, customer_id).await? else { return Ok(()) };
    let cmd = crate::users::service::CreateUser::parse(
        DEMO_CUSTOMER,
        crate::demo::DEMO_PASSWORD,
        &c.name,
        None,
        Some(&c.phone),
        Role::Customer,
    )?;
    let new = crate::users::service::prepare(cmd).await?;
    let now = state.now();
    let user = crate::users::service::insert(&state.db, new, now).await?;
    customers::set_user(&state.db, c.id, Some(user.id)).await?;
    if let Some(t) = finished {
        tickets::set_rating(&state.db, t.id, 5, "Teknisi datang tepat waktu dan ramah.", now).await?;
    }
    rate_other_visits(state, now).await?;
    let today = now.with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    let notices = [
        NewNotice {
            kind: ANNOUNCEMENT,
            city: Some(c.city.clone()),
            title_id: format!("Pemeliharaan jaringan {}", c.city),
            body_id: "Sabtu dini hari pukul 01.00–03.00 WIB ada pemeliharaan kabel utama. Internet bisa terputus sebentar; tidak perlu melapor."
                .into(),
            title_en: format!("Network maintenance in {}", c.city),
            body_en: "Early Saturday, 01:00–03:00 WIB, the main cable is serviced. The internet may drop briefly; no need to report it."
                .into(),
            position: 0,
            ends_on: Some(today + chrono::Duration::days(6)),
            created_by: None,
        },
        NewNotice {
            kind: ANNOUNCEMENT,
            city: None,
            title_id: "Kantor tutup 25 Desember".into(),
            body_id: "Kantor pelayanan tutup pada Hari Natal. Laporan gangguan lewat portal tetap kami tangani.".into(),
            title_en: "Office closed on 25 December".into(),
            body_en: "The service office is closed on Christmas Day. Problems reported in the portal are still handled.".into(),
            position: 0,
            ends_on: Some(today + chrono::Duration::days(30)),
            created_by: None,
        },
    ];
    for n in notices {
        portal_notices::create(&state.db, n, now).await?;
    }
    Ok(())
}

/// Other finished visits rated by their customers, so each technician's page has a few.
async fn rate_other_visits(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    const RATINGS: [(i32, &str); 8] = [
        (5, "Cepat, rapi, dan menjelaskan penyebabnya."),
        (4, "Sudah normal, teknisi datang agak terlambat."),
        (5, ""),
        (3, "Perbaikan butuh dua kali kunjungan."),
        (4, "Ramah, kabel dirapikan."),
        (5, "Mantap, langsung beres."),
        (2, "Teknisi tidak mengabari sebelum datang."),
        (4, ""),
    ];
    let q = TicketQuery {
        status: Some(TicketStatus::Closed),
        priority: None,
        technician_id: None,
        customer_id: None,
        member: None,
        search: None,
        scope: None,
        sort: None,
        page: 1,
        per_page: 40,
    };
    let (closed, _, _) = tickets::list(&state.db, &q).await?;
    let unrated = closed.iter().filter(|t| t.rating.is_none() && t.lead_technician_id.is_some());
    for (t, (stars, comment)) in unrated.step_by(3).zip(RATINGS) {
        tickets::set_rating(&state.db, t.id, stars, comment, now).await?;
    }
    Ok(())
}
