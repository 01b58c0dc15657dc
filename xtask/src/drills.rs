//! Failure drills, run by `cargo xtask test` (short versions of what operators meet).
//!
//! PostgreSQL restart under booking load, on a cluster of its own (so the other suites'
//! database is never touched): while PostgreSQL is down every request answers within a
//! few seconds with a clear 503 (never a 500 with internals, never a hang); once it is
//! back the same server process books again (its pool and availability index recover);
//! afterwards the booking invariants hold and every booking confirmed to a client exists.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bench_http::{add_days, open_times, overlaps, sign_in, STANDARD};
use crate::build::{self, Profile};
use crate::demo_server::DemoServer;
use crate::load::Conn;
use crate::pg::Cluster;
use crate::util::{run, step, wait_for_http_ok, Result};

/// Patients booking at once.
const CONNECTIONS: usize = 12;
/// PostgreSQL stays down until both a server function and a page have answered 503
/// (about the pool's 5-second wait), but at most this long.
const LONGEST_OUTAGE: Duration = Duration::from_secs(20);
/// A request during the outage must be answered within this (the pool waits 5 s for a
/// connection before it gives up).
const FAIL_FAST: Duration = Duration::from_secs(8);

/// What the clients saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    conflicts: u64,
    unavailable: u64,
    /// Of which server-rendered pages.
    pages_unavailable: u64,
    slowest_unavailable: Duration,
    /// The slowest answer of any kind: bounded, or the server hung.
    slowest: Duration,
    /// Anything else: a 500, another status, a broken connection. Must stay empty.
    wrong: Vec<String>,
    /// (when, appointment id) of every confirmed booking.
    booked: Vec<(Instant, i64)>,
}

impl Tally {
    /// Sorts one answer; the body when it is a 200.
    fn note(
        &mut self,
        what: &str,
        asked: Instant,
        answer: Result<crate::load::Response>,
    ) -> Option<Vec<u8>> {
        let took = asked.elapsed();
        self.slowest = self.slowest.max(took);
        match answer {
            Ok(r) if r.status == 200 => {
                self.ok += 1;
                Some(r.body)
            }
            Ok(r) if r.status == 409 => {
                self.conflicts += 1;
                None
            }
            Ok(r) if r.status == 503 && r.text().contains("navailable") => {
                self.unavailable += 1;
                self.pages_unavailable += u64::from(what.starts_with("GET"));
                self.slowest_unavailable = self.slowest_unavailable.max(took);
                None
            }
            Ok(r) => {
                let text: String = r.text().chars().take(200).collect();
                self.wrong.push(format!("{what}: {} {text}", r.status));
                None
            }
            Err(e) => {
                self.wrong.push(format!("{what}: {e}"));
                None
            }
        }
    }
}

/// One patient's attempt: a week of the finder, a random open time, hold, confirm.
fn attempt(conn: &mut Conn, tally: &Mutex<Tally>, first_day: &str, n: u64) {
    let note = |what: &str, asked: Instant, answer| {
        tally
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .note(what, asked, answer)
    };
    let asked = Instant::now();
    let day = add_days(first_day, (n % 6) as i64).unwrap_or_default();
    let answer = conn.post_form(
        "/api/finder_week",
        &[("appointment_type_id", STANDARD), ("week", &day)],
    );
    let Some(week) = note("finder_week", asked, answer) else {
        return;
    };
    let week: Value = serde_json::from_slice(&week).unwrap_or_default();
    let times = open_times(&week);
    let Some(start) = times.get((n as usize * 7919) % times.len().max(1)) else {
        return;
    };
    let asked = Instant::now();
    let answer = conn.post_form(
        "/api/hold_time",
        &[("start", start), ("appointment_type_id", STANDARD)],
    );
    let Some(hold) = note("hold_time", asked, answer) else {
        return;
    };
    let hold: Value = serde_json::from_slice(&hold).unwrap_or_default();
    let (Some(token), Some(key)) = (hold["token"].as_str(), hold["idempotency_key"].as_str())
    else {
        return;
    };
    let asked = Instant::now();
    let answer = conn.post_form(
        "/api/confirm_booking",
        &[("hold", token), ("idempotency_key", key)],
    );
    if let Some(id) = note("confirm_booking", asked, answer) {
        let id = String::from_utf8_lossy(&id).trim().parse::<i64>();
        let mut tally = tally.lock().unwrap_or_else(|e| e.into_inner());
        match id {
            Ok(id) => tally.booked.push((Instant::now(), id)),
            Err(_) => tally
                .wrong
                .push("confirm_booking: no appointment id".to_owned()),
        }
    }
}

fn sql_number(url: &str, sql: &str) -> Result<i64> {
    let text = crate::util::output(Command::new("psql").args([url, "-tAc", sql]))
        .ok_or_else(|| format!("psql: {sql}"))?;
    text.trim()
        .parse()
        .map_err(|_| format!("psql {sql}: {text}").into())
}

/// The PostgreSQL restart drill against the debug server.
pub fn postgres_restart() -> Result<()> {
    step("drill: PostgreSQL restart under booking load (a cluster of its own)");
    let cluster = Cluster::for_drills()?;
    cluster.start()?;
    let result = restart_drill(&cluster);
    let stopped = cluster.stop();
    cluster.remove();
    result.and(stopped)
}

fn restart_drill(cluster: &Cluster) -> Result<()> {
    cluster.recreate_database("clinic_drill")?;
    let url = cluster.url("clinic_drill");
    // A small generated clinic with the benchmark's patients (they may hold many visits).
    run(
        Command::new(build::server_binary(Profile::Debug))
            .args(["bench-availability", "--doctors", "12", "--days", "8"])
            .env("DATABASE_URL", &url)
            .env("CLINIC_LOG", "warn")
            .stdout(std::process::Stdio::null()),
        "server bench-availability (the drill's data)",
    )?;
    let server = DemoServer::serve(&url, "drill", Profile::Debug, &[("CLINIC_LOG", "warn")])?;
    let port = server.port;
    let first = Conn::new(port).post_form("/api/finder_week", &[])?;
    let first: Value = serde_json::from_slice(&first.body)?;
    let first_day = first["week_start"]
        .as_str()
        .ok_or("finder_week gave no week_start")?
        .to_owned();

    let tally = Mutex::new(Tally::default());
    let stop = AtomicBool::new(false);
    let mut back_at = None;
    std::thread::scope(|scope| -> Result<()> {
        let mut workers = Vec::new();
        for i in 0..CONNECTIONS {
            let (tally, stop, first_day) = (&tally, &stop, &first_day);
            workers.push(scope.spawn(move || -> std::result::Result<(), String> {
                let mut conn = Conn::new(port);
                let cookie = sign_in(&mut conn, i + 1).map_err(|e| e.to_string())?;
                let mut n = i as u64 * 1000;
                while !stop.load(Ordering::Relaxed) {
                    conn.set_cookie(Some(cookie.clone()));
                    attempt(&mut conn, tally, first_day, n);
                    n += 1;
                }
                Ok(())
            }));
        }
        // Pages too: the server-rendered finder, anonymously.
        let pages = scope.spawn(|| {
            let mut conn = Conn::new(port);
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let answer = conn.get("/book");
                tally
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .note("GET /book", asked, answer);
                std::thread::sleep(Duration::from_millis(100));
            }
        });

        std::thread::sleep(Duration::from_secs(3));
        let stopped = cluster.stop();
        let down = Instant::now();
        while down.elapsed() < LONGEST_OUTAGE {
            let seen = {
                let t = tally.lock().unwrap_or_else(|e| e.into_inner());
                t.pages_unavailable > 0 && t.unavailable > t.pages_unavailable
            };
            if seen {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let started = cluster.start();
        back_at = Some(Instant::now());
        // Keep booking until the server books again (or give up after 30 s), then a bit.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let booked_since = tally
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .booked
                .iter()
                .any(|(at, _)| Some(*at) > back_at);
            if booked_since {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().map_err(|_| "a drill client panicked")??;
        }
        pages.join().map_err(|_| "the page client panicked")?;
        stopped.and(started.map(|_| ()))
    })?;

    let tally = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    let booked_after = tally
        .booked
        .iter()
        .filter(|(at, _)| Some(*at) > back_at)
        .count();
    eprintln!(
        "  {} answered, {} refused as taken, {} answered 503 ({} pages; slowest {:.1} s), slowest answer {:.1} s, {} booked ({} after the restart), {} wrong",
        tally.ok,
        tally.conflicts,
        tally.unavailable,
        tally.pages_unavailable,
        tally.slowest_unavailable.as_secs_f64(),
        tally.slowest.as_secs_f64(),
        tally.booked.len(),
        booked_after,
        tally.wrong.len()
    );
    if let Some(first) = tally.wrong.first() {
        return Err(format!(
            "drill: {} answers were neither served nor a clear 503; first: {first}",
            tally.wrong.len()
        )
        .into());
    }
    if tally.unavailable == 0 || tally.pages_unavailable == 0 {
        return Err(format!(
            "drill: the outage was not seen: {} answers and {} pages were 503",
            tally.unavailable, tally.pages_unavailable
        )
        .into());
    }
    if tally.slowest > FAIL_FAST {
        return Err(format!(
            "drill: an answer took {:.1} s (more than {} s: a hang)",
            tally.slowest.as_secs_f64(),
            FAIL_FAST.as_secs()
        )
        .into());
    }
    if booked_after == 0 {
        return Err("drill: no booking succeeded after PostgreSQL came back".into());
    }
    if !wait_for_http_ok(port, "/readyz", Duration::from_secs(10)) {
        return Err("drill: /readyz did not recover".into());
    }
    drop(server);

    // Every booking a client was told of exists, and the invariants hold.
    let ids: Vec<String> = tally.booked.iter().map(|(_, id)| id.to_string()).collect();
    let missing = sql_number(
        &url,
        &format!(
            "select {} - count(*) from appointments where status = 'booked' and appointment_id in ({})",
            ids.len(),
            ids.join(",")
        ),
    )?;
    if missing != 0 {
        return Err(format!("drill: {missing} confirmed bookings are not in the database").into());
    }
    for (name, n) in overlaps(&url)? {
        if n != 0 && name != "live appointments" {
            return Err(format!("drill: after the restart: {name}: {n}").into());
        }
    }
    Ok(())
}
