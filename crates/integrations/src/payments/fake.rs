//! What the fake gateways (`midtrans::fake`, `xendit::fake`) share: how they misbehave, how their
//! callbacks arrive, the log of requests and callbacks, ids, clocks and the hosted pages' frame.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How a fake answers the next API requests (not its hosted page).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Behavior {
    #[default]
    Accept,
    /// An HTTP error status (with the gateway's error body) for every API request.
    HttpError(u16),
    /// Answer normally, but only after this long (to provoke client time-outs).
    Slow(Duration),
}

/// How the callbacks of a payment arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallbackMode {
    /// As they happen, [`GAP`] apart (Midtrans: `pending` then `settlement`; Xendit: one `PAID`).
    #[default]
    InOrder,
    /// In order, but the first only after this long.
    Late(Duration),
    /// In order, each one twice (identical bodies).
    Twice,
    /// Midtrans: `settlement` before `pending`. Xendit: `PAID`, then a stale `EXPIRED`.
    OutOfOrder,
    /// In order, but signed with a wrong key (Midtrans) / a wrong `x-callback-token` (Xendit).
    WrongSignature,
}

/// The time before the first callback of a payment and between two of its callbacks.
pub const GAP: Duration = Duration::from_millis(50);

impl CallbackMode {
    /// The wait before the first callback.
    pub fn first_delay(self) -> Duration {
        match self {
            CallbackMode::Late(d) => d,
            _ => GAP,
        }
    }

    /// The callbacks as they are sent: twice each under [`CallbackMode::Twice`].
    pub fn repeated<T: Clone>(self, callbacks: Vec<T>) -> Vec<T> {
        if self == CallbackMode::Twice {
            callbacks.into_iter().flat_map(|c| [c.clone(), c]).collect()
        } else {
            callbacks
        }
    }
}

/// One API request a fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// e.g. `/snap/v1/transactions`
    pub path: String,
    pub authorization: Option<String>,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The parsed JSON body (`Null` when there was none or it was not JSON).
    pub body: serde_json::Value,
}

impl Received {
    pub(crate) fn new(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Self {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let authorization = headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone());
        Self {
            method: method.as_str().to_owned(),
            path: uri.path().to_owned(),
            authorization,
            headers,
            body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
        }
    }

    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One callback a fake posted, and how the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSent {
    pub url: String,
    /// The headers sent besides `Content-Type: application/json`.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The receiver's HTTP status, or why there was no answer.
    pub result: Result<u16, String>,
}

impl CallbackSent {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A callback ready to go.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Posts callbacks and remembers how each went.
#[derive(Debug, Clone)]
pub(crate) struct Dispatcher {
    client: reqwest::Client,
    log: Arc<Mutex<Vec<CallbackSent>>>,
}

impl Dispatcher {
    pub fn new() -> std::io::Result<Self> {
        let client = crate::http::client(Duration::from_secs(15)).map_err(std::io::Error::other)?;
        Ok(Self { client, log: Arc::default() })
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<CallbackSent>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// POSTs one callback now and records the outcome.
    pub async fn post(&self, url: &str, out: Outbound) -> Result<u16, String> {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(out.body.clone());
        for (name, value) in &out.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let result = match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) => Err(if e.is_timeout() { "timed out".to_owned() } else { format!("unreachable: {e}") }),
        };
        if let Err(e) = &result {
            tracing::debug!(url, error = %e, "fake gateway callback failed");
        }
        self.log().push(CallbackSent {
            url: url.to_owned(),
            headers: out.headers,
            body: out.body,
            result: result.clone(),
        });
        result
    }

    /// Sends `callbacks` one after the other from a task of their own (each to every URL of
    /// `urls`): `first` before the first one, [`GAP`] before each next one.
    pub fn spawn(&self, urls: Vec<String>, first: Duration, callbacks: Vec<Outbound>) {
        if urls.is_empty() || callbacks.is_empty() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            for (i, out) in callbacks.into_iter().enumerate() {
                tokio::time::sleep(if i == 0 { first } else { GAP }).await;
                for url in &urls {
                    let _ = this.post(url, out.clone()).await;
                }
            }
        });
    }

    pub fn sent(&self) -> Vec<CallbackSent> {
        self.log().clone()
    }

    /// Waits until at least `count` callbacks went out (or `within` passed); returns all so far.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<CallbackSent> {
        let deadline = Instant::now() + within;
        loop {
            let sent = self.sent();
            if sent.len() >= count || Instant::now() >= deadline {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Sleeps or fails as `behavior` says; `Some` answer to give instead of the normal one.
pub(crate) async fn misbehave(
    behavior: &Behavior,
    error_body: impl FnOnce(u16) -> serde_json::Value,
) -> Option<Response> {
    match behavior {
        Behavior::Accept => None,
        Behavior::Slow(d) => {
            tokio::time::sleep(*d).await;
            None
        }
        Behavior::HttpError(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(json_response(status, &error_body(status.as_u16())))
        }
    }
}

pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The form fields of a posted hosted-page form.
pub(crate) fn form_field(body: &Bytes, name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Milliseconds since the epoch.
pub(crate) fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// (year, month, day, hour, minute, second) of `secs` since the epoch (proleptic Gregorian, UTC).
fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `YYYY-MM-DD HH:MM:SS` in Jakarta time (UTC+7), Midtrans' timestamps.
pub(crate) fn wib_time(unix_ms: u64) -> String {
    let secs = i64::try_from(unix_ms / 1000).unwrap_or(0) + 7 * 3600;
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, Xendit's timestamps.
pub(crate) fn iso_time(unix_ms: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(i64::try_from(unix_ms / 1000).unwrap_or(0));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z", unix_ms % 1000)
}

/// 64 unpredictable-enough bits: the clock and a counter through SplitMix64.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).rotate_left(17);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A version-4-looking UUID (Midtrans tokens and transaction ids).
pub(crate) fn uuid_like() -> String {
    let (a, b) = (random_u64(), random_u64());
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][(b & 3) as usize],
        &hex[17..20],
        &hex[20..32]
    )
}

/// 24 hex digits (Xendit's object ids).
pub(crate) fn object_id() -> String {
    format!("{:08x}{:016x}", (unix_millis() / 1000) & 0xFFFF_FFFF, random_u64())
}

/// `n` decimal digits (VA numbers).
pub(crate) fn digits(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        out.push_str(&format!("{:019}", random_u64() % 10_000_000_000_000_000_000));
    }
    out.truncate(n);
    out
}

/// Text safe inside HTML (elements and quoted attributes).
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `url` with `params` appended to its query.
pub(crate) fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

/// A hosted page: plain HTML, no JavaScript, fit for a phone.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <style>body{{font-family:sans-serif;margin:0;padding:1rem;background:#f4f6f8}}\
         main{{max-width:28rem;margin:0 auto;background:#fff;padding:1rem 1.25rem;border-radius:.5rem}}\
         button{{display:block;width:100%;margin:.5rem 0;padding:.9rem;font-size:1rem}}\
         .amount{{font-size:1.6rem;font-weight:bold}}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape_html(title)
    );
    (status, Html(html)).into_response()
}

/// Whether an `Authorization` header is `Basic base64(key + ":")`.
pub(crate) fn authorized(authorization: Option<&str>, key: &str) -> bool {
    !key.is_empty() && authorization == Some(super::basic_auth(key).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        assert_eq!(wib_time(0), "1970-01-01 07:00:00");
        // 2025-01-10T03:04:05.678Z
        assert_eq!(iso_time(1_736_478_245_678), "2025-01-10T03:04:05.678Z");
        assert_eq!(wib_time(1_736_478_245_678), "2025-01-10 10:04:05");
        // a leap day, late in the evening UTC: already the next day in Jakarta
        assert_eq!(iso_time(1_709_236_800_000), "2024-02-29T20:00:00.000Z");
        assert_eq!(wib_time(1_709_236_800_000), "2024-03-01 03:00:00");
    }

    #[test]
    fn ids() {
        let (a, b) = (uuid_like(), uuid_like());
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        let id = object_id();
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(object_id(), object_id());
        let va = digits(13);
        assert_eq!(va.len(), 13);
        assert!(va.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn html_and_urls() {
        assert_eq!(escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(with_query("https://x.id/done", &[("order_id", "A 1")]), "https://x.id/done?order_id=A+1");
        assert_eq!(with_query("https://x.id/done?a=1", &[("b", "2")]), "https://x.id/done?a=1&b=2");
    }

    #[test]
    fn modes() {
        assert_eq!(CallbackMode::Twice.repeated(vec![1, 2]), [1, 1, 2, 2]);
        assert_eq!(CallbackMode::InOrder.repeated(vec![1, 2]), [1, 2]);
        assert_eq!(CallbackMode::Late(Duration::from_secs(3)).first_delay(), Duration::from_secs(3));
        assert_eq!(CallbackMode::OutOfOrder.first_delay(), GAP);
    }
}
