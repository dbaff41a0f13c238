//! A minimal HTTP/1.1 client over std's TcpStream, for the REST APIs of
//! servers the tests start (etcd, Patroni): no TLS, one request per
//! connection, bounded by timeouts.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

const HOST: &str = "127.0.0.1";

/// `method path` on 127.0.0.1:`port` with an optional JSON body: the status
/// and the body. Reads wait up to 60 s (Patroni's POST /restart answers
/// only once PostgreSQL is back).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    http_with(port, method, path, body, None)
}

/// [`http`] with an `Authorization` header.
pub fn http_with(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    authorization: Option<&str>,
) -> Result<(u16, String), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("{method} {path} on port {port}: {e}"))?;
    let io = |e: std::io::Error| format!("{method} {path} on port {port}: {e}");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(io)?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .map_err(io)?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\
         {}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        authorization
            .map(|value| format!("Authorization: {value}\r\n"))
            .unwrap_or_default(),
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(io)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no end of headers in {response:?}"))?;
    let head = String::from_utf8_lossy(&response[..split]);
    let body = &response[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {path}: bad status line in {head:?}"))?;
    let chunked = head
        .lines()
        .any(|line| line.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The body of a `Transfer-Encoding: chunked` response: each chunk is its
/// size in hex, CRLF, the data, CRLF; a size of 0 ends it.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let line = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16);
        let data = &rest[eol + 2..];
        match size {
            Ok(size) if size > 0 && data.len() >= size => {
                body.extend_from_slice(&data[..size]);
                rest = data[size..].strip_prefix(b"\r\n").unwrap_or(&data[size..]);
            }
            _ => break,
        }
    }
    body
}
