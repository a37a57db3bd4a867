//! `aglis demo`: one account per staff role with realistic Indonesian names, created on the demo
//! database's first run only (these accounts never exist outside demo mode).

use crate::auth::password;
use crate::state::AppState;
use aglis_core::permission::Role;
use aglis_db::repo::users::{self, NewUser};

pub const DEMO_PASSWORD: &str = "demo12345";

/// (username, full name, role, phone, e-mail)
pub const DEMO_ACCOUNTS: &[(&str, &str, Role, &str, &str)] = &[
    ("admin", "Andi Pratama", Role::Admin, "6281210000001", "andi.pratama@aglis.demo"),
    ("supervisor", "Siti Nurhaliza", Role::Supervisor, "6281210000002", "siti.nurhaliza@aglis.demo"),
    ("manager", "Bambang Wijaya", Role::Manager, "6281210000003", "bambang.wijaya@aglis.demo"),
    ("noc", "Rizky Ramadhan", Role::Noc, "6281210000004", "rizky.ramadhan@aglis.demo"),
    ("cs", "Dewi Lestari", Role::CustomerService, "6281210000005", "dewi.lestari@aglis.demo"),
    ("technician", "Agus Setiawan", Role::Technician, "6281210000006", "agus.setiawan@aglis.demo"),
];

/// More staff so the user list has something to search and page through.
const EXTRA_STAFF: &[(&str, &str, Role, &str)] = &[
    ("teknisi.karawang1", "Dedi Kurniawan", Role::Technician, "6285710000011"),
    ("teknisi.karawang2", "Eko Saputra", Role::Technician, "6285710000012"),
    ("teknisi.bekasi1", "Hendra Gunawan", Role::Technician, "6285710000013"),
    ("teknisi.bekasi2", "Joko Susilo", Role::Technician, "6285710000014"),
    ("cs.telukjambe", "Rina Marlina", Role::CustomerService, "6281310000015"),
    ("cs.cikarang", "Yuliana Putri", Role::CustomerService, "6281310000016"),
    ("noc.malam", "Fajar Nugroho", Role::Noc, "6281310000017"),
];

/// Seeds the demo data on a new database, marking it as the demo's; a database the demo made is
/// left as it is. Refuses a database that holds accounts it did not make: the demo turns off
/// two-factor and sends WhatsApp to a local fake, which must never happen to an installation.
/// Returns how many accounts were created.
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    use aglis_db::repo::settings;
    if settings::get(&state.db, settings::INSTALLATION).await?.as_deref() == Some(settings::DEMO) {
        return Ok(0);
    }
    let accounts = users::count_all(&state.db).await?;
    if accounts > 0 {
        anyhow::bail!(
            "{} holds an installation ({accounts} accounts) that aglis demo did not make; the demo runs only on \
             its own database (AGLIS_DATA_DIR, by default {})",
            crate::config::redact_url(&state.config.database_url),
            crate::config::DEMO_DATA_DIR
        );
    }
    settings::set(&state.db, settings::INSTALLATION, settings::DEMO, state.now()).await?;
    let hash = password::hash_async(DEMO_PASSWORD.to_owned()).await?;
    let now = state.now();
    let mut created = 0;
    for (username, full_name, role, phone, email) in DEMO_ACCOUNTS {
        let new = NewUser {
            username: (*username).into(),
            email: Some((*email).into()),
            full_name: (*full_name).into(),
            phone: Some((*phone).into()),
            role: *role,
            password_hash: hash.clone(),
        };
        users::create(&state.db, new, now).await?;
        created += 1;
    }
    for (username, full_name, role, phone) in EXTRA_STAFF {
        let new = NewUser {
            username: (*username).into(),
            email: Some(format!("{username}@aglis.demo")),
            full_name: (*full_name).into(),
            phone: Some((*phone).into()),
            role: *role,
            password_hash: hash.clone(),
        };
        users::create(&state.db, new, now).await?;
        created += 1;
    }
    crate::auth::demo::seed_demo(state).await?;
    seed_jobs(state).await?;
    seed_messages(state).await?;
    crate::notifications::demo_seed::seed(state).await?;
    crate::customers::demo_seed::seed(state).await?;
    crate::registrations::demo_seed::seed(state).await?;
    crate::tickets::demo_seed::seed(state).await?;
    crate::tickets::attachments::seed_demo(state).await?;
    crate::technicians::demo_seed::seed_demo_profiles(state).await?;
    crate::billing::demo_seed::seed(state).await?;
    crate::customers::demo_seed::date_terminations(state).await?;
    crate::portal::demo::seed(state).await?;
    crate::notifications::broadcasts::demo_seed::seed(state).await?;
    if let Some(net) = &state.monitor.demo_network {
        crate::enforcement::demo::seed(state, net).await?;
    }
    crate::audit::seed_demo(state).await?;
    // Last: the set holds everything above.
    crate::backup::demo::seed(state).await?;
    crate::monitoring::demo::seed(state).await?;
    Ok(created)
}

/// A few finished and one dead job, so the queue page shows every state on a fresh demo.
async fn seed_jobs(state: &AppState) -> anyhow::Result<()> {
    use aglis_db::jobs::{self, NewJob};
    let now = state.now();
    let worker = "demo-seed";
    for _ in 0..3 {
        jobs::enqueue(
            &state.db,
            NewJob::new(crate::jobs::registry::PURGE_EXPIRED_SESSIONS, serde_json::json!({})),
            now,
        )
        .await?;
    }
    jobs::enqueue(
        &state.db,
        NewJob::new("report.legacy_export", serde_json::json!({"report": "pelanggan_bulanan", "bulan": "2026-10"}))
            .max_attempts(1),
        now,
    )
    .await?;
    for job in jobs::claim(&state.db, worker, 10, chrono::Duration::minutes(1), now).await? {
        if job.kind == crate::jobs::registry::PURGE_EXPIRED_SESSIONS {
            jobs::complete(&state.db, job.id, worker, now).await?;
        } else {
            let error = "no handler for job kind `report.legacy_export` (removed in this version)";
            jobs::fail(&state.db, &job, worker, error, now, aglis_core::backoff::default_retry_delay).await?;
        }
    }
    Ok(())
}

/// Messages of a typical day, in every state, so the notification pages have a history to show.
async fn seed_messages(state: &AppState) -> anyhow::Result<()> {
    use crate::notifications::service::{self, SendMessage};
    use aglis_core::job::JobPriority;
    use aglis_core::notification::{Channel, MessageStatus};
    use aglis_db::repo::messages;
    const TEXTS: &[(&str, &str, &str)] = &[
        (
            "whatsapp",
            "0812-8765-4321",
            "Halo Bapak Slamet, teknisi AGLIS (Agus Setiawan) sedang menuju lokasi Anda di Perum Griya Telukjambe Blok C2 No. 14. Perkiraan tiba 30 menit.",
        ),
        (
            "whatsapp",
            "0857-2233-4455",
            "Yth. Ibu Sri Wahyuni, tagihan internet AGLIS bulan November sebesar Rp 250.000 jatuh tempo 10-12-2026. Abaikan pesan ini bila sudah membayar.",
        ),
        (
            "whatsapp",
            "0813-1122-3344",
            "Gangguan jaringan di area Karawang Barat sudah pulih pukul 14.20 WIB. Mohon maaf atas ketidaknyamanannya.",
        ),
        (
            "whatsapp",
            "0896-5544-3322",
            "Pendaftaran Anda REG202611250007 sudah diverifikasi. Survei lokasi dijadwalkan Jumat, 27-11-2026 pukul 10.00 WIB.",
        ),
        (
            "email",
            "hendra.gunawan@contoh.co.id",
            "Terlampir laporan harian gangguan jaringan area Bekasi Timur per 25-11-2026.",
        ),
        (
            "whatsapp",
            "0821-9988-7766",
            "Terima kasih, pembayaran Rp 350.000 untuk paket Fiber 50 Mbps sudah kami terima.",
        ),
        (
            "whatsapp",
            "0838-1234-5678",
            "Tiket TKT-20261125-0042: kabel drop di ODP KRW-TJB-07 sudah diganti. Silakan cek koneksi Anda.",
        ),
        (
            "whatsapp",
            "0812-0000-1111",
            "Pengingat: jadwal pemasangan besok pukul 09.00 WIB di Jl. Kertabumi No. 8, Karawang.",
        ),
    ];
    let mut ids = Vec::new();
    for (i, (channel, to, body)) in TEXTS.iter().cycle().take(24).enumerate() {
        let channel: Channel = channel.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        let priority = if i % 7 == 0 { JobPriority::High } else { JobPriority::Normal };
        let subject = (channel == Channel::Email).then_some("Laporan harian AGLIS");
        let cmd = SendMessage::parse(channel, to, subject, body, priority).map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.push(service::send(state, None, cmd).await.map_err(|e| anyhow::anyhow!("{e}"))?.id);
    }
    // Most were sent earlier today and some already delivered or read; one could not be delivered.
    let now = state.now();
    for (i, id) in ids.iter().enumerate().take(20) {
        messages::start_attempt(&state.db, *id, now).await?;
        messages::mark_sent(&state.db, *id, "log", Some(&format!("log-{id}")), now).await?;
        if i % 3 != 0 {
            messages::apply_report(&state.db, *id, MessageStatus::Delivered, now).await?;
        }
        if i % 3 == 1 {
            messages::apply_report(&state.db, *id, MessageStatus::Read, now).await?;
        }
    }
    if let Some(id) = ids.get(21) {
        messages::start_attempt(&state.db, *id, now).await?;
        messages::mark_failed(&state.db, *id, "fonnte: nomor tidak terdaftar di WhatsApp (invalid target)", true, now)
            .await?;
    }
    Ok(())
}

/// The banner `aglis demo` prints.
pub fn banner(url: &str, data_dir: &std::path::Path) -> String {
    let mut s = format!(
        "\n  AGLIS demo is running at {url}\n\n  Sign in with any of these accounts (password: {DEMO_PASSWORD}):\n"
    );
    for (username, full_name, role, _, _) in DEMO_ACCOUNTS {
        s.push_str(&format!("    {username:<12} {:<18} {full_name}\n", role.as_str()));
    }
    let dir = data_dir.display();
    s.push_str(&format!(
        "\n  Its database, files and backups are in {dir}; the command line finds them there:\n    \
         AGLIS_DATA_DIR={dir} aglis backup list\n    AGLIS_DATA_DIR={dir} aglis audit verify\n"
    ));
    s
}
