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
                self.wrong.push(format!("{what}: connection: {e}"));
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

/// One value from `psql`.
fn sql_text(url: &str, sql: &str) -> Result<String> {
    crate::util::output(Command::new("psql").args([url, "-tAc", sql]))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| format!("psql: {sql}").into())
}

fn sql_number(url: &str, sql: &str) -> Result<i64> {
    let text = sql_text(url, sql)?;
    text.parse()
        .map_err(|_| format!("psql {sql}: {text}").into())
}

/// Every booking confirmed to a client (`booked`) is in the database, and no two live
/// visits overlap.
fn check_bookings(url: &str, booked: &[(Instant, i64)]) -> Result<()> {
    let ids: Vec<String> = booked.iter().map(|(_, id)| id.to_string()).collect();
    let missing = sql_number(
        url,
        &format!(
            "select {} - count(*) from appointments where status = 'booked' and appointment_id in ({})",
            ids.len(),
            ids.join(",")
        ),
    )?;
    if missing != 0 {
        return Err(format!("drill: {missing} confirmed bookings are not in the database").into());
    }
    for (name, n) in overlaps(url)? {
        if n != 0 && name != "live appointments" {
            return Err(format!("drill: {name}: {n}").into());
        }
    }
    Ok(())
}

/// Every drill, on a cluster of their own, against the debug server.
pub fn all() -> Result<()> {
    let cluster = Cluster::for_drills()?;
    cluster.start()?;
    step("drill: PostgreSQL restart under booking load");
    let result = restart_drill(&cluster).and_then(|()| {
        step("drill: kill -9 one of two instances under booking load");
        kill_drill(&cluster)
    });
    let result = result.and_then(|()| {
        step("drill: a read replica that lags");
        replica_drill(&cluster)
    });
    let stopped = cluster.stop();
    cluster.remove();
    result.and(stopped)
}

/// A fresh database on the drill cluster with a small generated clinic and the
/// benchmark's patients (who may hold many visits); its URL.
fn drill_clinic(cluster: &Cluster) -> Result<String> {
    cluster.recreate_database("clinic_drill")?;
    let url = cluster.url("clinic_drill");
    run(
        Command::new(build::devdata_binary(Profile::Debug))
            .args(["bench-availability", "--doctors", "12", "--days", "8"])
            .env("DATABASE_URL", &url)
            .env("CLINIC_LOG", "warn")
            .stdout(std::process::Stdio::null()),
        "clinic-devdata bench-availability (the drill's data)",
    )?;
    Ok(url)
}

/// The first day the finder offers (the clinic's "today" is its own).
fn first_day(port: u16) -> Result<String> {
    let first = Conn::new(port).post_form("/api/finder_week", &[])?;
    let first: Value = serde_json::from_slice(&first.body)?;
    Ok(first["week_start"]
        .as_str()
        .ok_or("finder_week gave no week_start")?
        .to_owned())
}

fn restart_drill(cluster: &Cluster) -> Result<()> {
    let url = drill_clinic(cluster)?;
    let server = DemoServer::serve(&url, "drill", Profile::Debug, &[("CLINIC_LOG", "warn")])?;
    let port = server.port;
    let first_day = first_day(port)?;

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
    check_bookings(&url, &tally.booked)
}

/// The `Message-ID`s of the messages in the development mailbox, with how often each
/// was written.
fn mailbox_message_ids(dir: &std::path::Path) -> Result<std::collections::HashMap<String, u32>> {
    let mut seen = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: <"))
            .and_then(|rest| rest.split('@').next())
            .ok_or("a mailbox message without a Message-ID")?;
        *seen.entry(id.to_owned()).or_insert(0) += 1;
    }
    Ok(seen)
}

/// Through `port`, a patient of their own holds an open time and walks away; returns the time.
fn hold_and_leave(port: u16, first_day: &str) -> Result<String> {
    let mut conn = Conn::new(port);
    sign_in(&mut conn, CONNECTIONS + 2)?;
    Ok(hold_and_leave_as(&mut conn, first_day)?.0)
}

/// Two instances on one database under booking load; one is killed with SIGKILL. Its
/// clients go on at the other (as a load balancer sends them). Afterwards: every booking
/// confirmed to a client exists; the dead instance's holds come back once they lapse;
/// every confirmation is delivered, and by Message-ID none twice — except a message the
/// dead instance had claimed at the moment it died, which the survivor sends again once
/// the claim lapses (at-least-once: the Message-ID lets the receiver drop the repeat).
fn kill_drill(cluster: &Cluster) -> Result<()> {
    let url = drill_clinic(cluster)?;
    // Confirmations go out at once (the clinic's debounce would hold them 5 minutes).
    sql_number(
        &url,
        "with x as (update clinic_settings set notification_debounce_minutes = 0 returning 1) select count(*) from x",
    )?;
    let mailbox = crate::util::project_root().join("target/drill-mailbox");
    let _ = std::fs::remove_dir_all(&mailbox);
    let mailbox_env = mailbox.to_string_lossy().into_owned();
    let env = [
        ("CLINIC_LOG", "warn"),
        ("CLINIC_MAILBOX_DIR", mailbox_env.as_str()),
    ];
    let mut doomed = DemoServer::serve(&url, "drill-a", Profile::Debug, &env)?;
    let survivor = DemoServer::serve(&url, "drill-b", Profile::Debug, &env)?;
    let (port_a, port_b) = (doomed.port, survivor.port);
    let first_day = first_day(port_b)?;

    let tally = Mutex::new(Tally::default());
    let (stop, killed) = (AtomicBool::new(false), AtomicBool::new(false));
    let mut in_flight = 0;
    let mut left_held = String::new();
    std::thread::scope(|scope| -> Result<()> {
        let mut workers = Vec::new();
        for i in 0..CONNECTIONS {
            let (tally, stop, killed, first_day) = (&tally, &stop, &killed, &first_day);
            workers.push(scope.spawn(move || -> std::result::Result<(), String> {
                let mut port = if i % 2 == 0 { port_a } else { port_b };
                let mut conn = Conn::new(port);
                let cookie = sign_in(&mut conn, i + 1).map_err(|e| e.to_string())?;
                let mut n = i as u64 * 1000;
                while !stop.load(Ordering::Relaxed) {
                    if port == port_a && killed.load(Ordering::Relaxed) {
                        // Sessions live in PostgreSQL: the same cookie works there.
                        port = port_b;
                        conn = Conn::new(port);
                    }
                    conn.set_cookie(Some(cookie.clone()));
                    attempt(&mut conn, tally, first_day, n);
                    n += 1;
                }
                Ok(())
            }));
        }
        std::thread::sleep(Duration::from_secs(4));
        left_held = hold_and_leave(port_a, &first_day)?;
        // The load balancer stops sending new requests to it as it dies (in life, once
        // its health check fails): what fails is what was in flight there.
        killed.store(true, Ordering::Relaxed);
        doomed.kill_hard();
        in_flight = sql_number(
            &url,
            "select count(*) from notifications where status = 'sending'",
        )?;
        std::thread::sleep(Duration::from_secs(4));
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().map_err(|_| "a drill client panicked")??;
        }
        Ok(())
    })?;
    let tally = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    eprintln!(
        "  {} answered, {} refused as taken, {} booked, {} cut off by the kill, {} messages in flight at the kill",
        tally.ok,
        tally.conflicts,
        tally.booked.len(),
        tally.wrong.len(),
        in_flight
    );
    // Only requests in flight on the killed instance may fail, and only by losing
    // their connection.
    if let Some(other) = tally.wrong.iter().find(|w| !w.contains("connection:")) {
        return Err(format!("drill: an answer was neither served nor refused: {other}").into());
    }
    if tally.wrong.len() > CONNECTIONS / 2 {
        return Err(format!(
            "drill: {} requests failed (more than were on the killed instance)",
            tally.wrong.len()
        )
        .into());
    }
    if tally.booked.is_empty() {
        return Err("drill: nothing was booked".into());
    }

    // Every booking a client was told of exists, and the invariants hold.
    check_bookings(&url, &tally.booked)?;

    // The time held through the dead instance stays held (the hold is in the database)…
    let mut conn = Conn::new(port_b);
    sign_in(&mut conn, CONNECTIONS + 1)?;
    let take = |conn: &mut Conn| {
        conn.post_form(
            "/api/hold_time",
            &[
                ("start", left_held.as_str()),
                ("appointment_type_id", STANDARD),
            ],
        )
    };
    let r = take(&mut conn)?;
    if r.status != 409 {
        return Err(format!(
            "drill: a time held through the dead instance was not held: {} {}",
            r.status,
            r.text()
        )
        .into());
    }
    // …until time moves on: every hold lapses, and the dead instance's message claims.
    sql_number(
        &url,
        "with x as (update availability_slots set hold_expires_at = now() - interval '1 second'
                     where status = 'held' returning 1) select count(*) from x",
    )?;
    sql_number(
        &url,
        "with x as (update notifications set claimed_until = now() where status = 'sending' returning 1)
         select count(*) from x",
    )?;
    let r = take(&mut conn)?;
    if r.status != 200 {
        return Err(format!(
            "drill: the lapsed hold at {left_held} could not be taken again: {} {}",
            r.status,
            r.text()
        )
        .into());
    }

    // Every confirmation goes out (the survivor's worker), within 30 s.
    let waited = Instant::now();
    loop {
        let unsent = sql_number(
            &url,
            "select count(*) from appointments a where a.status = 'booked' and a.booked_by_role = 'patient'
               and not exists (select 1 from notifications n where n.appointment_id = a.appointment_id
                                and n.channel = 'email' and n.status = 'sent')",
        )?;
        if unsent == 0 {
            break;
        }
        if waited.elapsed() > Duration::from_secs(30) {
            return Err(
                format!("drill: {unsent} confirmations were not delivered within 30 s").into(),
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(survivor);
    let delivered = mailbox_message_ids(&mailbox)?;
    let sent: Vec<String> = sql_text(
        &url,
        "select message_id::text from notifications where channel = 'email' and status = 'sent'",
    )?
    .lines()
    .map(|l| l.trim().to_owned())
    .filter(|l| !l.is_empty())
    .collect();
    let lost = sent
        .iter()
        .filter(|id| !delivered.contains_key(*id))
        .count();
    let twice = delivered.values().filter(|n| **n > 1).count() as i64;
    eprintln!(
        "  {} emails sent, {} in the mailbox, {lost} lost, {twice} written twice",
        sent.len(),
        delivered.len()
    );
    if lost > 0 {
        return Err(format!("drill: {lost} sent emails are not in the mailbox").into());
    }
    if twice > in_flight {
        return Err(format!(
            "drill: {twice} emails were written twice, more than the {in_flight} the killed instance was sending"
        )
        .into());
    }
    Ok(())
}

/// A server with a streaming read replica (`DATABASE_READ_URL`) whose replay is paused:
/// the public doctor list, read from the replica, is behind; a patient who books at that
/// moment still sees the booking on their own pages (read from the primary). Once replay
/// resumes the replica catches up.
fn replica_drill(cluster: &Cluster) -> Result<()> {
    let url = drill_clinic(cluster)?;
    let standby = cluster.standby()?;
    let result = (|| -> Result<()> {
        let replica = standby.url("clinic_drill");
        let server = DemoServer::serve(
            &url,
            "drill-replica",
            Profile::Debug,
            &[
                ("CLINIC_LOG", "warn"),
                ("DATABASE_READ_URL", replica.as_str()),
            ],
        )?;
        let first_day = first_day(server.port)?;
        sql_text(&replica, "select pg_wal_replay_pause()")?;

        // A change the replica has not replayed: a doctor's specialty.
        let doctor = sql_text(&url, "select min(doctor_id) from doctors")?;
        sql_text(
            &url,
            &format!("update doctors set specialty = 'Replica Drill Medicine' where doctor_id = {doctor}"),
        )?;
        let directory = |port: u16| -> Result<String> {
            Ok(Conn::new(port)
                .post_form("/api/clinic_directory", &[])?
                .text())
        };
        if directory(server.port)?.contains("Replica Drill Medicine") {
            return Err("drill: the doctor list did not come from the paused replica".into());
        }

        // A patient books and sees it at once.
        let mut conn = Conn::new(server.port);
        sign_in(&mut conn, 1)?;
        let start = hold_and_leave_as(&mut conn, &first_day)?;
        let hold: Value = serde_json::from_slice(&start.1)?;
        let (Some(token), Some(key)) = (hold["token"].as_str(), hold["idempotency_key"].as_str())
        else {
            return Err(format!("drill: hold_time answered {hold}").into());
        };
        let r = conn.post_form(
            "/api/confirm_booking",
            &[("hold", token), ("idempotency_key", key)],
        )?;
        if r.status != 200 {
            return Err(format!("drill: confirm_booking {} {}", r.status, r.text()).into());
        }
        let id = r.text().trim().to_owned();
        let mine: Value =
            serde_json::from_slice(&conn.post_form("/api/my_appointments", &[])?.body)?;
        let listed = mine
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["appointment_id"].as_i64() == id.parse().ok());
        if !listed {
            return Err(format!("drill: appointment {id} is missing from the patient's own list while the replica lags").into());
        }
        let behind = sql_text(
            &replica,
            &format!("select count(*) from appointments where appointment_id = {id}"),
        )?;
        if behind != "0" {
            return Err("drill: the replica was not behind".into());
        }

        // Replay resumes: the replica catches up.
        sql_text(&replica, "select pg_wal_replay_resume()")?;
        let waited = Instant::now();
        while !directory(server.port)?.contains("Replica Drill Medicine") {
            if waited.elapsed() > Duration::from_secs(15) {
                return Err("drill: the replica did not catch up within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!(
            "  replica paused: the doctor list was behind, the patient saw booking {id} at once; resumed: caught up in {:.1} s",
            waited.elapsed().as_secs_f64()
        );
        Ok(())
    })();
    let stopped = standby.stop();
    standby.remove();
    result.and(stopped)
}

/// Holds the last open time of the first days with openings; the time and the answer.
fn hold_and_leave_as(conn: &mut Conn, first_day: &str) -> Result<(String, Vec<u8>)> {
    for n in 0..7 {
        let day = add_days(first_day, n).unwrap_or_default();
        let week = conn.post_form(
            "/api/finder_week",
            &[("appointment_type_id", STANDARD), ("week", &day)],
        )?;
        let week: Value = serde_json::from_slice(&week.body).unwrap_or_default();
        for start in open_times(&week).into_iter().rev() {
            let r = conn.post_form(
                "/api/hold_time",
                &[("start", start), ("appointment_type_id", STANDARD)],
            )?;
            if r.status == 200 {
                return Ok((start.to_owned(), r.body));
            }
        }
    }
    Err("drill: no open time to hold".into())
}
