//! What staff write for the customer portal (issue 20): the help page's questions and answers
//! and the announcements on the portal's home (an outage or maintenance in one city, an office
//! closed on a holiday), each in Indonesian and English. `kind` is `faq` or `announcement`;
//! `city` narrows an announcement to the customers of one city; `ends_on` takes it down.
//! The help page starts with four common questions, which staff may edit or remove.
//! `customers.muted_messages`: the kinds of WhatsApp message a customer turned off in the portal
//! (comma-separated: `tickets`, `reminders`, `news`); codes and receipts always go out.

use super::ts;
use sea_orm_migration::prelude::*;

/// (question, answer) in Indonesian, then in English.
const DEFAULT_FAQ: [(&str, &str, &str, &str); 4] = [
    (
        "Internet mati, apa yang harus saya lakukan?",
        "Matikan modem 1 menit lalu nyalakan lagi. Jika lampu LOS merah atau masih mati, laporkan lewat menu Tiket; teknisi kami akan datang sesuai perkiraan waktu yang tertera.",
        "No internet: what should I do?",
        "Switch the modem off for a minute and on again. If the LOS light is red or it is still down, report it under Tickets; our technician comes by the expected time shown.",
    ),
    (
        "Bagaimana cara membayar tagihan?",
        "Buka menu Tagihan lalu tekan Bayar: pilih QRIS, virtual account atau e-wallet. Pembayaran tercatat otomatis dalam beberapa menit.",
        "How do I pay my bill?",
        "Open Bills and press Pay: choose QRIS, a virtual account or an e-wallet. The payment shows within minutes.",
    ),
    (
        "Kenapa layanan saya diisolir?",
        "Layanan diisolir jika ada tagihan yang lewat jatuh tempo. Setelah dibayar, layanan aktif kembali otomatis.",
        "Why is my service suspended?",
        "The service is suspended when a bill is past its due date. Once it is paid, the service comes back on by itself.",
    ),
    (
        "Bagaimana cara pindah alamat atau ganti paket?",
        "Pilih Laporkan gangguan lalu Pindah alamat, Naik paket atau Turun paket. Petugas kami akan menghubungi Anda.",
        "How do I move house or change my package?",
        "Choose Report a problem, then Moving house, Upgrade or Downgrade. Our staff will contact you.",
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PortalNotices {
    Table,
    Id,
    Kind,
    City,
    TitleId,
    BodyId,
    TitleEn,
    BodyEn,
    Position,
    EndsOn,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    MutedMessages,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PortalNotices::Table)
                    .col(ColumnDef::new(PortalNotices::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PortalNotices::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(PortalNotices::City).string_len(60).null())
                    .col(ColumnDef::new(PortalNotices::TitleId).string_len(200).not_null())
                    .col(ColumnDef::new(PortalNotices::BodyId).text().not_null())
                    .col(ColumnDef::new(PortalNotices::TitleEn).string_len(200).not_null())
                    .col(ColumnDef::new(PortalNotices::BodyEn).text().not_null())
                    .col(ColumnDef::new(PortalNotices::Position).integer().not_null().default(0))
                    .col(ColumnDef::new(PortalNotices::EndsOn).date().null())
                    .col(ColumnDef::new(PortalNotices::CreatedBy).big_integer().null())
                    .col(ts(PortalNotices::CreatedAt))
                    .col(ts(PortalNotices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_portal_notices_kind_position")
                    .table(PortalNotices::Table)
                    .col(PortalNotices::Kind)
                    .col(PortalNotices::Position)
                    .to_owned(),
            )
            .await?;
        let now = chrono::Utc::now();
        let mut insert = Query::insert()
            .into_table(PortalNotices::Table)
            .columns([
                PortalNotices::Kind,
                PortalNotices::TitleId,
                PortalNotices::BodyId,
                PortalNotices::TitleEn,
                PortalNotices::BodyEn,
                PortalNotices::Position,
                PortalNotices::CreatedAt,
                PortalNotices::UpdatedAt,
            ])
            .to_owned();
        for (i, (q_id, a_id, q_en, a_en)) in DEFAULT_FAQ.iter().enumerate() {
            let position = <i32 as TryFrom<usize>>::try_from(i + 1).unwrap_or(i32::MAX);
            insert.values_panic([
                "faq".into(),
                (*q_id).into(),
                (*a_id).into(),
                (*q_en).into(),
                (*a_en).into(),
                position.into(),
                now.into(),
                now.into(),
            ]);
        }
        manager.exec_stmt(insert).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(ColumnDef::new(Customers::MutedMessages).string_len(100).not_null().default(""))
                    .to_owned(),
            )
            .await
    }
}
