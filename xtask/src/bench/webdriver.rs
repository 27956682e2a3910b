//! A minimal HTTP/1.0 client over std's TcpStream, and the few WebDriver calls the paint measurement needs
//! (new session on tauri-driver, execute script, delete session).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::json::{Json, quote};
use crate::sh::Result;

/// One request to 127.0.0.1:`port`; returns the status and the body. HTTP/1.0, so the answer is never chunked
/// and the server closes the connection when done.
pub fn request(port: u16, method: &str, path: &str, body: Option<&str>, timeout: Duration) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    // Head and body in one write: a server that answers after its first read must not leave a body unread.
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).map_err(|e| format!("{path}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("{method} {path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("{method} {path}: no HTTP header"))?;
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("no HTTP status")?;
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.into() };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A WebDriver session.
#[derive(Debug)]
pub struct Session {
    port: u16,
    id: String,
}

impl Session {
    /// Opens the app at `application` through tauri-driver on `port`.
    pub fn open(port: u16, application: &str) -> Result<Self> {
        let caps = format!(
            r#"{{"capabilities":{{"alwaysMatch":{{"tauri:options":{{"application":{}}}}}}}}}"#,
            quote(application)
        );
        let v = call(port, "POST", "/session", Some(&caps), Duration::from_secs(60))?;
        let id = v.at(&["value", "sessionId"]).and_then(Json::str).ok_or("WebDriver: no session id")?.to_owned();
        Ok(Self { port, id })
    }

    /// Runs a synchronous script in the page; returns its value.
    pub fn exec(&self, script: &str, args: &[Json]) -> Result<Json> {
        let args: Vec<String> = args.iter().map(to_text).collect();
        let body = format!(r#"{{"script":{},"args":[{}]}}"#, quote(script), args.join(","));
        let v = call(
            self.port,
            "POST",
            &format!("/session/{}/execute/sync", self.id),
            Some(&body),
            Duration::from_secs(30),
        )?;
        Ok(v.get("value").cloned().unwrap_or(Json::Null))
    }

    pub fn close(self) {
        let _ = call(self.port, "DELETE", &format!("/session/{}", self.id), None, Duration::from_secs(20));
    }
}

fn call(port: u16, method: &str, path: &str, body: Option<&str>, timeout: Duration) -> Result<Json> {
    let (status, text) = request(port, method, path, body, timeout)?;
    let v = Json::parse(&text).map_err(|e| format!("WebDriver {path}: {e}: {text}"))?;
    if status != 200 {
        let msg = v.at(&["value", "message"]).and_then(Json::str).unwrap_or(&text);
        return Err(format!("WebDriver {method} {path}: HTTP {status}: {msg}"));
    }
    Ok(v)
}

/// Serializes a value back to JSON text (arguments of scripts).
pub fn to_text(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Num(n) => n.to_string(),
        Json::Str(s) => quote(s),
        Json::Arr(a) => format!("[{}]", a.iter().map(to_text).collect::<Vec<_>>().join(",")),
        Json::Obj(m) => format!(
            "{{{}}}",
            m.iter().map(|(k, v)| format!("{}:{}", quote(k), to_text(v))).collect::<Vec<_>>().join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn request_reads_a_chunked_answer_from_a_loopback_server() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            // Reads the whole request (head and its 2-byte body) before answering: closing a socket with unread
            // input makes the kernel reset the connection, and the client would see that instead of the answer.
            let mut raw = Vec::new();
            let mut buf = [0u8; 1024];
            while !raw.windows(4).any(|w| w == b"\r\n\r\n") || !raw.ends_with(b"{}") {
                let n = c.read(&mut buf).unwrap();
                assert!(n > 0, "client closed before sending its whole request");
                raw.extend_from_slice(&buf[..n]);
            }
            let req = String::from_utf8_lossy(&raw).into_owned();
            c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")
                .unwrap();
            req
        });
        let (status, body) = request(port, "POST", "/x", Some("{}"), Duration::from_secs(5)).unwrap();
        assert_eq!((status, body.as_str()), (200, r#"{"a":1}"#));
        let req = server.join().unwrap();
        assert!(req.starts_with("POST /x HTTP/1.0\r\n") && req.ends_with("\r\n\r\n{}"), "{req}");
        assert_eq!(to_text(&Json::parse(r#"{"k":[1,"a",null,true]}"#).unwrap()), r#"{"k":[1,"a",null,true]}"#);
    }
}
