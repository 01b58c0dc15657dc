//! The HTTP half of `cargo xtask bench availability`: release servers on the generated
//! clinic, driven by [`crate::load`] — the finder's `finder_week` (anonymous) and the
//! server-rendered `/book`, each with the index and with `CLINIC_AVAILABILITY_INDEX=off`
//! in the same run, then 64 patients holding and confirming times, then the booking
//! invariants checked in SQL.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::build::Profile;
use crate::demo_server::DemoServer;
use crate::load::{self, Conn, Figures, Outcome};
use crate::util::{step, Result};

/// Must match `devdata::bench::{BENCH_PATIENTS, BENCH_PASSWORD}`.
const BENCH_PATIENTS: usize = 256;
const BENCH_PASSWORD: &str = "bench password, not a secret";
/// Connections per bench server (`CLINIC_DB_MAX_CONNECTIONS`).
pub const POOL: &str = "32";
pub const STANDARD: &str = "1";

pub struct HttpFigures {
    pub finder: Vec<(usize, Figures, Figures)>,
    pub ssr: (usize, Figures, Figures),
    /// `/book` rendered every time, with the index: a visitor with a cookie skips the
    /// server's page cache.
    pub ssr_rendered: Figures,
    pub booking: (usize, Figures),
    pub overlaps: Vec<(String, i64)>,
}

/// A day `n` days after `date` (`YYYY-MM-DD`), by the proleptic Gregorian calendar.
pub fn add_days(date: &str, n: i64) -> Option<String> {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    // Howard Hinnant's days_from_civil / civil_from_days.
    let y0 = if m <= 2 { y - 1 } else { y };
    let era = y0.div_euclid(400);
    let yoe = y0 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let z = era * 146_097 + doe - 719_468 + n;
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// A cheap, deterministic spread of numbers (no dependency).
fn mix(n: u64) -> u64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^ (x >> 29)
}

fn week(first_day: &str, days: i64, n: u64) -> String {
    add_days(first_day, (mix(n) % days.max(1) as u64) as i64).unwrap_or_default()
}

/// A random week of the finder, as an anonymous visitor or the signed-in patient.
fn finder_week(
    conn: &mut Conn,
    first_day: &str,
    days: i64,
    n: u64,
) -> std::result::Result<Vec<u8>, String> {
    let day = week(first_day, days, n);
    match conn.post_form(
        "/api/finder_week",
        &[("appointment_type_id", STANDARD), ("week", &day)],
    ) {
        Ok(r) if r.status == 200 => Ok(r.body),
        Ok(r) => Err(format!("finder_week {}: {}", r.status, r.text())),
        Err(e) => Err(format!("finder_week: {e}")),
    }
}

fn finder(conn: &mut Conn, first_day: &str, days: i64, n: u64) -> Outcome {
    match finder_week(conn, first_day, days, n) {
        Ok(_) => Outcome::Done,
        Err(why) => Outcome::Failed(why),
    }
}

/// `/book` for one of the first four weeks (as visitors spread over them).
fn ssr(conn: &mut Conn, first_day: &str, n: u64) -> Outcome {
    let week = add_days(first_day, 7 * (n % 4) as i64).unwrap_or_default();
    match conn.get(&format!("/book?type={STANDARD}&week={week}")) {
        Ok(r) if r.status == 200 => Outcome::Done,
        Ok(r) => Outcome::Failed(format!("/book {}", r.status)),
        Err(e) => Outcome::Failed(format!("/book: {e}")),
    }
}

/// The open start times of a `finder_week` answer.
pub fn open_times(week: &Value) -> Vec<&str> {
    week["days"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["times"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect()
}

/// One patient's booking: a week of the finder, a random open time, hold, confirm.
fn book(conn: &mut Conn, first_day: &str, days: i64, n: u64) -> Outcome {
    let week = match finder_week(conn, first_day, days, n) {
        Ok(body) => serde_json::from_slice::<Value>(&body).unwrap_or_default(),
        Err(why) => return Outcome::Failed(why),
    };
    let times = open_times(&week);
    if times.is_empty() {
        return Outcome::Conflict("no open time that week");
    }
    let start = times[(mix(n ^ 0xB00C) % times.len() as u64) as usize];
    let hold = match conn.post_form(
        "/api/hold_time",
        &[("start", start), ("appointment_type_id", STANDARD)],
    ) {
        Ok(r) if r.status == 200 => serde_json::from_slice::<Value>(&r.body).unwrap_or_default(),
        Ok(r) if r.status == 409 => return Outcome::Conflict(conflict_kind("hold", &r.body)),
        Ok(r) => return Outcome::Failed(format!("hold_time {}: {}", r.status, r.text())),
        Err(e) => return Outcome::Failed(format!("hold_time: {e}")),
    };
    let (Some(token), Some(key)) = (hold["token"].as_str(), hold["idempotency_key"].as_str())
    else {
        return Outcome::Failed(format!("hold_time answered {hold}"));
    };
    match conn.post_form(
        "/api/confirm_booking",
        &[("hold", token), ("idempotency_key", key)],
    ) {
        Ok(r) if r.status == 200 => Outcome::Done,
        Ok(r) if r.status == 409 => Outcome::Conflict(conflict_kind("confirm", &r.body)),
        Ok(r) => Outcome::Failed(format!("confirm_booking {}: {}", r.status, r.text())),
        Err(e) => Outcome::Failed(format!("confirm_booking: {e}")),
    }
}

/// A 409's reason, from the error's name in its body (`{"Booking":{"SlotTaken":…}}`).
fn conflict_kind(step: &str, body: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(body);
    let known = [
        ("hold", "SlotTaken", "hold: the time was taken"),
        (
            "hold",
            "OverlapsOwnAppointment",
            "hold: overlaps the patient's own visit",
        ),
        (
            "hold",
            "TooManyActiveAppointments",
            "hold: the patient's limit of upcoming visits",
        ),
        ("confirm", "HoldExpired", "confirm: the hold lapsed"),
        (
            "confirm",
            "OverlapsOwnAppointment",
            "confirm: overlaps the patient's own visit",
        ),
    ];
    known
        .iter()
        .find(|(s, name, _)| *s == step && text.contains(name))
        .map_or(
            if step == "hold" {
                "hold: other"
            } else {
                "confirm: other"
            },
            |k| k.2,
        )
}

/// The patients of one connection, signed in; their session cookies in turn.
struct Patients {
    cookies: Vec<String>,
    turn: usize,
}

pub fn sign_in(conn: &mut Conn, n: usize) -> Result<String> {
    conn.set_cookie(None);
    let email = format!("bench-patient-{n}@bench.test");
    let r = conn.post_form(
        "/api/log_in",
        &[("email", &email), ("password", BENCH_PASSWORD)],
    )?;
    if r.status != 200 {
        return Err(format!("signing in {email}: {} {}", r.status, r.text()).into());
    }
    conn.cookie()
        .map(str::to_owned)
        .ok_or_else(|| format!("signing in {email}: no session cookie").into())
}

fn check(what: &str, f: &Figures) -> Result<()> {
    if f.failed > 0 {
        return Err(format!(
            "{what}: {} of {} requests failed; first: {}",
            f.failed,
            f.failed + f.done + f.conflicts,
            f.first_failure.as_deref().unwrap_or("?")
        )
        .into());
    }
    Ok(())
}

/// The booking invariants that hold on the generated data (its 'booked' slots belong to
/// no appointment, so the slot-level checks of the test suite do not apply): overlaps.
pub fn overlaps(database_url: &str) -> Result<Vec<(String, i64)>> {
    let checks = [
        (
            "overlapping live appointments of one doctor",
            "select count(*) from appointments a join appointments b
               on a.doctor_id = b.doctor_id and a.appointment_id < b.appointment_id
              and tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)
             where a.status <> 'cancelled' and b.status <> 'cancelled'",
        ),
        (
            "slot linked to two live appointments",
            "select count(*) from (select l.slot_id from appointment_slots l
               join appointments a using (appointment_id)
              where a.status <> 'cancelled' group by l.slot_id having count(*) > 1) x",
        ),
        (
            "live appointment whose slots are not booked for its doctor",
            "select count(*) from appointments a join appointment_slots l using (appointment_id)
               join availability_slots s using (slot_id)
              where a.status = 'booked' and (s.doctor_id <> a.doctor_id or s.status <> 'booked')",
        ),
        (
            "patient with two overlapping live visits",
            "select count(*) from appointments a join appointments b
               on a.patient_id = b.patient_id and a.appointment_id < b.appointment_id
              and tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)
             where a.status <> 'cancelled' and b.status <> 'cancelled'",
        ),
        (
            "live appointments",
            "select count(*) from appointments where status = 'booked'",
        ),
    ];
    let mut out = Vec::new();
    for (name, sql) in checks {
        let text = crate::util::output(Command::new("psql").args([database_url, "-tAc", sql]))
            .ok_or_else(|| format!("psql: {name}"))?;
        let n = text
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("psql {name}: {text}"))?;
        out.push((name.to_owned(), n));
    }
    Ok(out)
}

/// The same load on the index-backed server, then on the SQL-backed one. Only the first
/// must not fail: the SQL baseline may give up under load (pool timeouts), and that is
/// its figure.
fn side_by_side(
    [indexed, sql]: [&DemoServer; 2],
    what: &str,
    connections: usize,
    window: Duration,
    work: impl Fn(&mut Conn, u64) -> Outcome + Sync,
) -> Result<(Figures, Figures)> {
    let mut figures = Vec::new();
    for (server, label) in [(indexed, "index"), (sql, "SQL")] {
        step(&format!("bench: {what}, {label}"));
        figures.push(load::run(
            server.port,
            connections,
            window,
            |_, _| Ok(()),
            |conn, _, n| work(conn, n),
        )?);
    }
    let sql_figures = figures.pop().unwrap_or_default();
    let index_figures = figures.pop().unwrap_or_default();
    check(what, &index_figures)?;
    Ok((index_figures, sql_figures))
}

pub fn run(database_url: &str, days: i64, seconds: u64) -> Result<HttpFigures> {
    step("bench: HTTP — two release servers on the generated clinic (index on / off)");
    let quiet = ("CLINIC_LOG", "warn");
    // Sized for 64 clients. The default pool of 10 gave the same booking rate (232-292/s
    // against 284/s with 32): the clients do not wait for connections, the connections
    // wait for their round trips on the shared cores.
    let pool = ("CLINIC_DB_MAX_CONNECTIONS", POOL);
    let indexed = DemoServer::serve(
        database_url,
        "bench-indexed",
        Profile::Release,
        &[quiet, pool],
    )?;
    let sql = DemoServer::serve(
        database_url,
        "bench-sql",
        Profile::Release,
        &[quiet, pool, ("CLINIC_AVAILABILITY_INDEX", "off")],
    )?;
    let first_day = first_open_day(&indexed)?;
    let span = days - 8;
    let window = Duration::from_secs(seconds);

    let mut finder_rows = Vec::new();
    for connections in [2, 64] {
        let (index_f, sql_f) = side_by_side(
            [&indexed, &sql],
            &format!("finder_week, {connections} connections"),
            connections,
            window,
            |conn, n| finder(conn, &first_day, span, n),
        )?;
        finder_rows.push((connections, index_f, sql_f));
    }
    let (ssr_index, ssr_sql) = side_by_side(
        [&indexed, &sql],
        "server-rendered /book, 16 connections",
        16,
        window,
        |conn, n| ssr(conn, &first_day, n),
    )?;
    drop(sql);
    step("bench: server-rendered /book, 16 connections, rendered every time (a cookie)");
    let ssr_rendered = load::run(
        indexed.port,
        16,
        window,
        |_, conn| {
            conn.set_cookie(Some("bench_visitor=1".to_owned()));
            Ok(())
        },
        |conn, _, n| ssr(conn, &first_day, n),
    )?;
    check("server-rendered /book, rendered every time", &ssr_rendered)?;

    let (connections, booking) = booking(&indexed, &first_day, span, window * 3, 0)?;
    drop(indexed);
    let overlaps = overlaps(database_url)?;
    Ok(HttpFigures {
        finder: finder_rows,
        ssr: (16, ssr_index, ssr_sql),
        ssr_rendered,
        booking: (connections, booking),
        overlaps,
    })
}

/// The first day with openings, from the finder itself (the clinic's "today" is its own).
fn first_open_day(server: &DemoServer) -> Result<String> {
    let first = Conn::new(server.port).post_form("/api/finder_week", &[])?;
    let first: Value = serde_json::from_slice(&first.body)?;
    Ok(first["week_start"]
        .as_str()
        .ok_or("finder_week gave no week_start")?
        .to_owned())
}

/// 64 patients, each in turn: a week of the finder, a random open time, hold, confirm.
/// `salt` varies the patients' choices: the same salt picks the same weeks and times again,
/// which on a clinic already booked that way overlaps their own visits.
fn booking(
    server: &DemoServer,
    first_day: &str,
    span: i64,
    window: Duration,
    salt: u64,
) -> Result<(usize, Figures)> {
    step("bench: 64 patients holding and confirming (signing in 256 patients first)");
    let connections = 64;
    let per = BENCH_PATIENTS / connections;
    let figures = load::run(
        server.port,
        connections,
        window,
        |i, conn| {
            let cookies = (0..per)
                .map(|j| sign_in(conn, i * per + j + 1))
                .collect::<Result<Vec<_>>>()?;
            Ok(Patients { cookies, turn: 0 })
        },
        |conn, patients, n| {
            patients.turn = (patients.turn + 1) % patients.cookies.len();
            conn.set_cookie(Some(patients.cookies[patients.turn].clone()));
            book(conn, first_day, span, n ^ salt)
        },
    )?;
    check("booking", &figures)?;
    Ok((connections, figures))
}

/// `cargo xtask bench booking`: only the booking window, again, on the clinic the last
/// `availability` run generated, with the bookings of earlier runs undone first (so runs
/// compare) — for profiling a change to booking without generating the clinic anew.
/// Prints the figures; writes no results file.
pub fn booking_again(database_url: &str, days: i64, seconds: u64) -> Result<()> {
    step("bench: undoing the bookings of earlier runs");
    let psql = |sql: &str| {
        crate::util::run(
            Command::new("psql").args([database_url, "-v", "ON_ERROR_STOP=1", "-qc", sql]),
            "psql",
        )
    };
    // The generated clinic's taken slots belong to no appointment; the bench's own do.
    psql(
        "begin;
         update availability_slots set status = 'free', hold_token = null, hold_patient_id = null,
                hold_appointment_type_id = null, hold_expires_at = null
          where status = 'held' or slot_id in (select slot_id from appointment_slots);
         delete from attention_items;
         delete from appointment_events;
         delete from notifications where appointment_id is not null;
         delete from appointment_slots;
         delete from appointments;
         delete from job_runs where job = 'materialize-slots';
         commit;",
    )?;
    psql("vacuum analyze")?;
    let server = DemoServer::serve(
        database_url,
        "bench-booking",
        Profile::Release,
        &[("CLINIC_LOG", "warn"), ("CLINIC_DB_MAX_CONNECTIONS", POOL)],
    )?;
    // A starting server tops up every doctor's slots (the daily job runs at once): wait
    // for it, as the full run's earlier windows do, so it does not share the window.
    step("bench: waiting for the server's start-up slot job");
    let waited = std::time::Instant::now();
    loop {
        let done = crate::util::output(Command::new("psql").args([
            database_url,
            "-tAc",
            "select count(*) from job_runs where job = 'materialize-slots'
                and finished_at > now() - interval '10 minutes'",
        ]))
        .unwrap_or_default();
        if done.trim() != "0" {
            break;
        }
        if waited.elapsed() > Duration::from_secs(180) {
            return Err("the start-up slot job did not finish within 3 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let first_day = first_open_day(&server)?;
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let window = Duration::from_secs(seconds);
    let (connections, b) = booking(&server, &first_day, days - 8, window, salt)?;
    drop(server);
    println!(
        "booking, {connections} patients: {:.0} confirmed/s ({} in {:.0} s), {} refused {:?}, p50 {:.1} ms, p99 {:.1} ms",
        b.per_second(),
        b.done,
        b.seconds,
        b.conflicts,
        b.conflict_kinds,
        b.percentile_ms(0.5),
        b.percentile_ms(0.99)
    );
    for (name, n) in overlaps(database_url)? {
        println!("- {name}: {n}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::add_days;

    #[test]
    fn adds_days_across_months_years_and_leap_days() {
        assert_eq!(add_days("2026-11-22", 0).as_deref(), Some("2026-11-22"));
        assert_eq!(add_days("2026-11-22", 10).as_deref(), Some("2026-12-02"));
        assert_eq!(add_days("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert_eq!(add_days("2028-02-28", 1).as_deref(), Some("2028-02-29"));
        assert_eq!(add_days("2100-02-28", 1).as_deref(), Some("2100-03-01"));
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
    }
}
