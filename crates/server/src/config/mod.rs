//! Configuration: built-in defaults, then an optional `aglis.toml`, then `AGLIS_*` environment
//! variables. A bad value stops start-up with a message naming the variable.

pub mod enforcement;
pub mod payments;
pub mod providers;
pub mod security;

use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every variable the application reads, with its default and meaning (the README's table).
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "AGLIS_CONFIG",
        "./aglis.toml",
        "Optional TOML file with the same keys in lower case without the prefix (e.g. `bind = \"0.0.0.0:8080\"`).",
    ),
    (
        "AGLIS_AUDIT_RETENTION_DAYS",
        "90",
        "Days the security audit log keeps records (a daily purge keeps the chain verifiable).",
    ),
    (
        "AGLIS_REQUIRE_2FA",
        "true",
        "Admins and supervisors must sign in with an authenticator code (TOTP); until they enrol they can only open /account/security. `aglis demo` turns it off unless set explicitly.",
    ),
    (
        "AGLIS_LOCKOUT_STEPS",
        "5:5,10:60,15:0",
        "Progressive lockout: failed sign-ins in a row → minutes locked (0 = until an admin unlocks). The count resets after 24 h without a failure and on a successful sign-in.",
    ),
    ("AGLIS_SESSION_IDLE_MINUTES", "60", "A browser session ends after this many minutes without a request (5–1440)."),
    (
        "AGLIS_SESSION_MAX_HOURS",
        "12",
        "A browser session ends this many hours after sign-in however active it is (1–720). API tokens last 30 days from their last use.",
    ),
    (
        "AGLIS_LOGIN_ATTEMPTS_PER_IP",
        "20",
        "Sign-in attempts (password or two-factor code, web and API) per client address per window; then 429 with Retry-After. 0 = no limit.",
    ),
    ("AGLIS_LOGIN_WINDOW_MINUTES", "10", "The window of that limit, in minutes (1–1440)."),
    (
        "AGLIS_DATA_DIR",
        "./data (./data/demo for aglis demo)",
        "Directory for the SQLite database, the generated secret key, the attachments and the backups. Every command finds the installation through it.",
    ),
    (
        "AGLIS_DATABASE_URL",
        "sqlite://<data dir>/aglis.db?mode=rwc",
        "`sqlite://…` (embedded) or `postgres://user:pass@host/db` (production, shared by several instances).",
    ),
    ("AGLIS_DB_MAX_CONNECTIONS", "10", "PostgreSQL pool size per instance (SQLite always uses one writer connection)."),
    ("AGLIS_BIND", "127.0.0.1:8080", "Address and port the web server listens on."),
    (
        "AGLIS_TRUST_FORWARDED_FOR",
        "false",
        "`true` (or the number of proxies, 1–10) behind load balancers that append to `X-Forwarded-For`: the client's address (for per-address limits and the audit log) is the entry the nearest trusted proxy added, counted from the right. Entries left of it are whatever the client sent and are ignored.",
    ),
    ("AGLIS_BASE_URL", "http://<bind>", "Public URL of this installation; `https://…` makes session cookies `Secure`."),
    (
        "AGLIS_SECRET_KEY",
        "generated into <data dir>/secret.key",
        "At least 32 characters; signs CSRF tokens and seals the TOTP secrets (changing it means resetting every user's 2FA). Keep it secret and equal on every instance.",
    ),
    ("AGLIS_LOG", "info", "Log filter, `tracing` syntax (e.g. `info,aglis_server=debug`)."),
    ("AGLIS_LOG_FORMAT", "text", "`text` for people, `json` for log collectors."),
    ("AGLIS_WORKER_POLL_MS", "1000", "How often the job runner looks for due jobs when idle (milliseconds, 50–60000)."),
    (
        "AGLIS_SLA_ESCALATE_AT",
        "80,90",
        "Share of a ticket's resolution SLA (percent) at which it is raised normal → high, then high → critical.",
    ),
    (
        "AGLIS_JOB_LOCK_SECS",
        "300",
        "How long a claimed job stays locked to its runner (5–3600). A crashed instance's jobs are taken over after it; keep it above the longest job (a send: the provider timeout × providers).",
    ),
    ("AGLIS_RUN_WORKERS", "true", "`false` serves HTTP only: no job runner, no scheduler on this instance."),
    (
        "AGLIS_WHATSAPP_RATE_PER_MIN",
        "100",
        "Most WhatsApp sends per window (seed P2.2), held across all instances through the database; 0 turns the limit off.",
    ),
    (
        "AGLIS_WHATSAPP_RATE_WINDOW_SECS",
        "60",
        "Length of that sliding window in seconds (tests shorten it, keeping the ratio).",
    ),
    (
        "AGLIS_NOTIFY_LOG_PROVIDER",
        "false (true for aglis demo)",
        "`true` records the messages of a channel without a provider (no WhatsApp or SMTP settings) as sent, without sending them anywhere: for trials only. `false`: such messages wait as held, the health check and the queue page name the channel, and they go out once a provider is configured. `aglis demo` turns it on unless set explicitly.",
    ),
    (
        "AGLIS_NOTIFY_RETRIES",
        "3",
        "Retries of a message after its first failed try (0–10); then it is dead and can be re-queued.",
    ),
    (
        "AGLIS_NOTIFY_RETRY_BASE_SECS",
        "30",
        "First retry delay in seconds; each next retry waits twice as long, at most an hour.",
    ),
    (
        "AGLIS_META_APP_SECRET",
        "unset",
        "WhatsApp Cloud API app secret: verifies X-Hub-Signature-256 on /api/webhooks/whatsapp/meta (unset: 404).",
    ),
    (
        "AGLIS_META_VERIFY_TOKEN",
        "unset",
        "The verify token entered in Meta's webhook settings, echoed back in the subscription check.",
    ),
    (
        "AGLIS_FONNTE_TOKEN",
        "unset",
        "Fonnte device token. Set, WhatsApp messages go through Fonnte; unset, through the `log` provider (recorded as sent, nothing leaves the machine).",
    ),
    ("AGLIS_FONNTE_URL", "https://api.fonnte.com", "Fonnte's base URL (a local fake in tests)."),
    (
        "AGLIS_WHATSAPP_PROVIDERS",
        "fonnte,meta",
        "WhatsApp failover order; of these, the configured ones are used. None configured: the `log` provider.",
    ),
    ("AGLIS_META_TOKEN", "unset", "WhatsApp Cloud API access token (system user). Set, Meta sends WhatsApp messages."),
    (
        "AGLIS_META_PHONE_NUMBER_ID",
        "unset",
        "The Cloud API id of the sending number (digits); required with the token.",
    ),
    ("AGLIS_META_URL", "https://graph.facebook.com", "Graph API base URL (a local fake in tests)."),
    ("AGLIS_META_API_VERSION", "v21.0", "Graph API version of the send calls."),
    ("AGLIS_SMTP_HOST", "unset", "SMTP server for e-mail. Unset, e-mail goes to the `log` provider."),
    ("AGLIS_SMTP_PORT", "587 / 465 / 25", "SMTP port; the default follows AGLIS_SMTP_TLS."),
    (
        "AGLIS_SMTP_TLS",
        "starttls",
        "`starttls` (required STARTTLS), `tls` (implicit TLS, SMTPS) or `none` (local relays only).",
    ),
    ("AGLIS_SMTP_USERNAME", "unset", "SMTP login; give it with the password, or neither."),
    ("AGLIS_SMTP_PASSWORD", "unset", "SMTP password (never logged)."),
    ("AGLIS_SMTP_FROM", "AGLIS <noreply@<smtp host>>", "Sender of e-mails, `Name <address>` or an address."),
    ("AGLIS_PROVIDER_TIMEOUT_SECS", "15", "Time allowed for one call to a provider before failing over (1–120)."),
    (
        "AGLIS_FONNTE_WEBHOOK_TOKEN",
        "unset",
        "Secret in Fonnte's status-callback URL (`/api/webhooks/whatsapp/delivery?token=…`); unset, the callback answers 404.",
    ),
    (
        "AGLIS_STORAGE_URL",
        "<data dir>/files",
        "Where ticket photos and documents are kept: a local directory (`file:///srv/aglis/files`), or `s3://bucket/prefix` for an S3-compatible bucket shared by several instances.",
    ),
    (
        "AGLIS_STORAGE_S3_ENDPOINT",
        "AWS",
        "URL of a non-AWS S3 service (MinIO, Cloudflare R2, Wasabi, IDCloudHost), e.g. `https://s3.example.id`; `http://` is allowed for a local MinIO.",
    ),
    ("AGLIS_STORAGE_S3_REGION", "us-east-1", "The bucket's region (e.g. `ap-southeast-3`, Jakarta)."),
    (
        "AGLIS_STORAGE_S3_ACCESS_KEY_ID",
        "unset",
        "Access key of the bucket; give it with the secret, or neither (then the instance's role is used).",
    ),
    ("AGLIS_STORAGE_S3_SECRET_ACCESS_KEY", "unset", "Secret key of the bucket (never logged)."),
    (
        "AGLIS_BACKUP_DIR",
        "<data dir>/backups",
        "Directory of the backup sets (one folder per set, complete once its manifest.json exists). Put it on another disk than the database.",
    ),
    (
        "AGLIS_BACKUP_S3_URL",
        "unset",
        "`s3://bucket/prefix`: every complete set is also copied to this S3-compatible bucket (off-site copy); `aglis backup restore` fetches from it when the directory lacks the set.",
    ),
    ("AGLIS_BACKUP_S3_ENDPOINT", "AWS", "URL of a non-AWS S3 service for backups (MinIO, R2, Wasabi, IDCloudHost)."),
    ("AGLIS_BACKUP_S3_REGION", "us-east-1", "The backup bucket's region."),
    ("AGLIS_BACKUP_S3_ACCESS_KEY_ID", "unset", "Access key of the backup bucket; give it with the secret, or neither."),
    ("AGLIS_BACKUP_S3_SECRET_ACCESS_KEY", "unset", "Secret key of the backup bucket (never logged)."),
    ("AGLIS_BACKUP_KEEP_DAILY", "30", "Retention: the newest set of each of this many days is kept (0–3650)."),
    ("AGLIS_BACKUP_KEEP_WEEKLY", "8", "Retention: the newest set of each of this many ISO weeks is kept (0–520)."),
    ("AGLIS_BACKUP_KEEP_MONTHLY", "12", "Retention: the newest set of each of this many months is kept (0–240)."),
    (
        "AGLIS_BACKUP_PASSPHRASE",
        "unset",
        "Seals the secrets (secret key, tokens, passwords) into each set's configuration part with Argon2id + XChaCha20-Poly1305. Unset, secrets are left out and listed by name. Keep it outside the server (a password manager).",
    ),
    (
        "AGLIS_BACKUP_MAX_AGE_HOURS",
        "26",
        "No complete backup for this many hours alerts the admins by e-mail and WhatsApp (1–720).",
    ),
    (
        "AGLIS_MONITORING_TOKEN",
        "unset",
        "Bearer token for `/metrics` and the detailed `/api/health` (at least 16 characters). Unset: `/metrics` is open and the detailed health needs a staff login.",
    ),
    (
        "AGLIS_HEALTH_DEGRADED_OK",
        "true",
        "A degraded check (WhatsApp unreachable, disk over 90 %, a late backup) still answers 200; `false` answers 503.",
    ),
    (
        "AGLIS_MIDTRANS_SERVER_KEY",
        "unset",
        "Midtrans server key. Set, invoices can be paid through Midtrans Snap and its notifications are verified with it.",
    ),
    ("AGLIS_MIDTRANS_CLIENT_KEY", "unset", "Midtrans client key (public)."),
    (
        "AGLIS_MIDTRANS_SNAP_URL",
        "https://app.midtrans.com",
        "Midtrans Snap base URL (sandbox: https://app.sandbox.midtrans.com).",
    ),
    ("AGLIS_MIDTRANS_API_URL", "https://api.midtrans.com", "Midtrans Core API base URL, asked for transaction status."),
    ("AGLIS_XENDIT_SECRET_KEY", "unset", "Xendit secret key. Set, invoices can be paid through Xendit invoices."),
    (
        "AGLIS_XENDIT_CALLBACK_TOKEN",
        "unset",
        "Xendit's callback verification token (x-callback-token); unset, /api/webhooks/payments/xendit answers 404.",
    ),
    ("AGLIS_XENDIT_URL", "https://api.xendit.co", "Xendit API base URL."),
    (
        "AGLIS_PAYMENT_GATEWAYS",
        "midtrans,xendit",
        "Gateway preference of the pay page; of these, the configured ones are used.",
    ),
    (
        "AGLIS_PAYMENT_POLL_AFTER_MINS",
        "15",
        "Minutes after which a checkout without a callback is asked about (status poll), and again at that interval.",
    ),
    (
        "AGLIS_SUSPEND_GRACE_DAYS",
        "7",
        "Days an invoice may be overdue before its customer is put on the suspension list (and, with automatic suspension, isolated on the network).",
    ),
    (
        "AGLIS_SUSPEND_AUTO",
        "true",
        "The suspension policy isolates customers past the grace period by itself (hourly, 09–16 WIB); `false`: staff suspend from the suspension list.",
    ),
    ("AGLIS_SUSPEND_SKIP_WEEKENDS", "false", "`true`: no automatic suspension on Saturdays and Sundays."),
    (
        "AGLIS_SUSPEND_HOLIDAYS",
        "empty",
        "Public holidays without automatic suspension: dates `YYYY-MM-DD`, comma-separated.",
    ),
    (
        "AGLIS_SUSPEND_MAX_SHARE",
        "10",
        "Circuit breaker: a run that would suspend more than this percentage of a device's customers (and at least 5) suspends nobody and alerts the admins (1–100).",
    ),
    (
        "AGLIS_DEVICES_LOOPBACK_ONLY",
        "true in aglis demo, else false",
        "Contact network devices (routers, NASes) on this machine only (127.0.0.0/8, ::1); any other address is refused before a packet is sent.",
    ),
    ("AGLIS_SENTRY_DSN", "unset", "Sentry DSN: every 500, panic and dead job also goes to Sentry."),
    ("AGLIS_SENTRY_ENVIRONMENT", "production", "The environment Sentry files the events under."),
    (
        "AGLIS_BACKUP_PG_BIN_DIR",
        "newest /usr/lib/postgresql/*/bin, else PATH",
        "Directory of `pg_dump` and `pg_restore` (PostgreSQL only); their version must be at least the server's.",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The application's configuration, fully validated.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_max_connections: u32,
    pub bind: SocketAddr,
    pub base_url: String,
    /// How many trusted proxies append to `X-Forwarded-For` in front of this instance: the client
    /// address is that many entries from the right. 0: the peer address (clients connect directly).
    pub trusted_proxy_hops: usize,
    pub secret_key: SecretString,
    /// The key was made up for this run ([`READ_ONLY`] without a key file): fine for reading,
    /// useless for anything that keeps it (a backup's sealed configuration).
    pub secret_key_ephemeral: bool,
    pub log: String,
    pub log_format: LogFormat,
    pub worker_poll_ms: u64,
    /// Lock of a claimed job; a crashed runner's jobs are claimed again after it.
    pub job_lock_secs: u32,
    /// When tickets escalate (percent of the resolution SLA).
    pub escalation: aglis_core::ticket_sla::Thresholds,
    pub run_workers: bool,
    /// Fonnte device token; `None` = no Fonnte.
    /// WhatsApp sends allowed per window (0 = unlimited).
    pub whatsapp_rate: u32,
    pub whatsapp_rate_window_secs: u32,
    /// Retries of a message after its first failed try.
    pub notify_retries: u32,
    /// `AGLIS_NOTIFY_LOG_PROVIDER`, if given: whether messages of a channel without a provider
    /// are recorded as sent (the `log` provider). Unset, only `aglis demo` does it.
    pub notify_log_provider: Option<bool>,
    pub notify_retry_base_secs: u32,
    pub fonnte_token: Option<SecretString>,
    pub fonnte_url: String,
    pub meta_app_secret: Option<SecretString>,
    pub meta_verify_token: Option<SecretString>,
    /// Secret of Fonnte's status-callback URL; `None` = callback disabled.
    pub fonnte_webhook_token: Option<SecretString>,
    /// Meta, SMTP and the WhatsApp failover order.
    pub providers: providers::Providers,
    /// Midtrans, Xendit, the status poll and the suspension grace.
    pub payments: payments::PaymentsConfig,
    /// The automatic suspension policy (issue 21).
    pub enforcement: enforcement::EnforcementConfig,
    /// Where attachments are stored.
    pub storage: crate::storage::StorageConfig,
    /// Two-factor enforcement, lockout, session limits, audit retention.
    pub security: security::SecurityConfig,
    /// The `AGLIS_*` values this configuration was read from (environment over file): the
    /// configuration part of a backup.
    pub sources: std::sync::Arc<BTreeMap<String, String>>,
    /// Backup sets: where, how many, alerts.
    pub backup: crate::backup::config::BackupConfig,
    /// Health, metrics and Sentry.
    pub monitoring: crate::monitoring::config::MonitoringConfig,
    /// Set by `aglis demo`: demo accounts are created and printed.
    pub demo: bool,
    /// A fixed percentage of disk used, instead of reading the file systems (never from the
    /// environment: the test suite sets it, so that no test depends on how full the host is).
    pub disk_used_pct: Option<f64>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("trusted_proxy_hops", &self.trusted_proxy_hops)
            .field("secret_key", &"[redacted]")
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("worker_poll_ms", &self.worker_poll_ms)
            .field("job_lock_secs", &self.job_lock_secs)
            .field("escalation", &self.escalation)
            .field("run_workers", &self.run_workers)
            .field("whatsapp_rate", &self.whatsapp_rate)
            .field("whatsapp_rate_window_secs", &self.whatsapp_rate_window_secs)
            .field("notify_retries", &self.notify_retries)
            .field("notify_log_provider", &self.notify_log_provider)
            .field("notify_retry_base_secs", &self.notify_retry_base_secs)
            .field("fonnte_token", &self.fonnte_token.as_ref().map(|_| "[redacted]"))
            .field("fonnte_url", &self.fonnte_url)
            .field("meta_app_secret", &self.meta_app_secret.as_ref().map(|_| "[redacted]"))
            .field("meta_verify_token", &self.meta_verify_token.as_ref().map(|_| "[redacted]"))
            .field("fonnte_webhook_token", &self.fonnte_webhook_token.as_ref().map(|_| "[redacted]"))
            .field("providers", &self.providers)
            .field("payments", &self.payments)
            .field("storage", &self.storage)
            .field("security", &self.security)
            .field("backup", &self.backup)
            .field("demo", &self.demo)
            .finish()
    }
}

impl Config {
    /// Whether cookies must be `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// Whether messages of a channel without a provider are recorded as sent by the `log`
    /// provider: when asked for, and in the demo unless asked not to.
    pub fn uses_log_provider(&self) -> bool {
        self.notify_log_provider.unwrap_or(self.demo)
    }

    pub fn secret_bytes(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }
}

/// A configuration value that cannot be used, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

pub(crate) fn err(var: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { var: var.to_owned(), message: message.into() }
}

/// The `AGLIS_*` variables of the process environment.
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars().filter(|(k, _)| k.starts_with("AGLIS_")).collect()
}

/// Reads the configuration from the process environment (and the optional file).
pub fn from_env() -> Result<Config, ConfigError> {
    load(&process_env())
}

/// How a command loads its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// `AGLIS_DATA_DIR` when neither the environment nor the file sets it.
    pub default_data_dir: &'static str,
    /// Generate `DATA_DIR/secret.key` when no key is configured. Commands that only read an
    /// installation say `false`: they get a key for this run and write nothing.
    pub create_secret: bool,
}

/// `aglis serve` and the commands that set an installation up.
pub const SERVE: LoadOptions = LoadOptions { default_data_dir: DEFAULT_DATA_DIR, create_secret: true };
/// Commands that only read an installation (`audit verify`, `backup list` …).
pub const READ_ONLY: LoadOptions = LoadOptions { default_data_dir: DEFAULT_DATA_DIR, create_secret: false };
/// `aglis demo`: its own directory, so that it never seeds an installation's database.
pub const DEMO: LoadOptions = LoadOptions { default_data_dir: DEMO_DATA_DIR, create_secret: true };

pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEMO_DATA_DIR: &str = "./data/demo";

/// `AGLIS_*` variables this version does not know (probably typos), to warn about at start-up.
pub fn unknown_variables(env: &BTreeMap<String, String>) -> Vec<&str> {
    env.keys()
        .map(String::as_str)
        .filter(|key| !VARIABLES.iter().any(|(name, _, _)| name == key) && !key.starts_with("AGLIS_TEST_"))
        .collect()
}

/// Builds the configuration from `AGLIS_*` variables given as a map (tests pass their own).
pub fn load(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
    load_with(env, SERVE)
}

/// [`load`] with the options of a command.
pub fn load_with(env: &BTreeMap<String, String>, options: LoadOptions) -> Result<Config, ConfigError> {
    let file = read_file(env)?;
    let mut sources = file.clone();
    sources.extend(env.iter().filter(|(k, _)| k.starts_with("AGLIS_")).map(|(k, v)| (k.clone(), v.clone())));
    let get = |var: &str| -> Option<String> { env.get(var).or_else(|| file.get(var)).map(|v| v.trim().to_owned()) };

    let data_dir = PathBuf::from(get("AGLIS_DATA_DIR").unwrap_or_else(|| options.default_data_dir.into()));
    if data_dir.as_os_str().is_empty() {
        return Err(err("AGLIS_DATA_DIR", "must not be empty"));
    }
    let database_url = match get("AGLIS_DATABASE_URL") {
        Some(url) => parse_database_url(&url)?,
        None => sqlite_url(&data_dir.join("aglis.db")),
    };
    let db_max_connections = parse_num("AGLIS_DB_MAX_CONNECTIONS", get("AGLIS_DB_MAX_CONNECTIONS"), 10, 1..=500)?;
    let bind_raw = get("AGLIS_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
    let bind: SocketAddr = bind_raw
        .parse()
        .map_err(|_| err("AGLIS_BIND", format!("`{bind_raw}` is not an address and port such as 127.0.0.1:8080")))?;
    let base_url = match get("AGLIS_BASE_URL") {
        Some(url) => parse_base_url(&url)?,
        None => format!("http://{bind}"),
    };
    let trusted_proxy_hops = match get("AGLIS_TRUST_FORWARDED_FOR").as_deref() {
        None | Some("false" | "0" | "no") => 0,
        Some("true" | "yes") => 1,
        Some(other) => match other.parse::<usize>() {
            Ok(n @ 1..=10) => n,
            _ => {
                return Err(err(
                    "AGLIS_TRUST_FORWARDED_FOR",
                    format!("`{other}` is not `true`, `false` or a number of proxies from 1 to 10"),
                ));
            }
        },
    };
    let mut secret_key_ephemeral = false;
    let secret_key = match get("AGLIS_SECRET_KEY") {
        Some(key) if key.chars().count() >= 32 => SecretString::from(key),
        Some(_) => return Err(err("AGLIS_SECRET_KEY", "must be at least 32 characters long")),
        None if options.create_secret => SecretString::from(load_or_create_secret(&data_dir)?),
        None => match read_secret(&data_dir)? {
            Some(key) => SecretString::from(key),
            None => {
                secret_key_ephemeral = true;
                SecretString::from(crate::auth::token::random_token())
            }
        },
    };
    let log = get("AGLIS_LOG").unwrap_or_else(|| "info".into());
    tracing_subscriber::EnvFilter::try_new(&log)
        .map_err(|e| err("AGLIS_LOG", format!("`{log}` is not a valid log filter: {e}")))?;
    let log_format = match get("AGLIS_LOG_FORMAT").as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => return Err(err("AGLIS_LOG_FORMAT", format!("`{other}` is not `text` or `json`"))),
    };
    let worker_poll_ms = parse_num("AGLIS_WORKER_POLL_MS", get("AGLIS_WORKER_POLL_MS"), 1000, 50..=60_000)?;
    let job_lock_secs = parse_num("AGLIS_JOB_LOCK_SECS", get("AGLIS_JOB_LOCK_SECS"), 300, 5..=3600)?;
    let escalation = parse_escalation(get("AGLIS_SLA_ESCALATE_AT").as_deref().unwrap_or("80,90"))
        .map_err(|m| err("AGLIS_SLA_ESCALATE_AT", m))?;
    let run_workers = match get("AGLIS_RUN_WORKERS").as_deref() {
        None | Some("true" | "1" | "yes") => true,
        Some("false" | "0" | "no") => false,
        Some(other) => return Err(err("AGLIS_RUN_WORKERS", format!("`{other}` is not `true` or `false`"))),
    };
    let whatsapp_rate = parse_num("AGLIS_WHATSAPP_RATE_PER_MIN", get("AGLIS_WHATSAPP_RATE_PER_MIN"), 100, 0..=100_000)?;
    let whatsapp_rate_window_secs =
        parse_num("AGLIS_WHATSAPP_RATE_WINDOW_SECS", get("AGLIS_WHATSAPP_RATE_WINDOW_SECS"), 60, 1..=3600)?;
    let notify_retries = parse_num("AGLIS_NOTIFY_RETRIES", get("AGLIS_NOTIFY_RETRIES"), 3, 0..=10)?;
    let notify_log_provider = match get("AGLIS_NOTIFY_LOG_PROVIDER").as_deref() {
        None => None,
        Some("true" | "1" | "yes") => Some(true),
        Some("false" | "0" | "no") => Some(false),
        Some(other) => return Err(err("AGLIS_NOTIFY_LOG_PROVIDER", format!("`{other}` is not `true` or `false`"))),
    };
    let notify_retry_base_secs =
        parse_num("AGLIS_NOTIFY_RETRY_BASE_SECS", get("AGLIS_NOTIFY_RETRY_BASE_SECS"), 30, 1..=3600)?;
    let fonnte_token = get("AGLIS_FONNTE_TOKEN").filter(|t| !t.is_empty()).map(SecretString::from);
    let fonnte_url = match get("AGLIS_FONNTE_URL") {
        Some(url) => parse_url("AGLIS_FONNTE_URL", &url)?,
        None => aglis_integrations::whatsapp::fonnte::DEFAULT_BASE_URL.to_owned(),
    };
    let fonnte_webhook_token = match get("AGLIS_FONNTE_WEBHOOK_TOKEN") {
        Some(t) if t.chars().count() >= 16 => Some(SecretString::from(t)),
        Some(_) => {
            return Err(err(
                "AGLIS_FONNTE_WEBHOOK_TOKEN",
                "must be at least 16 characters (it is the callback's only protection)",
            ));
        }
        None => None,
    };
    let meta_app_secret = get("AGLIS_META_APP_SECRET").filter(|s| !s.is_empty()).map(SecretString::from);
    let meta_verify_token = get("AGLIS_META_VERIFY_TOKEN").filter(|s| !s.is_empty()).map(SecretString::from);
    let storage = crate::storage::parse_config(&get, &data_dir)?;
    let backup = crate::backup::config::parse(&get, &data_dir)?;
    Ok(Config {
        data_dir,
        database_url,
        db_max_connections,
        bind,
        base_url,
        trusted_proxy_hops,
        secret_key,
        secret_key_ephemeral,
        log,
        log_format,
        worker_poll_ms,
        job_lock_secs,
        escalation,
        run_workers,
        whatsapp_rate,
        whatsapp_rate_window_secs,
        notify_retries,
        notify_log_provider,
        notify_retry_base_secs,
        fonnte_token,
        fonnte_url,
        fonnte_webhook_token,
        meta_app_secret,
        meta_verify_token,
        providers: providers::parse(&get)?,
        payments: payments::parse(&get)?,
        enforcement: enforcement::parse(&get)?,
        storage,
        security: security::parse(&get)?,
        backup,
        monitoring: crate::monitoring::config::parse(&get)?,
        sources: std::sync::Arc::new(sources),
        demo: false,
        disk_used_pct: None,
    })
}

/// The values of `aglis.toml`, keyed by their variable names (`bind` → `AGLIS_BIND`). An unknown key
/// is an error: a typo in a file is not a warning to miss.
fn read_file(env: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ConfigError> {
    let (path, explicit) = match env.get("AGLIS_CONFIG") {
        Some(p) => (PathBuf::from(p), true),
        None => (PathBuf::from("aglis.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(BTreeMap::new()),
        Err(e) => return Err(err("AGLIS_CONFIG", format!("cannot read {}: {e}", path.display()))),
    };
    let invalid = |e: String| err("AGLIS_CONFIG", format!("{} is not a valid configuration file: {e}", path.display()));
    let table: toml::Table = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let var = format!("AGLIS_{}", key.to_uppercase());
        if key == "config" || !VARIABLES.iter().any(|(name, _, _)| *name == var) {
            return Err(invalid(format!("unknown key `{key}`")));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(invalid(format!(
                    "`{key}` must be a string, a number or a boolean, not {}",
                    other.type_str()
                )));
            }
        };
        out.insert(var, value);
    }
    Ok(out)
}

pub(crate) fn parse_num<T>(
    var: &str,
    raw: Option<String>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(raw) = raw else { return Ok(default) };
    match raw.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(err(var, format!("`{raw}` is not a number from {} to {}", range.start(), range.end()))),
    }
}

fn parse_database_url(url: &str) -> Result<String, ConfigError> {
    match aglis_db::Engine::from_url(url) {
        Some(_) => Ok(url.to_owned()),
        None => Err(err(
            "AGLIS_DATABASE_URL",
            "must start with sqlite:// (embedded) or postgres:// (e.g. postgres://aglis:secret@localhost/aglis)",
        )),
    }
}

fn parse_base_url(url: &str) -> Result<String, ConfigError> {
    parse_url("AGLIS_BASE_URL", url)
}

pub(crate) fn parse_url(var: &str, url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(err(var, format!("`{url}` is not an http:// or https:// URL"))),
    }
}

/// The SQLite URL of a file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

const SECRET_FILE: &str = "secret.key";

/// The key in `DATA_DIR/secret.key`, if the file exists.
fn read_secret(data_dir: &Path) -> Result<Option<String>, ConfigError> {
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => Ok(Some(s.trim().to_owned())),
        Ok(_) => Err(err("AGLIS_SECRET_KEY", format!("{} is shorter than 32 characters", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err("AGLIS_SECRET_KEY", format!("cannot read {}: {e}", path.display()))),
    }
}

fn load_or_create_secret(data_dir: &Path) -> Result<String, ConfigError> {
    if let Some(key) = read_secret(data_dir)? {
        return Ok(key);
    }
    let path = data_dir.join(SECRET_FILE);
    std::fs::create_dir_all(data_dir)
        .map_err(|e| err("AGLIS_DATA_DIR", format!("cannot create {}: {e}", data_dir.display())))?;
    let key = crate::auth::token::random_token();
    write_private(&path, &key).map_err(|e| err("AGLIS_SECRET_KEY", format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())?;
    f.write_all(b"\n")
}

/// `"80,90"` → raise to high at 80 %, to critical at 90 % (each 1–100, the first below the second).
fn parse_escalation(raw: &str) -> Result<aglis_core::ticket_sla::Thresholds, String> {
    let bad = || format!("`{raw}` is not two percentages such as 80,90 (the first smaller, each 1–100)");
    let (a, b) = raw.split_once(',').ok_or_else(bad)?;
    let a: u32 = a.trim().parse().map_err(|_| bad())?;
    let b: u32 = b.trim().parse().map_err(|_| bad())?;
    if !(1..=100).contains(&a) || !(1..=100).contains(&b) || a >= b {
        return Err(bad());
    }
    Ok(aglis_core::ticket_sla::Thresholds { to_high: a, to_critical: b })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)], dir: &Path) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        m.insert("AGLIS_DATA_DIR".into(), dir.display().to_string());
        m.entry("AGLIS_CONFIG".into()).or_insert_with(|| dir.join("none.toml").display().to_string());
        m
    }

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("aglis-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    fn load_err(pairs: &[(&str, &str)], dir: &Path) -> ConfigError {
        let mut e = env(pairs, dir);
        // an explicit, existing, empty file
        let f = dir.join("empty.toml");
        std::fs::write(&f, "").expect("write");
        e.insert("AGLIS_CONFIG".into(), f.display().to_string());
        load(&e).expect_err("must fail")
    }

    #[test]
    fn defaults_and_generated_secret_is_kept() {
        let dir = tempdir("defaults");
        let f = dir.join("empty.toml");
        std::fs::write(&f, "").expect("write");
        let e = env(&[("AGLIS_CONFIG", f.to_str().expect("utf8"))], &dir);
        let c = load(&e).expect("defaults load");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite://") && c.database_url.ends_with("aglis.db?mode=rwc"));
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(!c.secure_cookies());
        let again = load(&e).expect("second load");
        assert_eq!(c.secret_bytes(), again.secret_bytes(), "the generated key is stored and reused");
        assert!(!format!("{c:?}").contains(c.secret_key.expose_secret()), "Debug never shows the secret");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let dir = tempdir("bad");
        for (var, value) in [
            ("AGLIS_BIND", "localhost"),
            ("AGLIS_BASE_URL", "aglis.example"),
            ("AGLIS_DATABASE_URL", "mysql://x"),
            ("AGLIS_LOG_FORMAT", "xml"),
            ("AGLIS_SECRET_KEY", "short"),
            ("AGLIS_WORKER_POLL_MS", "fast"),
            ("AGLIS_DB_MAX_CONNECTIONS", "0"),
            ("AGLIS_RUN_WORKERS", "maybe"),
            ("AGLIS_LOG", "info,[[["),
        ] {
            let e = load_err(&[(var, value)], &dir);
            assert_eq!(e.var, var, "{value}");
            assert!(e.to_string().starts_with(var), "{e}");
        }
    }

    #[test]
    fn file_values_apply_and_env_wins() {
        let dir = tempdir("file");
        let f = dir.join("aglis.toml");
        std::fs::write(&f, "bind = \"0.0.0.0:9000\"\nbase_url = \"https://isp.example.id/\"\nworker_poll_ms = 200\n")
            .expect("write");
        let mut e = env(&[("AGLIS_CONFIG", f.to_str().expect("utf8"))], &dir);
        let c = load(&e).expect("loads");
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.base_url, "https://isp.example.id");
        assert!(c.secure_cookies());
        assert_eq!(c.worker_poll_ms, 200);
        e.insert("AGLIS_BIND".into(), "127.0.0.1:7000".into());
        assert_eq!(load(&e).expect("loads").bind.port(), 7000);
    }

    #[test]
    fn unknown_file_keys_and_missing_explicit_file_are_errors() {
        let dir = tempdir("unknown");
        let f = dir.join("aglis.toml");
        std::fs::write(&f, "bindd = \"x\"\n").expect("write");
        let e = env(&[("AGLIS_CONFIG", f.to_str().expect("utf8"))], &dir);
        assert_eq!(load(&e).expect_err("unknown key").var, "AGLIS_CONFIG");
        let e = env(&[("AGLIS_CONFIG", "/nonexistent/aglis.toml")], &dir);
        assert_eq!(load(&e).expect_err("missing file").var, "AGLIS_CONFIG");
    }

    #[test]
    fn unknown_variables_are_found() {
        let mut env = BTreeMap::new();
        env.insert("AGLIS_BIND".to_owned(), "x".to_owned());
        env.insert("AGLIS_BINDD".to_owned(), "x".to_owned());
        env.insert("AGLIS_TEST_DATABASE_URL".to_owned(), "x".to_owned());
        assert_eq!(unknown_variables(&env), vec!["AGLIS_BINDD"]);
    }

    /// The README's configuration table lists every variable.
    #[test]
    fn readme_documents_every_variable() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README");
        for (name, _, _) in VARIABLES {
            assert!(readme.contains(&format!("| `{name}` |")), "README's configuration table lacks {name}");
        }
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact_url("postgres://aglis:s3cret@db:5432/aglis"), "postgres://aglis:***@db:5432/aglis");
        assert_eq!(redact_url("sqlite://data/aglis.db?mode=rwc"), "sqlite://data/aglis.db?mode=rwc");
    }

    #[test]
    fn escalation_thresholds_parse_or_say_why() {
        let t = super::parse_escalation("75, 95").expect("ok");
        assert_eq!((t.to_high, t.to_critical), (75, 95));
        for bad in ["90,80", "80", "0,90", "80,101", "a,b"] {
            assert!(super::parse_escalation(bad).is_err(), "{bad}");
        }
    }
}
