//! Crash safety of the WhatsApp queue: the real `aglis` process is killed with SIGKILL while it
//! is sending; after a restart every message reaches the provider, none is lost, and the only
//! duplicates are the messages the provider had already received when the process died, before
//! it could record the send (at most one per kill: a runner sends one message at a time).

use crate::helpers::{fresh_database_url, on_postgres};
use aglis_core::job::{JobPriority, JobStatus};
use aglis_core::notification::{Channel, MessageStatus};
use aglis_core::phone::Phone;
use aglis_db::entity::jobs as job_rows;
use aglis_db::repo::messages::{self, MessageQuery, NewMessage};
use aglis_db::{DatabaseConnection, TransactionTrait};
use aglis_integrations::whatsapp::fonnte::fake::{Behavior, FakeFonnte};
use aglis_server::notifications::service::{self, SEND_JOB};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "device-token-crash-test";
const MESSAGES: usize = 1000;
/// The kill comes once the provider has received this many messages.
const KILL_AFTER: usize = 200;
/// Messages one `aglis` process can have in flight at a provider: its one runner sends the jobs
/// of a batch one after another.
const IN_FLIGHT_PER_PROCESS: usize = 1;
const KILLS: usize = 1;
/// Generous: a 2-core machine running other tests alongside.
const PHASE_DEADLINE: Duration = Duration::from_secs(150);
/// How long the fake holds the request it is answering when the kill comes.
const HOLD: Duration = Duration::from_secs(60);
/// The job lock of the test servers: the restart takes over the killed one's jobs after it.
const LOCK_SECS: u64 = 5;

/// The marker that identifies message `i` in the text the provider receives.
fn marker(i: usize) -> String {
    format!("Pesan uji #{i:04}")
}

/// The message number in a received text, if it carries a marker.
fn number_in(text: &str) -> Option<usize> {
    let (_, rest) = text.split_once("Pesan uji #")?;
    rest.get(..4)?.parse().ok()
}

/// The real server binary, killed (SIGKILL) and reaped when dropped, so that a failing test never
/// leaves it running.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(db_url: &str, fonnte_url: &str, data_dir: &Path, run: usize) -> Self {
        std::fs::create_dir_all(data_dir).expect("data dir");
        let log = data_dir.join(format!("aglis-{run}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file handle");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aglis"));
        // Only the settings below: nothing of the test process's own AGLIS_* environment.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AGLIS_") {
                cmd.env_remove(key);
            }
        }
        let child = cmd
            .arg("serve")
            .current_dir(data_dir) // no stray ./aglis.toml
            .env("AGLIS_DATA_DIR", data_dir)
            .env("AGLIS_DATABASE_URL", db_url)
            .env("AGLIS_DB_MAX_CONNECTIONS", "5")
            .env("AGLIS_BIND", "127.0.0.1:0")
            .env("AGLIS_SECRET_KEY", "crash-test-secret-key-that-is-long-enough-0123456789")
            .env("AGLIS_LOG", "info")
            .env("AGLIS_FONNTE_TOKEN", TOKEN)
            .env("AGLIS_FONNTE_URL", fonnte_url)
            .env("AGLIS_WHATSAPP_RATE_PER_MIN", "0")
            .env("AGLIS_WORKER_POLL_MS", "50")
            // The restarted process takes over the dead one's jobs once their locks expire.
            .env("AGLIS_JOB_LOCK_SECS", LOCK_SECS.to_string())
            // The held request must not time out before the kill.
            .env("AGLIS_PROVIDER_TIMEOUT_SECS", "120")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start the aglis binary");
        Server { child, log }
    }

    /// Panics with the server's log if it has exited by itself.
    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("child status") {
            panic!("aglis exited by itself ({status}); its log:\n{}", self.log_tail());
        }
    }

    /// SIGKILL, then reap.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL aglis");
        self.child.wait().expect("reap aglis");
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Queues the messages straight into the database, as a business change would (several
/// transactions of 250 messages, each message with its delivery job).
async fn queue_messages(db: &DatabaseConnection) {
    let now = chrono::Utc::now();
    for chunk in (0..MESSAGES).collect::<Vec<_>>().chunks(250) {
        let txn = db.begin().await.expect("begin");
        for &i in chunk {
            let phone = Phone::parse(&format!("0812{:08}", 31_000_000 + i)).expect("valid number");
            let body = format!(
                "{}: Yth. pelanggan, tagihan internet bulan ini sebesar Rp 185.000 jatuh tempo tanggal 20. \
                 Abaikan pesan ini jika sudah membayar. Terima kasih.",
                marker(i)
            );
            let new = NewMessage {
                channel: Channel::Whatsapp,
                recipient: phone.as_str().to_owned(),
                subject: None,
                body,
                template_code: None,
                variables: None,
                priority: JobPriority::Normal,
                created_by: None,
            };
            service::queue(&txn, new, now).await.expect("queue a message");
        }
        txn.commit().await.expect("commit");
    }
}

/// Message numbers the provider received, with how often each came.
fn received_counts(fake: &FakeFonnte) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for r in fake.received() {
        let text = r.fields.get("message").map(String::as_str).unwrap_or_default();
        let n = number_in(text).unwrap_or_else(|| panic!("a message without marker reached the provider: {text}"));
        *counts.entry(n).or_insert(0) += 1;
    }
    counts
}

/// The messages recorded as `sending`: their attempt started, the outcome never recorded.
async fn sending(db: &DatabaseConnection) -> BTreeSet<usize> {
    let q = MessageQuery { status: Some(MessageStatus::Sending), page: 1, per_page: 1000, ..Default::default() };
    let items = messages::list(db, &q).await.expect("list sending messages").items;
    items.iter().map(|m| number_in(&m.body).expect("marker in the body")).collect()
}

async fn status_count(db: &DatabaseConnection, status: MessageStatus) -> usize {
    let q = MessageQuery { status: Some(status), page: 1, per_page: 1, ..Default::default() };
    usize::try_from(messages::list(db, &q).await.expect("count messages").total).expect("count")
}

/// Send jobs not finished yet (queued or running).
async fn unfinished_send_jobs(db: &DatabaseConnection) -> u64 {
    job_rows::Entity::find()
        .filter(job_rows::Column::Kind.eq(SEND_JOB))
        .filter(job_rows::Column::Status.ne(JobStatus::Done.as_str()))
        .count(db)
        .await
        .expect("count jobs")
}

/// Jobs the killed runner still holds (their locks expire after `AGLIS_JOB_LOCK_SECS`).
async fn held_jobs(db: &DatabaseConnection) -> u64 {
    job_rows::Entity::find()
        .filter(job_rows::Column::Status.eq(JobStatus::Running.as_str()))
        .count(db)
        .await
        .expect("count held jobs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_message_and_duplicates_at_most_the_one_in_flight() {
    let engine = if on_postgres() { "postgres" } else { "sqlite" };
    let started = Instant::now();
    let db_url = fresh_database_url().await;
    let db = aglis_db::connect(&db_url, 2).await.expect("connect");
    aglis_db::migration::run(&db).await.expect("migrate");
    queue_messages(&db).await;
    let fake = FakeFonnte::start(TOKEN).await.expect("fake Fonnte");
    let data_dir = std::env::temp_dir().join(format!("aglis-crash-{}", uuid::Uuid::new_v4().simple()));

    // First run: wait until it is well into sending.
    let mut server = Server::start(&db_url, &fake.url, &data_dir, 1);
    let deadline = Instant::now() + PHASE_DEADLINE;
    while fake.received().len() < KILL_AFTER {
        server.assert_running();
        assert!(Instant::now() < deadline, "only {} sends before the deadline", fake.received().len());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Hold the next request at the provider, so the kill lands between the provider's receipt and
    // our record (the window where a duplicate arises): wait until sending stops advancing.
    fake.set_behavior(Behavior::Slow(HOLD));
    let settle = Instant::now() + Duration::from_secs(20);
    loop {
        let before = fake.received().len();
        tokio::time::sleep(Duration::from_millis(300)).await;
        if fake.received().len() == before || Instant::now() > settle {
            break;
        }
    }
    server.assert_running();
    server.kill();
    fake.set_behavior(Behavior::Accept);
    // A request the process wrote just before dying may still be in the socket: let it land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_after = fake.received().len();
    let at_kill = received_counts(&fake);

    // What the dead process left: attempts started and never recorded, and jobs it still holds.
    let in_flight = sending(&db).await;
    assert!(
        in_flight.len() <= KILLS * IN_FLIGHT_PER_PROCESS,
        "messages in flight at the kill: {in_flight:?}; a runner sends one at a time"
    );
    // Sent to the provider but not recorded: these will go out again.
    let expected_duplicates: BTreeSet<usize> = in_flight.iter().copied().filter(|n| at_kill.contains_key(n)).collect();
    let held = held_jobs(&db).await;
    assert!(status_count(&db, MessageStatus::Sent).await < MESSAGES, "killed before the end: {killed_after} sends");

    // Second run: everything goes out.
    let mut server = Server::start(&db_url, &fake.url, &data_dir, 2);
    let deadline = Instant::now() + PHASE_DEADLINE;
    loop {
        server.assert_running();
        let received = received_counts(&fake);
        if received.len() == MESSAGES
            && status_count(&db, MessageStatus::Sent).await == MESSAGES
            && unfinished_send_jobs(&db).await == 0
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the restart: {} of {MESSAGES} messages received, {} recorded as sent; log:\n{}",
            received.len(),
            status_count(&db, MessageStatus::Sent).await,
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();

    let received = received_counts(&fake);
    let total: usize = received.values().sum();
    let duplicates = total - received.len();
    let duplicated: BTreeSet<usize> = received.iter().filter(|(_, c)| **c > 1).map(|(n, _)| *n).collect();
    eprintln!(
        "crash test ({engine}): {MESSAGES} messages, {duplicates} duplicates, killed after {killed_after} sends \
         ({} in flight, {held} jobs held by the dead runner), {:.1} s",
        in_flight.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(received.keys().copied().collect::<Vec<_>>(), (0..MESSAGES).collect::<Vec<_>>(), "none lost");
    assert!(received.values().all(|c| *c <= 2), "no message went out more than twice: {received:?}");
    assert_eq!(duplicated, expected_duplicates, "the duplicates are the messages in flight at the kill");
    assert!(duplicates <= KILLS * IN_FLIGHT_PER_PROCESS, "{duplicates} duplicates");
    for n in &duplicated {
        let q = MessageQuery { q: Some(marker(*n)), page: 1, per_page: 2, ..Default::default() };
        let items = messages::list(&db, &q).await.expect("find the message").items;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].attempts, 2, "the attempt cut short by the kill, then the one that went through");
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
