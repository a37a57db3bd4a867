//! Demo data of the notification admin pages: recipient groups like an ISP's WhatsApp groups
//! (spec domain §6.1), and the provider calls behind the seeded message history, so the queue
//! dashboard has rates and failure reasons to show.

use crate::state::AppState;
use aglis_core::notification::MessageStatus;
use aglis_core::permission::Role;
use aglis_db::repo::delivery_attempts::{self, NewAttempt};
use aglis_db::repo::messages::{self, MessageQuery};
use aglis_db::repo::recipient_groups::{self, GroupFields};

/// (name, description, roles, extra members)
const GROUPS: &[(&str, &str, &[Role], &[&str])] = &[
    ("Semua Teknisi", "Seluruh teknisi lapangan Karawang dan Bekasi", &[Role::Technician], &[]),
    ("Supervisor Team", "Peringatan SLA, eskalasi dan ringkasan harian", &[Role::Supervisor, Role::Manager], &[]),
    (
        "Teknisi Karawang",
        "Tim lapangan Karawang Barat, Telukjambe dan Cikampek",
        &[],
        &["6285710000011", "6285710000012", "6281298765001"],
    ),
    ("NOC Team", "Gangguan jaringan, outage dan insiden kritis", &[Role::Noc], &["noc@aglis.demo"]),
    ("Customer Service Team", "Pendaftaran baru, keluhan dan pembayaran", &[Role::CustomerService], &[]),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    for (name, description, roles, members) in GROUPS {
        let fields = GroupFields {
            name: (*name).into(),
            description: (*description).into(),
            roles: roles.to_vec(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            is_active: true,
        };
        recipient_groups::create(&state.db, fields, now).await?;
    }
    // One call per seeded message that left the queue, as the dispatcher records them.
    let query = MessageQuery { page: 1, per_page: 500, ..MessageQuery::default() };
    let history = messages::list(&state.db, &query).await?.items;
    let mut calls = Vec::new();
    for m in history {
        let attempt = |provider: &str, error: Option<&str>| NewAttempt {
            message_id: m.id,
            provider: provider.into(),
            channel: m.channel,
            ok: error.is_none(),
            error: error.map(str::to_owned),
            duration_ms: 180 + i32::try_from(m.id % 7).unwrap_or(0) * 45,
        };
        match m.status {
            MessageStatus::Sent | MessageStatus::Delivered | MessageStatus::Read => calls.push(attempt("log", None)),
            MessageStatus::Dead => calls.push(attempt("fonnte", m.last_error.as_deref().or(Some("rejected")))),
            _ => {}
        }
    }
    delivery_attempts::record(&state.db, calls, now).await?;
    Ok(())
}
