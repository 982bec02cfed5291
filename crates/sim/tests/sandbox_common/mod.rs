//! A tiny HTTP/1.1 client over a raw TCP stream (one request per connection), and helpers to
//! read EC2's XML answers, for the sandbox's tests. Deliberately not an HTTP library: the tests
//! see exactly the bytes the sandbox sends.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::net::SocketAddr;
use tgw_ha_sim::World;
use tgw_ha_sim::sandbox::{self, Limits, RunningSandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The text of every `<tag>…</tag>` (and `""` for every `<tag/>`), in document order.
    pub fn all(&self, tag: &str) -> Vec<String> {
        texts(&self.body, tag)
    }

    pub fn one(&self, tag: &str) -> Option<String> {
        self.all(tag).into_iter().next()
    }

    /// The EC2 error code of an error answer.
    pub fn code(&self) -> String {
        self.one("Code").unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not json ({e}): {}", self.body))
    }
}

/// The contents of each top-level `<item>` of the first `<list>…</list>` in `xml` (items nest:
/// a route's attachments are items too).
pub fn items(xml: &str, list: &str) -> Vec<String> {
    let open = format!("<{list}>");
    let Some(start) = xml.find(&open) else {
        return Vec::new();
    };
    let mut rest = &xml[start + open.len()..];
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    loop {
        let o = rest.find("<item>");
        let c = rest.find("</item>");
        match (o, c) {
            (Some(o), Some(c)) if o < c => {
                if depth > 0 {
                    current.push_str(&rest[..o + 6]);
                }
                depth += 1;
                rest = &rest[o + 6..];
            }
            (_, Some(c)) => {
                depth -= 1;
                if depth == 0 {
                    current.push_str(&rest[..c]);
                    out.push(std::mem::take(&mut current));
                } else {
                    current.push_str(&rest[..c + 7]);
                }
                rest = &rest[c + 7..];
                if depth == 0 && !rest.starts_with("<item>") {
                    return out;
                }
            }
            _ => return out,
        }
    }
}

/// The text of every `<tag>…</tag>` in `xml` (no nesting of the same tag in EC2's shapes).
pub fn texts(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let empty = format!("<{tag}/>");
    let mut out = Vec::new();
    let mut i = 0;
    while i < xml.len() {
        let rest = &xml[i..];
        let o = rest.find(&open);
        let e = rest.find(&empty);
        match (o, e) {
            (Some(o), e) if e.is_none_or(|e| o < e) => {
                let start = i + o + open.len();
                let end = start + xml[start..].find(&close).expect("closed");
                out.push(xml[start..end].to_owned());
                i = end + close.len();
            }
            (_, Some(e)) => {
                out.push(String::new());
                i += e + empty.len();
            }
            _ => break,
        }
    }
    out
}

pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.expect("write");
    s.write_all(body.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")),
        "this client reads whole bodies only"
    );
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A form-encoded body.
pub fn form(params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// An EC2 Query call: `Action`, `Version=2016-11-15` and `params`, unsigned.
pub async fn ec2(addr: SocketAddr, action: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("Action", action), ("Version", "2016-11-15")];
    all.extend_from_slice(params);
    request(
        addr,
        "POST",
        "/",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        &form(&all),
    )
    .await
}

pub async fn admin_get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], "").await
}

pub async fn admin_post(addr: SocketAddr, path: &str, body: serde_json::Value) -> Reply {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
    .await
}

/// A sandbox on a free local port with `world`, no limits, serving on a task.
pub async fn start(world: World) -> RunningSandbox {
    start_with(SandboxConfig::new(world).limits(Limits::None)).await
}

pub async fn start_with(config: SandboxConfig) -> RunningSandbox {
    sandbox::bind("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("bind")
        .spawn()
}
