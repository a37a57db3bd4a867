//! A tiny HTTP/1.1 client (std only) for the load test's set-up requests: sign-in, discovery,
//! warm-up. `oha` does the measured requests.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{Context, Error, Result};

/// At most `n` characters of `s`.
pub fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// One HTTP/1.1 request (`Connection: close`); returns the status and the body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<(u16, String)> {
    let what = || format!("{method} http://{addr}{path}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).with_context(what)?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).with_context(what)?;
    stream.set_write_timeout(Some(Duration::from_secs(60))).with_context(what)?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n\
         User-Agent: cargo-xtask\r\n"
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(request, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes()).with_context(what)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).with_context(what)?;
    parse_response(&response).map_err(|e| Error::msg(format!("{}: {e}", what())))
}

/// Splits an HTTP/1.1 response into its status and body (decoding a chunked body).
pub fn parse_response(bytes: &[u8]) -> Result<(u16, String), String> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of headers in the response")?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut body = &bytes[split + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("bad status line")?;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name == "content-length"
            && let Ok(n) = value.parse::<usize>()
        {
            body = &body[..n.min(body.len())];
        }
    }
    let body = if chunked { dechunk(body)? } else { body.to_vec() };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Decodes a chunked transfer-encoded body.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n").ok_or("truncated chunk size")?;
        let size_line = String::from_utf8_lossy(&rest[..end]);
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| format!("bad chunk size `{size_hex}`"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_http_responses() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"token\":\"t\"}";
        assert_eq!(parse_response(plain), Ok((200, r#"{"token":"t"}"#.to_owned())));
        let chunked =
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia!\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Ok((401, "Wikipedia!".to_owned())));
        assert_eq!(parse_response(b"HTTP/1.1 204 No Content\r\n\r\n"), Ok((204, String::new())));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }
}
