//! `cargo xtask bench`: performance figures, each measured in one run against a baseline
//! measured in the same run, printed as a table with the targets.
//!
//! - `bundle`: what a phone downloads and how soon `/book` comes alive on the throttled
//!   phone profile (1.6 Mbps, 150 ms, CPU 4× slower), first visit and repeat visit, against
//!   the same bundle served uncompressed. Targets: wasm + js ≤ 500 KB on the wire,
//!   hydrated ≤ 5 s, 0 bundle bytes on a repeat visit.
//! - `availability`: seven days of open times from the in-memory index against the seed
//!   design's SQL and the SQL path, on a generated clinic (default 500 doctors × 90 days ×
//!   16 half-hour slots, 60% taken; `--doctors N --days N --slots-per-day N --taken F`),
//!   release build; then over HTTP on two release servers (index on / off): `finder_week`
//!   at 2 and 64 connections, server-rendered `/book` at 16, and 64 patients holding and
//!   confirming (`--seconds N` per HTTP window, default 10; booking runs three windows);
//!   writes `bench/RESULTS.md`. Targets: the index ≥ 100× the seed's SQL, ≥ 10,000
//!   finder requests/s, ≥ 500 bookings/s, `/book` p50 ≤ 5 ms.
//! - `booking` (only when named): the booking window again on the clinic the last
//!   `availability` run generated, figures printed — for profiling booking changes.
//! - `waitlist`: a simulated month at a generated clinic with and without the waitlist
//!   (`clinic-devdata bench-waitlist`, which says what the simulation assumes), and the
//!   real-time lag from a cancellation to its first offer; written to the "Waitlist"
//!   section of `bench/RESULTS.md`. Targets: ≥ 60% of the times freed more than a day
//!   ahead booked again, the first offer out within 5 s of the commit.

use std::process::Command;

use crate::build::{self, Profile};
use crate::database::Database;
use crate::demo_server::DemoServer;
use crate::tools::{self, SystemPackage};
use crate::util::{project_root, step, Result};

const BUNDLE_TARGET_BYTES: f64 = 500.0 * 1024.0;
const HYDRATED_TARGET_MS: f64 = 5000.0;

pub fn bench(args: &[String]) -> Result<()> {
    // Size flags (`--doctors 50`) belong to `availability`; the rest name benchmarks.
    let mut names = Vec::new();
    let mut size = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with("--") {
            size.push(a.clone());
            size.extend(it.next().cloned());
        } else {
            names.push(a.clone());
        }
    }
    let wanted = |name: &str| names.is_empty() || names.iter().any(|a| a == name);
    if let Some(unknown) = names.iter().find(|n| {
        ![
            "bundle",
            "availability",
            "booking",
            "waitlist",
            "lighthouse",
        ]
        .contains(&n.as_str())
    }) {
        return Err(format!(
            "unknown benchmark {unknown}; available: availability, bundle, booking, waitlist, lighthouse"
        )
        .into());
    }
    if wanted("lighthouse") {
        lighthouse()?;
    }
    if wanted("waitlist") {
        waitlist(&size)?;
    }
    if wanted("availability") {
        availability(&size, args)?;
    }
    // Only when named: it reuses the clinic `availability` generated.
    if names.iter().any(|n| n == "booking") {
        booking_again(&size)?;
    }
    if !wanted("bundle") {
        return Ok(());
    }
    tools::ensure_system_packages(&[SystemPackage::PostgreSql, SystemPackage::Chromium])?;
    tools::ensure_node_modules()?;
    build::build_site(Profile::Debug)?;
    let database = Database::open("clinic_bench")?;
    let result = bundle(&database);
    database.close()?;
    result
}

fn bundle(database: &Database) -> Result<()> {
    step("bench: bundle delivery on a throttled phone (/book)");
    let server = DemoServer::start(database, "clinic_bench_bundle", Profile::Debug)?;
    let output = project_root().join("target/bench-bundle.json");
    let _ = std::fs::remove_file(&output);
    let status = Command::new("npx")
        .current_dir(project_root().join("end2end"))
        .args(["playwright", "test", "-c", "playwright.bench.config.ts"])
        .env("BASE_URL", server.base_url())
        .env("BENCH_OUTPUT", &output)
        .status()?;
    drop(server);
    if !status.success() {
        return Err(format!("the bundle benchmark failed ({status})").into());
    }
    let figures: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output)?)?;
    let get = |visit: &str, key: &str| figures[visit][key].as_f64().unwrap_or(f64::NAN);
    let (bundle, plain_bundle) = (
        get("cold", "bundleBytes"),
        get("uncompressed", "bundleBytes"),
    );
    let (hydrated, plain_hydrated) = (get("cold", "hydratedMs"), get("uncompressed", "hydratedMs"));
    let repeat = get("repeat", "bundleBytes");

    println!();
    println!(
        "{:<44} {:>12} {:>14} {:>8} {:>10}",
        "bundle (/book, phone profile)", "measured", "baseline", "ratio", "target"
    );
    let row =
        |what: &str, value: String, baseline: String, ratio: String, ok: bool, target: &str| {
            println!(
                "{what:<44} {value:>12} {baseline:>14} {ratio:>8} {:>10}",
                format!("{target} {}", if ok { "ok" } else { "MISSED" })
            );
        };
    row(
        "wasm + js on the wire, first visit",
        format!("{:.0} KB", bundle / 1024.0),
        format!("{:.0} KB", plain_bundle / 1024.0),
        format!("{:.2}×", bundle / plain_bundle),
        bundle <= BUNDLE_TARGET_BYTES,
        "≤ 500 KB",
    );
    row(
        "hydrated after navigation start",
        format!("{:.1} s", hydrated / 1000.0),
        format!("{:.1} s", plain_hydrated / 1000.0),
        format!("{:.2}×", hydrated / plain_hydrated),
        hydrated <= HYDRATED_TARGET_MS,
        "≤ 5 s",
    );
    row(
        "first contentful paint",
        format!("{:.1} s", get("cold", "firstPaintMs") / 1000.0),
        format!("{:.1} s", get("uncompressed", "firstPaintMs") / 1000.0),
        String::new(),
        true,
        "",
    );
    row(
        "bundle bytes on a repeat visit",
        format!("{repeat:.0} B"),
        format!("{:.0} KB", bundle / 1024.0),
        String::new(),
        repeat == 0.0,
        "0 B",
    );
    println!("(baseline: the same bundle served uncompressed, as before; repeat visit against the first)");
    Ok(())
}

const LIGHTHOUSE_HEADING: &str = "## Lighthouse (mobile)";
const LIGHTHOUSE_RUNS: usize = 3;

/// `cargo xtask bench lighthouse`: see the module comment.
fn lighthouse() -> Result<()> {
    tools::ensure_system_packages(&[SystemPackage::PostgreSql, SystemPackage::Chromium])?;
    let cli = tools::ensure_lighthouse()?;
    build::build_site(Profile::Release)?;
    let database = Database::open("clinic_bench")?;
    let result = lighthouse_pages(&database, &cli);
    database.close()?;
    let pages = result?;

    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mut body = format!(
        "{LIGHTHOUSE_HEADING}\n\nWritten by `cargo xtask bench lighthouse` (commit {}): Lighthouse 12.2.3 from npm driving \
         Debian's Chromium, mobile profile (simulated slow 4G, 4× CPU slowdown), release server, demo clinic; the median of \
         {LIGHTHOUSE_RUNS} runs per page, the browser's clock in the clinic's time zone (as a local patient's phone; the \
         last row from far away, where each time also shows the visitor's own). Installability is checked by Chromium itself in the browser suite \
         (`Page.getInstallabilityErrors`, `end2end/tests/offline.spec.ts`): Lighthouse 12 dropped its PWA audits.\n\n\
         | page | performance | accessibility | best practices | FCP | LCP | TBT | CLS | target |\n|---|---|---|---|---|---|---|---|---|\n",
        crate::util::output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
            .unwrap_or_default()
            .trim(),
    );
    let mut all_ok = true;
    let mut notes = String::new();
    for (page, runs) in &pages {
        let figure =
            |f: &dyn Fn(&serde_json::Value) -> f64| median(&mut runs.iter().map(f).collect());
        let score = |category: &'static str| {
            move |r: &serde_json::Value| {
                r["categories"][category]["score"].as_f64().unwrap_or(0.0) * 100.0
            }
        };
        let metric = |audit: &'static str| {
            move |r: &serde_json::Value| {
                r["audits"][audit]["numericValue"]
                    .as_f64()
                    .unwrap_or(f64::NAN)
            }
        };
        let (performance, accessibility, practices) = (
            figure(&score("performance")),
            figure(&score("accessibility")),
            figure(&score("best-practices")),
        );
        let ok = performance >= 90.0 && accessibility >= 100.0 && practices >= 95.0;
        all_ok &= ok;
        body.push_str(&format!(
            "| {page} | {performance:.0} | {accessibility:.0} | {practices:.0} | {:.1} s | {:.1} s | {:.0} ms | {:.3} | ≥ 90 / 100 / ≥ 95 {} |\n",
            figure(&metric("first-contentful-paint")) / 1000.0,
            figure(&metric("largest-contentful-paint")) / 1000.0,
            figure(&metric("total-blocking-time")),
            figure(&metric("cumulative-layout-shift")),
            if ok { "ok" } else { "MISSED" },
        ));
        // What cost points, from the last run: the audits below full marks that count.
        let last = runs.last().expect("three runs");
        let mut missed: Vec<String> = ["accessibility", "best-practices"]
            .iter()
            .flat_map(|category| {
                last["categories"][category]["auditRefs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["weight"].as_f64().unwrap_or(0.0) > 0.0)
                    .filter_map(|r| r["id"].as_str())
                    .filter(|id| {
                        last["audits"][id]["score"]
                            .as_f64()
                            .is_some_and(|s| s < 1.0)
                    })
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        missed.dedup();
        if !missed.is_empty() {
            notes.push_str(&format!("- {page} lost points on: {}\n", missed.join(", ")));
        }
    }
    if !notes.is_empty() {
        body.push('\n');
        body.push_str(&notes);
    }
    println!("{body}");
    write_section(LIGHTHOUSE_HEADING, &body)?;
    if !all_ok {
        println!("(a Lighthouse target was MISSED: see above)");
    }
    Ok(())
}

/// Each page's Lighthouse reports, `LIGHTHOUSE_RUNS` of them.
fn lighthouse_pages(
    database: &Database,
    cli: &std::path::Path,
) -> Result<Vec<(String, Vec<serde_json::Value>)>> {
    step("bench: Lighthouse, mobile profile");
    let server = DemoServer::start(database, "clinic_bench_lighthouse", Profile::Release)?;
    // A demo patient's session, sent as a header with every request Lighthouse makes.
    let mut conn = crate::load::Conn::new(server.port);
    let answer = conn.post_form(
        "/api/log_in",
        &[
            ("email", "alice@example.test"),
            ("password", "clinic-demo-2026"),
        ],
    )?;
    let cookie = conn
        .cookie()
        .filter(|_| answer.status == 200)
        .ok_or_else(|| {
            format!(
                "signing the demo patient in: {} {}",
                answer.status,
                answer.text()
            )
        })?
        .to_owned();
    // Signed in means the page lists the patient's visits, not the way to sign in.
    conn.set_cookie(Some(cookie.clone()));
    let listed = conn.get("/appointments")?;
    if listed.status != 200 || !listed.text().contains("upcoming-heading") {
        return Err("the demo patient's session does not show their appointments".into());
    }
    let dir = project_root().join("target/lighthouse");
    std::fs::create_dir_all(&dir)?;
    let headers = dir.join("signed-in-headers.json");
    std::fs::write(
        &headers,
        serde_json::json!({ "Cookie": cookie }).to_string(),
    )?;
    // The browser's clock in the clinic's zone, as a local patient's phone is. A visitor
    // elsewhere also sees each time in their own zone, added once the page is live (it
    // moves the times: `/book` is measured that way too, as its own row).
    let clinic_zone = crate::util::output(Command::new("psql").args([
        server.database_url.as_str(),
        "-qtAc",
        "select time_zone from clinic_settings",
    ]))
    .map(|z| z.trim().to_owned())
    .filter(|z| !z.is_empty())
    .ok_or("the demo clinic's time zone")?;
    let far_zone = if clinic_zone == "Pacific/Auckland" {
        "Europe/London"
    } else {
        "Pacific/Auckland"
    };
    let mut pages = Vec::new();
    for (page, signed_in, zone) in [
        ("/", false, clinic_zone.as_str()),
        ("/book", false, clinic_zone.as_str()),
        ("/appointments", true, clinic_zone.as_str()),
        ("/book", false, far_zone),
    ] {
        let mut runs = Vec::new();
        for run in 0..LIGHTHOUSE_RUNS {
            let report = dir.join(format!(
                "{}-{run}.json",
                page.trim_matches('/').replace('/', "-")
            ));
            let mut command = Command::new("node");
            command
                .arg(cli)
                .arg(format!("{}{page}", server.base_url()))
                .args([
                    "--output=json",
                    "--only-categories=performance,accessibility,best-practices",
                    "--quiet",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking \
                     --disable-component-update --disable-sync --disable-quic --no-first-run",
                ])
                .arg(format!("--output-path={}", report.display()))
                .env("CHROME_PATH", "/usr/bin/chromium")
                .env("TZ", zone);
            if signed_in {
                command.arg(format!("--extra-headers={}", headers.display()));
            }
            // Lighthouse itself says to run again when its trace misses the navigation
            // start (NO_NAVSTART, now and then on a busy machine): up to three tries.
            let mut tries = 0;
            let json = loop {
                tries += 1;
                let _ = std::fs::remove_file(&report);
                let status = command.status()?;
                let json: Option<serde_json::Value> = std::fs::read_to_string(&report)
                    .ok()
                    .and_then(|text| serde_json::from_str(&text).ok());
                let error = match &json {
                    Some(json) if status.success() => {
                        json["runtimeError"]["message"].as_str().map(str::to_owned)
                    }
                    _ => Some(format!("lighthouse exited with {status}")),
                };
                match (error, json) {
                    (None, Some(json)) => break json,
                    (Some(error), _) if tries >= 3 => {
                        return Err(format!("lighthouse {page}: {error}").into())
                    }
                    (error, _) => eprintln!("lighthouse {page}: {error:?}; again"),
                }
            };
            runs.push(json);
        }
        let label = if zone == clinic_zone {
            format!("`{page}`")
        } else {
            format!("`{page}`, browser in {zone}")
        };
        pages.push((label, runs));
    }
    drop(server);
    Ok(pages)
}

/// Builds the release server and runs the booking window again on the last generated
/// clinic (`--seconds N`, default 30; `--days N` as generated, default 90).
fn booking_again(flags: &[String]) -> Result<()> {
    let (mut seconds, mut days) = (30, 90);
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--seconds", Some(v @ 1..=600)) => seconds = v,
            ("--days", Some(v @ 9..=366)) => days = v as i64,
            _ => {
                return Err(format!(
                    "bench booking: {flag} needs a whole number (--seconds 1-600, --days 9-366)"
                )
                .into())
            }
        }
    }
    build_release_server()?;
    let database = Database::open("clinic_bench_availability")?;
    let result = crate::bench_http::booking_again(&database.url, days, seconds);
    database.close()?;
    result
}

fn build_release_server() -> Result<()> {
    tools::ensure_system_packages(&[SystemPackage::PostgreSql])?;
    build::build_site(Profile::Release)?;
    step("bench: release build of the server");
    crate::util::run(
        Command::new("cargo").current_dir(project_root()).args([
            "build",
            "--release",
            "--package",
            "server",
            "--package",
            "devdata",
        ]),
        "cargo build --release (server, devdata)",
    )
}

fn availability(flags: &[String], args: &[String]) -> Result<()> {
    // `--seconds` is ours; the rest size the generated clinic.
    let mut seconds = 10;
    let mut size = Vec::new();
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        if flag == "--seconds" {
            seconds = it
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|s| (1..=600).contains(s))
                .ok_or("--seconds needs a whole number from 1 to 600")?;
        } else {
            size.push(flag.clone());
            size.extend(it.next().cloned());
        }
    }
    build_release_server()?;
    let database = Database::open("clinic_bench_availability")?;
    // A fresh database every run: the generated clinic is added to an empty one.
    fresh_database(&database.url, "clinic_bench_availability")?;
    step("bench: generating the clinic and timing seven days of open times");
    let out = Command::new(build::devdata_binary(Profile::Release))
        .arg("bench-availability")
        .args(&size)
        .env("DATABASE_URL", &database.url)
        .env("CLINIC_LOG", "warn")
        .output()?;
    if !out.status.success() {
        database.close()?;
        return Err(format!(
            "bench-availability failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("{}");
    let r: serde_json::Value = serde_json::from_str(line)?;
    let f = |path: &[&str]| {
        path.iter()
            .fold(&r, |v, k| &v[*k])
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let mut table = String::new();
    table.push_str("| 7 days of open times | index | seed SQL (GROUP BY, partial index) | SQL path before the index | index vs seed | index vs SQL path | target |\n");
    table.push_str("|---|---|---|---|---|---|---|\n");
    for (name, label) in [
        ("standard", "Standard (1 slot)"),
        ("long", "Long (2 slots)"),
        ("tenth", "A type a tenth of the doctors offer (1 slot)"),
        ("one_doctor", "One chosen doctor (1 slot)"),
    ] {
        let speedup = f(&[name, "speedup_vs_seed_median"]);
        table.push_str(&format!(
            "| {label}, median / p99 | {:.1} / {:.1} µs | {:.0} / {:.0} µs | {:.0} / {:.0} µs | {:.0}× | {:.0}× | ≥ 100× {} |\n",
            f(&[name, "index", "median_us"]),
            f(&[name, "index", "p99_us"]),
            f(&[name, "seed_sql", "median_us"]),
            f(&[name, "seed_sql", "p99_us"]),
            f(&[name, "sql_path", "median_us"]),
            f(&[name, "sql_path", "p99_us"]),
            speedup,
            f(&[name, "speedup_vs_sql_path_median"]),
            if speedup >= 100.0 { "ok" } else { "MISSED" },
        ));
        if r[name]["answers_agree"] != serde_json::Value::Bool(true) {
            return Err(format!("{name}: the index and the SQL disagree").into());
        }
    }
    table.push_str(&format!(
        "\nIndex: {:.0} doctor-days, about {:.1} MB (target ≤ 50 MB), full rebuild from PostgreSQL {:.0} ms. \
         A slot change committed to the database is visible in another instance's index after {:.1} ms (median), {:.1} ms (p99) \
         (NOTIFY → reload of that doctor's changed days, 200 changes).\n",
        f(&["index", "doctor_days"]),
        f(&["index", "approx_bytes"]) / 1e6,
        f(&["index", "rebuild_ms"]),
        f(&["index", "notify_lag", "median_us"]) / 1e3,
        f(&["index", "notify_lag", "p99_us"]) / 1e3,
    ));
    let http = crate::bench_http::run(&database.url, f(&["data", "days"]) as i64, seconds);
    database.close()?;
    let http = http?;
    let mut web = String::new();
    web.push_str("| over HTTP | with the index | SQL (`CLINIC_AVAILABILITY_INDEX=off`) | ratio | target |\n|---|---|---|---|---|\n");
    let rate = |x: &crate::load::Figures| {
        let failed = if x.failed > 0 {
            format!(
                "; {} of {} failed ({})",
                x.failed,
                x.failed + x.done,
                x.first_failure
                    .as_deref()
                    .unwrap_or("?")
                    .chars()
                    .take(60)
                    .collect::<String>()
            )
        } else {
            String::new()
        };
        format!(
            "{:.0} req/s, p50 {:.2} ms, p99 {:.1} ms{failed}",
            x.per_second(),
            x.percentile_ms(0.5),
            x.percentile_ms(0.99)
        )
    };
    for (connections, index, sql) in &http.finder {
        let ok = index.per_second() >= 10_000.0;
        web.push_str(&format!(
            "| `finder_week` (anonymous, random weeks), {connections} connections | {} | {} | {:.1}× | ≥ 10,000 req/s {} |\n",
            rate(index),
            rate(sql),
            index.per_second() / sql.per_second(),
            if ok { "ok" } else { "MISSED" },
        ));
    }
    let (connections, index, sql) = &http.ssr;
    web.push_str(&format!(
        "| server-rendered `/book` (anonymous), {connections} connections | {} | {} | {:.1}× | p50 ≤ 5 ms {} |\n",
        rate(index),
        rate(sql),
        index.per_second() / sql.per_second(),
        if index.percentile_ms(0.5) <= 5.0 { "ok" } else { "MISSED" },
    ));
    web.push_str(&format!(
        "| the same, rendered every time (a visitor with a cookie skips the page cache) | {} | | | |\n",
        rate(&http.ssr_rendered),
    ));
    let (connections, b) = &http.booking;
    let booked = b.per_second();
    web.push_str(&format!(
        "\n| booking: {connections} patients, each a week of the finder, a random open time, hold, confirm | figure | target |\n|---|---|---|\n\
         | confirmed bookings/s | {booked:.0} ({} in {:.0} s) | ≥ 500 {} |\n\
         | refused: the time was taken meanwhile (or no time that week) | {} |  |\n\
         | latency of the three requests, p50 / p99 | {:.1} / {:.1} ms |  |\n",
        b.done,
        b.seconds,
        if booked >= 500.0 { "ok" } else { "MISSED" },
        b.conflicts,
        b.percentile_ms(0.5),
        b.percentile_ms(0.99),
    ));
    web.push_str("\nInvariant check afterwards (SQL):\n\n");
    for (name, n) in &http.overlaps {
        web.push_str(&format!("- {name}: {n}\n"));
    }
    if let Some((name, n)) = http
        .overlaps
        .iter()
        .find(|(name, n)| *n != 0 && name != "live appointments")
    {
        return Err(format!("after the booking load: {name}: {n}").into());
    }
    println!("{web}");
    let data = format!(
        "{:.0} doctors × {:.0} days × {:.0} slots a day, {:.0}% taken ({:.0} slots)",
        f(&["data", "doctors"]),
        f(&["data", "days"]),
        f(&["data", "slots_per_day"]),
        f(&["data", "taken"]) * 100.0,
        f(&["data", "slots"]),
    );
    println!("\n{data}\n{table}");
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        crate::util::output(Command::new("uname").args(["-srm"]))
            .unwrap_or_default()
            .trim()
    );
    let commit = crate::util::output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let booking_s = seconds * 3;
    let results = format!(
        "# Benchmark results\n\nWritten by `cargo xtask bench availability`; every figure in a table was measured in the same run.\n\n\
         - Command: `cargo xtask bench {}`\n- Machine: {machine}\n- Commit: {}\n- Data: {data}\n\n\
         ## Availability: seven days of open times\n\nIn-process calls (no HTTP), release build, one PostgreSQL on the same machine. \
         The seed's SQL counts free slots per start time (a self-join for two slots) on the partial index of open slots; \
         the SQL path is what the finder ran before the index (open slots from PostgreSQL, runs found in Rust). \
         All three gave the same answers in this run.\n\n{table}\n\
         ## Over HTTP\n\nTwo release servers on the same generated clinic, one with the index and one reading SQL \
         (`CLINIC_AVAILABILITY_INDEX=off`), each with a pool of {pool} connections (`CLINIC_DB_MAX_CONNECTIONS`), \
         measured one after the other in this run by `xtask/src/load.rs` \
         (one thread per kept-alive connection) running on the same {cores} cores as the server and PostgreSQL. \
         Each window {seconds} s; booking {booking_s} s, with the index, after signing in 256 patients.\n\n{web}",
        args.join(" "),
        commit.trim(),
        pool = crate::bench_http::POOL,
    );
    let path = project_root().join("bench/RESULTS.md");
    std::fs::create_dir_all(path.parent().unwrap_or(&project_root()))?;
    // The waitlist's section is written by its own benchmark: kept.
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let kept = section(&old, WAITLIST_HEADING)
        .map(|kept| format!("\n{kept}"))
        .unwrap_or_default();
    std::fs::write(&path, format!("{results}{kept}"))?;
    println!("written to bench/RESULTS.md");
    Ok(())
}

/// Drops and creates the database `name` (which `url` names) on the same server.
fn fresh_database(url: &str, name: &str) -> Result<()> {
    let admin_url = match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/postgres"),
        None => return Err("unexpected database URL".into()),
    };
    for sql in [
        format!("drop database if exists {name} with (force)"),
        format!("create database {name}"),
    ] {
        crate::util::run(
            Command::new("psql").args([admin_url.as_str(), "-qc", sql.as_str()]),
            "psql",
        )?;
    }
    Ok(())
}

const WAITLIST_HEADING: &str = "## Waitlist";

/// The section of `text` that starts with the line `heading`, up to the next `## `
/// heading (or the end).
/// Puts `body` in `bench/RESULTS.md` in place of the section under `heading` (or at the
/// end when there is none).
fn write_section(heading: &str, body: &str) -> Result<()> {
    let path = project_root().join("bench/RESULTS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmark results\n".to_owned());
    let new = match section(&old, heading) {
        Some(existing) => old.replace(&existing, body),
        None => format!("{}\n\n{body}", old.trim_end()),
    };
    std::fs::write(&path, new)?;
    println!("written to bench/RESULTS.md");
    Ok(())
}

fn section(text: &str, heading: &str) -> Option<String> {
    let start = text.find(&format!("\n{heading}\n"))? + 1;
    let rest = &text[start..];
    let end = rest[heading.len()..]
        .find("\n## ")
        .map_or(rest.len(), |i| i + heading.len() + 1);
    Some(rest[..end].to_owned())
}

/// `cargo xtask bench waitlist [--doctors N] [--days N] [--seed N]`: see the module
/// comment and `devdata/src/waitlist_sim.rs`.
fn waitlist(flags: &[String]) -> Result<()> {
    tools::ensure_system_packages(&[SystemPackage::PostgreSql])?;
    step("bench: release build of the data generator");
    crate::util::run(
        Command::new("cargo").current_dir(project_root()).args([
            "build",
            "--release",
            "--package",
            "devdata",
        ]),
        "cargo build --release (devdata)",
    )?;
    let database = Database::open("clinic_bench_waitlist")?;
    let result = waitlist_runs(&database.url, flags);
    database.close()?;
    let (on, off, lag) = result?;
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let share = |v: &serde_json::Value| f(v, "rebooked_share") * 100.0;
    let refill_ok = share(&on) >= 60.0;
    let lag_ok = f(&lag, "max_ms") + 3000.0 <= 5000.0;
    let mut body = format!(
        "{WAITLIST_HEADING}\n\nWritten by `cargo xtask bench waitlist{}` (commit {}); each figure measured in this run.\n\n\
         A simulated month through the product's own services with a virtual clock: {:.0} doctors (weekdays 09:00–17:00, 30-minute \
         visits, the default rules), starting 70% booked for the 60-day horizon; 12% of visits cancelled at a random moment \
         before the 24-hour freeze; {:.0} new patients a day per doctor booking the first open time from a random day 1–30 \
         days ahead; 25% of those booked 10 or more days ahead ask for an earlier time (half with limits); each offer taken by \
         its patient with probability 30% after 5 minutes to 3 hours (offers last 2 hours). Same seed ({:.0}) with the \
         waitlist off and on. These are assumptions, not observations: real acceptance is reported at 8–11% per offer, and \
         how many patients ask to come earlier decides most of the result.\n\n\
         | {:.0} days | waitlist off | waitlist on | target |\n|---|---|---|---|\n",
        flags.iter().map(|f| format!(" {f}")).collect::<String>(),
        crate::util::output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
            .unwrap_or_default()
            .trim(),
        f(&on, "doctors"),
        f(&on, "bookings_per_doctor_day"),
        f(&on, "seed"),
        f(&on, "days"),
    );
    body.push_str(&format!(
        "| times freed more than a day ahead (their moment passed in the month) | {:.0} | {:.0} | |\n\
         | of those, booked again by their time | {:.0} ({:.0}%) | {:.0} ({:.0}%) | ≥ 60% {} |\n\
         | of those, booked through an offer | – | {:.0} | |\n\
         | every time re-filled through the waitlist (cascades included) | – | {:.0} | |\n\
         | median days a taken offer brought a visit earlier | – | {} | |\n\
         | offers sent / taken / taken by someone else first / answered too late | – | {:.0} / {:.0} / {:.0} / {:.0} | |\n\
         | offers per re-filled time | – | {:.1} | |\n\
         | doctors double-booked afterwards | {:.0} | {:.0} | 0 |\n",
        f(&off, "freed_more_than_a_day_ahead"),
        f(&on, "freed_more_than_a_day_ahead"),
        f(&off, "rebooked"),
        share(&off),
        f(&on, "rebooked"),
        share(&on),
        if refill_ok { "ok" } else { "MISSED" },
        f(&on, "rebooked_by_an_offer"),
        f(&on, "refilled_via_waitlist"),
        on["median_days_gained"]
            .as_f64()
            .map_or("–".to_owned(), |d| format!("{d:.0}")),
        f(&on, "offers_sent"),
        f(&on, "offers_taken"),
        f(&on, "offers_beaten"),
        f(&on, "offers_answered_too_late"),
        f(&on, "offers_per_refill"),
        f(&off, "doctor_overlaps"),
        f(&on, "doctor_overlaps"),
    ));
    body.push_str(&format!(
        "\nFrom a cancellation's commit to its time's first offer queued in the outbox, real time, the engine looping every \
         second as in the server ({:.0} cancellations): median {:.0} ms, p90 {:.0} ms, max {:.0} ms. The delivery worker sends \
         within its 3-second tick, so the first wave is out within {:.1} s at most (target ≤ 5 s {}).\n",
        f(&lag, "samples"),
        f(&lag, "median_ms"),
        f(&lag, "p90_ms"),
        f(&lag, "max_ms"),
        (f(&lag, "max_ms") + 3000.0) / 1000.0,
        if lag_ok { "ok" } else { "MISSED" },
    ));
    println!("{body}");
    write_section(WAITLIST_HEADING, &body)?;
    if f(&on, "doctor_overlaps") != 0.0 || f(&off, "doctor_overlaps") != 0.0 {
        return Err("the simulation double-booked a doctor".into());
    }
    Ok(())
}

/// The three runs, each on a fresh database: waitlist off, on, and the lag.
fn waitlist_runs(
    url: &str,
    flags: &[String],
) -> Result<(serde_json::Value, serde_json::Value, serde_json::Value)> {
    let run = |mode: &str| -> Result<serde_json::Value> {
        fresh_database(url, "clinic_bench_waitlist")?;
        step(&format!("bench: waitlist, {mode}"));
        let out = Command::new(build::devdata_binary(Profile::Release))
            .args(["bench-waitlist", "--mode", mode])
            .args(if mode == "latency" { &[][..] } else { flags })
            .env("DATABASE_URL", url)
            .env("CLINIC_LOG", "warn")
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "bench-waitlist --mode {mode} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or("{}");
        Ok(serde_json::from_str(line)?)
    };
    let off = run("off")?;
    let on = run("on")?;
    let lag = run("latency")?;
    Ok((on, off, lag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_runs_from_its_heading_to_the_next_or_the_end() {
        let text = "# Results\n\n## Availability\nfast\n## Waitlist\nfilled\n99%\n";
        assert_eq!(
            section(text, WAITLIST_HEADING).as_deref(),
            Some("## Waitlist\nfilled\n99%\n")
        );
        let middle = "# R\n## Waitlist\nfilled\n## Later\nmore\n";
        assert_eq!(
            section(middle, WAITLIST_HEADING).as_deref(),
            Some("## Waitlist\nfilled\n")
        );
        assert_eq!(section("# R\n## Availability\n", WAITLIST_HEADING), None);
    }
}
