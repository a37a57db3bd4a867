//! A local SMTP server for tests and the demo, speaking real SMTP (RFC 5321) over TCP without TLS:
//! EHLO/HELO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT, the
//! usual 5xx answers to unknown or out-of-order commands, and the failures real servers produce.
//! Accepted mails are kept; [`ReceivedMail::header`] and [`ReceivedMail::text`] decode what a
//! sender encoded (RFC 2047 words, quoted-printable, base64), so tests compare plain text.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Largest message accepted (advertised as `SIZE`).
pub const MAX_SIZE: usize = 10 * 1024 * 1024;
/// Longest line read at once; longer lines arrive in pieces.
const MAX_LINE: u64 = 64 * 1024;
const NAME: &str = "fake-smtp.aglis.test";

/// Base64 as mail writes it: padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How the fake answers from now on (read at each step, so a change applies to open connections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Accept,
    /// `550 5.1.1` to every `RCPT TO`.
    RejectRecipient,
    /// `451 4.3.0` after the end of `DATA`; the mail is not kept.
    TempFail,
    /// `421 4.3.2` instead of the greeting, then the connection is closed.
    Unavailable,
    /// Accept, but wait this long before every reply (to provoke client time-outs).
    Slow(Duration),
}

/// One mail the fake accepted (`250` after `DATA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The EHLO/HELO argument.
    pub helo: String,
    /// The user of a successful AUTH on this connection.
    pub auth_user: Option<String>,
    /// The `MAIL FROM` address, without angle brackets (empty for the null sender `<>`).
    pub mail_from: String,
    /// `MAIL FROM` parameters as sent (`BODY=8BITMIME`, `SMTPUTF8`, …).
    pub mail_params: Vec<String>,
    /// The `RCPT TO` addresses, without angle brackets.
    pub recipients: Vec<String>,
    /// The message as the client meant it: dot-unstuffed, without the final `CRLF.CRLF`.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    /// The first header field called `name` (case-insensitive), unfolded, with RFC 2047 encoded
    /// words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = split_message(&self.data);
        let head = String::from_utf8_lossy(head);
        let mut fields: Vec<String> = Vec::new();
        for line in head.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            match fields.last_mut() {
                Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
                _ => fields.push(line.to_owned()),
            }
        }
        fields.iter().find_map(|field| {
            let (n, v) = field.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| decode_words(v.trim()))
        })
    }

    /// The body of a single-part UTF-8 message, decoded by its `Content-Transfer-Encoding` (7bit,
    /// 8bit, quoted-printable, base64), with line ends as `\n`. A body that does not decode is
    /// returned as it came.
    pub fn text(&self) -> String {
        let (_, body) = split_message(&self.data);
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or_default().trim().to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => qp_decode(body),
            "base64" => {
                let compact: Vec<u8> = body.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
                BASE64.decode(compact).unwrap_or_else(|_| body.to_vec())
            }
            _ => body.to_vec(),
        };
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

#[derive(Debug)]
struct Inner {
    behavior: Behavior,
    credentials: Option<(String, String)>,
    received: Vec<ReceivedMail>,
    queued: u64,
}

/// The running server; clones share it. It runs until the Tokio runtime ends.
#[derive(Debug, Clone)]
pub struct FakeSmtp {
    pub host: String,
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
}

impl FakeSmtp {
    /// Starts on a free port of 127.0.0.1, accepting mail without authentication.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let fake = Self {
            host: addr.ip().to_string(),
            port: addr.port(),
            inner: Arc::new(Mutex::new(Inner {
                behavior: Behavior::Accept,
                credentials: None,
                received: Vec::new(),
                queued: 0,
            })),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let server = server.clone();
                tokio::spawn(async move {
                    if let Err(e) = server.session(stream).await {
                        tracing::debug!("fake SMTP session ended: {e}");
                    }
                });
            }
        });
        Ok(fake)
    }

    /// Starts like [`FakeSmtp::start`], requiring AUTH with these credentials before `MAIL`.
    pub async fn start_with_auth(user: &str, password: &str) -> io::Result<Self> {
        let fake = Self::start().await?;
        fake.set_credentials(Some((user, password)));
        Ok(fake)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.lock().behavior = behavior;
    }

    /// `Some((user, password))`: AUTH is required and must match; `None`: any AUTH is accepted.
    pub fn set_credentials(&self, credentials: Option<(&str, &str)>) {
        self.lock().credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.lock().received.clone()
    }

    fn behavior(&self) -> Behavior {
        self.lock().behavior.clone()
    }

    async fn session(&self, stream: TcpStream) -> io::Result<()> {
        let (read, write) = stream.into_split();
        let mut s = Session {
            fake: self.clone(),
            read: BufReader::new(read),
            write,
            helo: None,
            esmtp: false,
            auth_user: None,
            tx: None,
        };
        if self.behavior() == Behavior::Unavailable {
            s.reply(&format!("421 4.3.2 {NAME} Service not available, closing transmission channel")).await?;
            return s.write.shutdown().await;
        }
        s.reply(&format!("220 {NAME} ESMTP AGLIS fake ready")).await?;
        s.run().await
    }
}

/// A mail transaction in progress.
struct Transaction {
    from: String,
    params: Vec<String>,
    recipients: Vec<String>,
}

struct Session {
    fake: FakeSmtp,
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
    helo: Option<String>,
    esmtp: bool,
    auth_user: Option<String>,
    tx: Option<Transaction>,
}

impl Session {
    /// Sends a reply (lines separated by `\n`, each already carrying its code).
    async fn reply(&mut self, text: &str) -> io::Result<()> {
        if let Behavior::Slow(delay) = self.fake.behavior() {
            tokio::time::sleep(delay).await;
        }
        let mut out = text.replace('\n', "\r\n");
        out.push_str("\r\n");
        self.write.write_all(out.as_bytes()).await?;
        self.write.flush().await
    }

    /// One line with its line end, or `None` at the end of the stream.
    async fn read_raw_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        (&mut self.read).take(MAX_LINE).read_until(b'\n', &mut line).await?;
        Ok((!line.is_empty()).then_some(line))
    }

    /// A command or AUTH response line without its line end.
    async fn read_line(&mut self) -> io::Result<Option<String>> {
        Ok(self.read_raw_line().await?.map(|raw| {
            let text = String::from_utf8_lossy(&raw).into_owned();
            text.trim_end_matches(['\r', '\n']).to_owned()
        }))
    }

    async fn run(&mut self) -> io::Result<()> {
        while let Some(line) = self.read_line().await? {
            let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            let (verb, arg) = (verb.to_ascii_uppercase(), arg.trim().to_owned());
            match verb.as_str() {
                "EHLO" | "HELO" if arg.is_empty() => self.reply(&format!("501 5.5.4 Syntax: {verb} hostname")).await?,
                "EHLO" => {
                    self.greeted(arg.clone(), true);
                    let lines = [
                        format!("250-{NAME} greets {arg}"),
                        "250-AUTH PLAIN LOGIN".into(),
                        "250-8BITMIME".into(),
                        "250-SMTPUTF8".into(),
                        format!("250 SIZE {MAX_SIZE}"),
                    ];
                    self.reply(&lines.join("\n")).await?;
                }
                "HELO" => {
                    self.greeted(arg, false);
                    self.reply(&format!("250 {NAME}")).await?;
                }
                "AUTH" => self.auth(&arg).await?,
                "MAIL" => self.mail(&arg).await?,
                "RCPT" => self.rcpt(&arg).await?,
                "DATA" => self.data(&arg).await?,
                "RSET" => {
                    self.tx = None;
                    self.reply("250 2.0.0 Ok").await?;
                }
                "NOOP" => self.reply("250 2.0.0 Ok").await?,
                "QUIT" => {
                    self.reply("221 2.0.0 Bye").await?;
                    return self.write.shutdown().await;
                }
                "VRFY" | "EXPN" | "HELP" | "STARTTLS" => self.reply("502 5.5.1 Command not implemented").await?,
                _ => self.reply("500 5.5.2 Command not recognized").await?,
            }
        }
        Ok(())
    }

    fn greeted(&mut self, helo: String, esmtp: bool) {
        self.helo = Some(helo);
        self.esmtp = esmtp;
        self.tx = None;
    }

    async fn auth(&mut self, arg: &str) -> io::Result<()> {
        if !self.esmtp {
            return self.reply("503 5.5.1 Send EHLO first").await;
        }
        if self.auth_user.is_some() {
            return self.reply("503 5.5.1 Already authenticated").await;
        }
        if self.tx.is_some() {
            return self.reply("503 5.5.1 AUTH not allowed during a mail transaction").await;
        }
        let (mechanism, initial) = arg.split_once(' ').unwrap_or((arg, ""));
        let initial = (!initial.trim().is_empty()).then(|| initial.trim().to_owned());
        let (user, password) = match mechanism.to_ascii_uppercase().as_str() {
            "PLAIN" => {
                let Some(response) = self.challenge(initial, "").await? else { return Ok(()) };
                let mut parts = response.split(|b| *b == 0);
                match (parts.next(), parts.next(), parts.next(), parts.next()) {
                    (Some(_authzid), Some(user), Some(password), None) => (user.to_vec(), password.to_vec()),
                    _ => return self.reply("501 5.5.2 Malformed PLAIN response").await,
                }
            }
            "LOGIN" => {
                let Some(user) = self.challenge(initial, "VXNlcm5hbWU6").await? else { return Ok(()) };
                let Some(password) = self.challenge(None, "UGFzc3dvcmQ6").await? else { return Ok(()) };
                (user, password)
            }
            _ => return self.reply("504 5.5.4 Unrecognized authentication type").await,
        };
        let (user, password) = (String::from_utf8_lossy(&user).into_owned(), String::from_utf8_lossy(&password));
        let required = self.fake.lock().credentials.clone();
        if required.is_some_and(|(u, p)| u != user || p != password) {
            return self.reply("535 5.7.8 Authentication credentials invalid").await;
        }
        self.auth_user = Some(user);
        self.reply("235 2.7.0 Authentication successful").await
    }

    /// The decoded client response: `initial` if given, otherwise after a `334 {prompt}`. `None`
    /// when the exchange ended (cancelled, undecodable or connection closed), the reply sent.
    async fn challenge(&mut self, initial: Option<String>, prompt: &str) -> io::Result<Option<Vec<u8>>> {
        let line = match initial {
            Some(line) => line,
            None => {
                self.reply(&format!("334 {prompt}")).await?;
                match self.read_line().await? {
                    Some(line) => line,
                    None => return Ok(None),
                }
            }
        };
        if line.trim() == "*" {
            self.reply("501 5.7.0 Authentication cancelled").await?;
            return Ok(None);
        }
        match BASE64.decode(line.trim()) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(_) => {
                self.reply("501 5.5.2 Cannot decode response").await?;
                Ok(None)
            }
        }
    }

    async fn mail(&mut self, arg: &str) -> io::Result<()> {
        if self.helo.is_none() {
            return self.reply("503 5.5.1 Send HELO/EHLO first").await;
        }
        if self.tx.is_some() {
            return self.reply("503 5.5.1 Nested MAIL command").await;
        }
        let required = self.fake.lock().credentials.is_some();
        if required && self.auth_user.is_none() {
            return self.reply("530 5.7.0 Authentication required").await;
        }
        let Some((from, params)) = parse_path(arg, "FROM:") else {
            return self.reply("501 5.5.4 Syntax: MAIL FROM:<address>").await;
        };
        let size = params.iter().find_map(|p| p.to_ascii_uppercase().strip_prefix("SIZE=")?.parse::<usize>().ok());
        if size.is_some_and(|s| s > MAX_SIZE) {
            return self.reply("552 5.3.4 Message size exceeds fixed limit").await;
        }
        self.tx = Some(Transaction { from, params, recipients: Vec::new() });
        self.reply("250 2.1.0 Ok").await
    }

    async fn rcpt(&mut self, arg: &str) -> io::Result<()> {
        if self.tx.is_none() {
            return self.reply("503 5.5.1 Need MAIL command first").await;
        }
        let Some((to, _)) = parse_path(arg, "TO:").filter(|(to, _)| !to.is_empty()) else {
            return self.reply("501 5.5.4 Syntax: RCPT TO:<address>").await;
        };
        if self.fake.behavior() == Behavior::RejectRecipient {
            return self.reply(&format!("550 5.1.1 <{to}>: Recipient address rejected: User unknown")).await;
        }
        if let Some(tx) = self.tx.as_mut() {
            tx.recipients.push(to);
        }
        self.reply("250 2.1.5 Ok").await
    }

    async fn data(&mut self, arg: &str) -> io::Result<()> {
        if !arg.is_empty() {
            return self.reply("501 5.5.4 Syntax: DATA").await;
        }
        match &self.tx {
            None => return self.reply("503 5.5.1 Need MAIL command first").await,
            Some(tx) if tx.recipients.is_empty() => return self.reply("503 5.5.1 Need RCPT command first").await,
            Some(_) => {}
        }
        self.reply("354 End data with <CR><LF>.<CR><LF>").await?;
        let mut data = Vec::new();
        let mut too_big = false;
        let mut line_start = true;
        loop {
            let Some(mut line) = self.read_raw_line().await? else { return Ok(()) };
            let starts_line = line_start;
            line_start = line.ends_with(b"\n");
            if starts_line && (line == b".\r\n" || line == b".\n") {
                break;
            }
            if starts_line && line.first() == Some(&b'.') {
                line.remove(0);
            }
            if data.len() + line.len() > MAX_SIZE {
                too_big = true;
            } else {
                data.extend_from_slice(&line);
            }
        }
        // The line end before the final dot belongs to the terminator.
        if data.ends_with(b"\r\n") {
            data.truncate(data.len() - 2);
        } else if data.ends_with(b"\n") {
            data.truncate(data.len() - 1);
        }
        let Some(tx) = self.tx.take() else { return Ok(()) };
        if too_big {
            return self.reply("552 5.3.4 Message size exceeds fixed limit").await;
        }
        if self.fake.behavior() == Behavior::TempFail {
            return self.reply("451 4.3.0 Temporary local problem, please try again later").await;
        }
        let queued = {
            let mut inner = self.fake.lock();
            inner.queued += 1;
            inner.received.push(ReceivedMail {
                helo: self.helo.clone().unwrap_or_default(),
                auth_user: self.auth_user.clone(),
                mail_from: tx.from,
                mail_params: tx.params,
                recipients: tx.recipients,
                data,
            });
            inner.queued
        };
        self.reply(&format!("250 2.0.0 Ok: queued as FAKE{queued:05}")).await
    }
}

/// `FROM:<a@b> PARAM…` → (`a@b`, params); `None` on a syntax error.
fn parse_path(arg: &str, keyword: &str) -> Option<(String, Vec<String>)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start().strip_prefix('<')?;
    let (address, params) = rest.split_once('>')?;
    if address.contains(['<', ' ']) {
        return None;
    }
    Some((address.to_owned(), params.split_whitespace().map(str::to_owned).collect()))
}

/// (header block, body) split at the first empty line.
fn split_message(data: &[u8]) -> (&[u8], &[u8]) {
    for (separator, skip) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(at) = data.windows(separator.len()).position(|w| w == separator) {
            return (&data[..at], &data[at + skip..]);
        }
    }
    (data, &[])
}

fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` escapes, `=` soft line breaks, trailing blanks dropped.
fn qp_decode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut lines = body.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line.iter().rposition(|b| *b != b' ' && *b != b'\t').map_or(0, |i| i + 1);
        let line = &line[..end];
        let (line, soft_break) = match line.strip_suffix(b"=") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let mut i = 0;
        while i < line.len() {
            match (line[i], line.get(i + 1), line.get(i + 2)) {
                (b'=', Some(&hi), Some(&lo)) if hex_byte(hi, lo).is_some() => {
                    out.extend(hex_byte(hi, lo));
                    i += 3;
                }
                (byte, _, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        if !soft_break && lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// One RFC 2047 encoded word at the start of `s`: its bytes (as UTF-8) and the rest of `s`.
fn encoded_word(s: &str) -> Option<(Vec<u8>, &str)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let (text, rest) = (&inner[..end], &inner[end + 2..]);
    if text.contains([' ', '\t']) || charset.contains([' ', '\t']) {
        return None;
    }
    let bytes = match encoding {
        "b" | "B" => BASE64.decode(text).ok()?,
        "q" | "Q" => {
            let raw = text.as_bytes();
            let mut out = Vec::with_capacity(raw.len());
            let mut i = 0;
            while i < raw.len() {
                match raw[i] {
                    b'_' => out.push(b' '),
                    b'=' => {
                        out.push(hex_byte(*raw.get(i + 1)?, *raw.get(i + 2)?)?);
                        i += 2;
                    }
                    byte => out.push(byte),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    // RFC 2231 allows `charset*language`.
    let charset = charset.split('*').next().unwrap_or_default().to_ascii_lowercase();
    match charset.as_str() {
        "utf-8" | "utf8" | "us-ascii" => Some((bytes, rest)),
        "iso-8859-1" | "latin1" => Some((bytes.iter().map(|b| char::from(*b)).collect::<String>().into_bytes(), rest)),
        _ => None,
    }
}

/// Decodes the encoded words of a header value; blanks between two encoded words vanish.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut gap = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if let Some((bytes, after)) = encoded_word(rest) {
            gap.clear();
            pending.extend(bytes);
            rest = after;
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if !pending.is_empty() && (c == ' ' || c == '\t') {
            gap.push(c);
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&pending));
        pending.clear();
        out.push_str(&gap);
        gap.clear();
        out.push(c);
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(&gap);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw SMTP client: sends lines, reads whole (multi-line) replies.
    struct Client {
        read: BufReader<OwnedReadHalf>,
        write: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(fake: &FakeSmtp) -> (Self, String) {
            let stream = TcpStream::connect((fake.host.as_str(), fake.port)).await.expect("connect");
            let (read, write) = stream.into_split();
            let mut client = Self { read: BufReader::new(read), write };
            let greeting = client.reply().await;
            (client, greeting)
        }

        async fn reply(&mut self) -> String {
            let mut reply = String::new();
            loop {
                let mut line = String::new();
                let n = self.read.read_line(&mut line).await.expect("read reply");
                assert!(n > 0, "connection closed after {reply:?}");
                assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
                reply.push_str(&line);
                if line.as_bytes().get(3) == Some(&b' ') {
                    return reply;
                }
            }
        }

        async fn send(&mut self, raw: &str) {
            self.write.write_all(raw.as_bytes()).await.expect("write");
        }

        async fn cmd(&mut self, line: &str) -> String {
            self.send(&format!("{line}\r\n")).await;
            self.reply().await
        }

        async fn closed(&mut self) -> bool {
            let mut rest = Vec::new();
            matches!(self.read.read_to_end(&mut rest).await, Ok(0))
        }
    }

    fn code(reply: &str) -> &str {
        reply.get(..3).unwrap_or(reply)
    }

    #[tokio::test]
    async fn enforces_command_order_and_unstuffs_dots() {
        let fake = FakeSmtp::start().await.expect("start");
        let (mut c, greeting) = Client::connect(&fake).await;
        assert_eq!(code(&greeting), "220");
        assert_eq!(code(&c.cmd("MAIL FROM:<a@isp.co.id>").await), "503");
        assert_eq!(code(&c.cmd("BOGUS").await), "500");
        assert_eq!(code(&c.cmd("EHLO").await), "501");

        let ehlo = c.cmd("EHLO client.test").await;
        let lines: Vec<&str> = ehlo.lines().collect();
        assert!(lines.len() > 1 && lines[..lines.len() - 1].iter().all(|l| l.starts_with("250-")), "{ehlo}");
        assert!(lines.last().is_some_and(|l| l.starts_with("250 ")), "{ehlo}");
        for feature in ["AUTH PLAIN LOGIN", "8BITMIME", "SMTPUTF8", "SIZE "] {
            assert!(ehlo.contains(feature), "{feature} missing in {ehlo}");
        }

        assert_eq!(code(&c.cmd("RCPT TO:<b@example.co.id>").await), "503");
        assert_eq!(code(&c.cmd("DATA").await), "503");
        assert_eq!(code(&c.cmd("MAIL FROM:a@isp.co.id").await), "501");
        assert_eq!(code(&c.cmd("MAIL FROM:<a@isp.co.id> BODY=8BITMIME").await), "250");
        assert_eq!(code(&c.cmd("MAIL FROM:<a@isp.co.id>").await), "503");
        assert_eq!(code(&c.cmd("DATA").await), "503");
        assert_eq!(code(&c.cmd("RCPT TO:<>").await), "501");
        assert_eq!(code(&c.cmd("rcpt to:<b@example.co.id>").await), "250");
        assert_eq!(code(&c.cmd("NOOP").await), "250");
        assert_eq!(code(&c.cmd("DATA").await), "354");
        c.send("Subject: titik\r\n\r\n..tersembunyi\r\n....\r\n. \r\nakhir\r\n.\r\n").await;
        assert_eq!(code(&c.reply().await), "250");

        // A transaction reset by RSET leaves nothing behind.
        assert_eq!(code(&c.cmd("MAIL FROM:<>").await), "250");
        assert_eq!(code(&c.cmd("RCPT TO:<c@example.co.id>").await), "250");
        assert_eq!(code(&c.cmd("RSET").await), "250");
        assert_eq!(code(&c.cmd("DATA").await), "503");
        assert_eq!(code(&c.cmd("QUIT").await), "221");
        assert!(c.closed().await);

        let received = fake.received();
        assert_eq!(received.len(), 1);
        let mail = &received[0];
        assert_eq!(mail.helo, "client.test");
        assert_eq!(mail.mail_from, "a@isp.co.id");
        assert_eq!(mail.mail_params, ["BODY=8BITMIME"]);
        assert_eq!(mail.recipients, ["b@example.co.id"]);
        assert_eq!(mail.auth_user, None);
        assert_eq!(String::from_utf8_lossy(&mail.data), "Subject: titik\r\n\r\n.tersembunyi\r\n...\r\n \r\nakhir");
        assert_eq!(mail.header("subject").as_deref(), Some("titik"));
        assert_eq!(mail.text(), ".tersembunyi\n...\n \nakhir");
    }

    #[tokio::test]
    async fn checks_credentials_for_plain_and_login() {
        let fake = FakeSmtp::start_with_auth("aglis", "benar").await.expect("start");
        let (mut c, _) = Client::connect(&fake).await;
        assert_eq!(code(&c.cmd("HELO client.test").await), "250");
        assert_eq!(code(&c.cmd("AUTH PLAIN AGFnbGlzAGJlbmFy").await), "503", "AUTH needs EHLO");
        c.cmd("EHLO client.test").await;
        assert_eq!(code(&c.cmd("MAIL FROM:<a@isp.co.id>").await), "530");
        assert_eq!(code(&c.cmd("AUTH CRAM-MD5").await), "504");
        // LOGIN with a wrong password.
        assert_eq!(c.cmd("AUTH LOGIN").await, "334 VXNlcm5hbWU6\r\n");
        assert_eq!(c.cmd(&BASE64.encode("aglis")).await, "334 UGFzc3dvcmQ6\r\n");
        assert_eq!(code(&c.cmd(&BASE64.encode("salah")).await), "535");
        // PLAIN without an initial response, cancelled, then not decodable.
        assert_eq!(code(&c.cmd("AUTH PLAIN").await), "334");
        assert_eq!(code(&c.cmd("*").await), "501");
        assert_eq!(code(&c.cmd("AUTH PLAIN !!!").await), "501");
        // PLAIN right.
        assert_eq!(code(&c.cmd(&format!("AUTH PLAIN {}", BASE64.encode("\0aglis\0benar"))).await), "235");
        assert_eq!(code(&c.cmd("AUTH PLAIN AGFnbGlzAGJlbmFy").await), "503", "already authenticated");
        assert_eq!(code(&c.cmd("MAIL FROM:<a@isp.co.id>").await), "250");
        c.cmd("RCPT TO:<b@example.co.id>").await;
        c.cmd("DATA").await;
        c.send("Subject: x\r\n\r\nisi\r\n.\r\n").await;
        assert_eq!(code(&c.reply().await), "250");

        // LOGIN right, on a second connection.
        let (mut c, _) = Client::connect(&fake).await;
        c.cmd("EHLO client.test").await;
        c.cmd("AUTH LOGIN").await;
        c.cmd(&BASE64.encode("aglis")).await;
        assert_eq!(code(&c.cmd(&BASE64.encode("benar")).await), "235");

        let received = fake.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].auth_user.as_deref(), Some("aglis"));
    }

    #[tokio::test]
    async fn behaviors_answer_like_failing_servers() {
        let fake = FakeSmtp::start().await.expect("start");
        fake.set_behavior(Behavior::Unavailable);
        let (mut c, greeting) = Client::connect(&fake).await;
        assert_eq!(code(&greeting), "421");
        assert!(c.closed().await);

        fake.set_behavior(Behavior::RejectRecipient);
        let (mut c, _) = Client::connect(&fake).await;
        c.cmd("EHLO client.test").await;
        c.cmd("MAIL FROM:<a@isp.co.id>").await;
        assert_eq!(code(&c.cmd("RCPT TO:<b@example.co.id>").await), "550");

        fake.set_behavior(Behavior::TempFail);
        let (mut c, _) = Client::connect(&fake).await;
        c.cmd("EHLO client.test").await;
        c.cmd("MAIL FROM:<a@isp.co.id>").await;
        assert_eq!(code(&c.cmd("RCPT TO:<b@example.co.id>").await), "250");
        assert_eq!(code(&c.cmd("DATA").await), "354");
        c.send("Subject: x\r\n\r\nisi\r\n.\r\n").await;
        assert_eq!(code(&c.reply().await), "451");
        assert!(fake.received().is_empty());

        fake.set_behavior(Behavior::Slow(Duration::from_millis(300)));
        let started = std::time::Instant::now();
        let (_c, greeting) = Client::connect(&fake).await;
        assert_eq!(code(&greeting), "220");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[test]
    fn decodes_encoded_headers_and_bodies() {
        let mail = |data: &str| ReceivedMail {
            helo: String::new(),
            auth_user: None,
            mail_from: String::new(),
            mail_params: Vec::new(),
            recipients: Vec::new(),
            data: data.as_bytes().to_vec(),
        };
        // "Tagihan – Rp 150.000 🙏" split across two words in the middle of the dash.
        let m = mail(
            "Subject: =?utf-8?b?VGFnaWhhbiDi?=\r\n =?UTF-8?B?gJMgUnAgMTUwLjAwMCDwn5mP?=\r\nX-Q: =?utf-8?q?terima_kasih_=F0=9F=99=8F?= ya\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nRp 150.000 =E2=80=93 terima =\r\nkasih =F0=9F=99=8F  \r\nbaris =3D dua",
        );
        assert_eq!(m.header("SUBJECT").as_deref(), Some("Tagihan – Rp 150.000 🙏"));
        assert_eq!(m.header("x-q").as_deref(), Some("terima kasih 🙏 ya"));
        assert_eq!(m.header("To"), None);
        assert_eq!(m.text(), "Rp 150.000 – terima kasih 🙏\nbaris = dua");
        let b = mail("Content-Transfer-Encoding: base64\r\n\r\nSGFsbyDwn5mP\r\nCg==");
        assert_eq!(b.text(), "Halo 🙏\n");
        assert_eq!(
            mail("Subject: a =?x-unknown?q?b?= c\r\n\r\n8bit – ok").header("subject").as_deref(),
            Some("a =?x-unknown?q?b?= c")
        );
        assert_eq!(mail("Subject: x\r\n\r\n8bit – ok\r\n").text(), "8bit – ok\n");
    }
}
