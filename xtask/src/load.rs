//! A small HTTP/1.1 load client for `cargo xtask bench`: one blocking thread per
//! connection, keep-alive, no dependencies. Small on purpose: on a 2-core machine the
//! client shares the cores with the server it measures, so it should cost little.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::util::Result;

/// One kept-alive connection to the server, with the session cookie it was given.
pub struct Conn {
    port: u16,
    stream: Option<BufReader<TcpStream>>,
    cookie: Option<String>,
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Conn {
    pub fn new(port: u16) -> Self {
        Conn {
            port,
            stream: None,
            cookie: None,
        }
    }

    /// The session cookie the server last set (`name=value`).
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub fn set_cookie(&mut self, cookie: Option<String>) {
        self.cookie = cookie;
    }

    pub fn get(&mut self, path: &str) -> Result<Response> {
        self.request("GET", path, None)
    }

    /// POSTs form-encoded `fields` (a server function call).
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Response> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request("POST", path, Some(&body))
    }

    fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<Response> {
        // A connection the server closed while idle is opened again once.
        match self.try_request(method, path, body) {
            Ok(r) => Ok(r),
            Err(_) => {
                self.stream = None;
                self.try_request(method, path, body)
            }
        }
    }

    fn try_request(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<Response> {
        if self.stream.is_none() {
            let s = TcpStream::connect(("127.0.0.1", self.port))?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::new(s));
        }
        let stream = self.stream.as_mut().ok_or("no connection")?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: */*\r\n",
            self.port
        );
        if let Some(cookie) = &self.cookie {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        stream.get_mut().write_all(head.as_bytes())?;

        let mut line = String::new();
        if stream.read_line(&mut line)? == 0 {
            return Err("connection closed".into());
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            stream.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                "set-cookie" => {
                    if let Some(pair) = value.split(';').next() {
                        self.cookie = Some(pair.to_owned());
                    }
                }
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                stream.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| format!("bad chunk size {line:?}"))?;
                let mut chunk = vec![0; size + 2];
                stream.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            stream.read_exact(&mut body)?;
        }
        if close {
            self.stream = None;
        }
        Ok(Response { status, body })
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What one connection's loop reports for one unit of work.
pub enum Outcome {
    /// Done as intended (a page served, a booking confirmed).
    Done,
    /// Refused the way a busy clinic refuses (the time was taken meanwhile), and why
    /// (a short fixed label: the figures count each).
    Conflict(&'static str),
    /// Anything else: a wrong status, a lost connection.
    Failed(String),
}

#[derive(Debug, Default)]
pub struct Figures {
    pub done: usize,
    pub conflicts: usize,
    /// How many conflicts of each kind.
    pub conflict_kinds: std::collections::BTreeMap<&'static str, usize>,
    pub failed: usize,
    pub first_failure: Option<String>,
    pub seconds: f64,
    /// Latency of each unit of work that was done, sorted.
    pub latencies: Vec<Duration>,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.done as f64 / self.seconds
    }

    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i].as_secs_f64() * 1e3
    }
}

/// Runs `work` in a loop on `connections` connections for `duration` (after each
/// connection's `setup`), and gathers what happened.
pub fn run<S: Send>(
    port: u16,
    connections: usize,
    duration: Duration,
    setup: impl Fn(usize, &mut Conn) -> Result<S> + Sync,
    work: impl Fn(&mut Conn, &mut S, u64) -> Outcome + Sync,
) -> Result<Figures> {
    let stop = AtomicBool::new(false);
    let mut prepared = Vec::new();
    for i in 0..connections {
        let mut conn = Conn::new(port);
        let state = setup(i, &mut conn)?;
        prepared.push((conn, state));
    }
    let started = Instant::now();
    let parts: Vec<Figures> = std::thread::scope(|scope| {
        let handles: Vec<_> = prepared
            .into_iter()
            .enumerate()
            .map(|(i, (mut conn, mut state))| {
                let (stop, work) = (&stop, &work);
                scope.spawn(move || {
                    let mut f = Figures::default();
                    let mut n = i as u64 * 1_000_003;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let t = Instant::now();
                        match work(&mut conn, &mut state, n) {
                            Outcome::Done => {
                                f.done += 1;
                                f.latencies.push(t.elapsed());
                            }
                            Outcome::Conflict(why) => {
                                f.conflicts += 1;
                                *f.conflict_kinds.entry(why).or_default() += 1;
                            }
                            Outcome::Failed(why) => {
                                f.failed += 1;
                                f.first_failure.get_or_insert(why);
                            }
                        }
                    }
                    f
                })
            })
            .collect();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut all = Figures {
        seconds,
        ..Figures::default()
    };
    for p in parts {
        all.done += p.done;
        all.conflicts += p.conflicts;
        for (why, n) in p.conflict_kinds {
            *all.conflict_kinds.entry(why).or_default() += n;
        }
        all.failed += p.failed;
        all.latencies.extend(p.latencies);
        if all.first_failure.is_none() {
            all.first_failure = p.first_failure;
        }
    }
    all.latencies.sort();
    Ok(all)
}
