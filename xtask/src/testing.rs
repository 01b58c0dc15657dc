//! `cargo xtask test`: every test the project has, against a real PostgreSQL and a real
//! browser, with one summary at the end.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::build::{self, Profile};
use crate::database::Database;
use crate::demo_server::DemoServer;
use crate::tools::{self, SystemPackage};
use crate::util::{project_root, run, step, Result};

/// Outcome of one runner.
struct Suite {
    name: &'static str,
    passed: u64,
    failed: u64,
    /// The runner itself failed (did not build, crashed) whatever it counted.
    broken: Option<String>,
    took: Duration,
}

impl Suite {
    fn ok(&self) -> bool {
        self.failed == 0 && self.broken.is_none()
    }
}

pub fn test_all(args: &[String]) -> Result<()> {
    let skip_e2e = args.iter().any(|a| a == "--skip-e2e");
    let mut packages = vec![SystemPackage::PostgreSql, SystemPackage::OpenSsl];
    if !skip_e2e {
        packages.push(SystemPackage::Chromium);
    }
    tools::ensure_system_packages(&packages)?;
    if !skip_e2e {
        tools::ensure_node_modules()?;
    }

    let started = Instant::now();
    // sqlx::test creates a fresh database per test next to this one.
    let database = Database::open("clinic_test")?;
    let mut suites = vec![cargo_tests(&database.url), wasm_build()];
    if !skip_e2e && suites.iter().all(Suite::ok) {
        suites.push(playwright(&database));
    }
    if suites.iter().all(Suite::ok) {
        suites.push(drills());
    }
    database.close()?;

    eprintln!();
    step("summary");
    for s in &suites {
        let verdict = match &s.broken {
            Some(why) => format!("BROKEN: {why}"),
            None if s.failed > 0 => "FAILED".to_owned(),
            None => "ok".to_owned(),
        };
        eprintln!(
            "  {:<12} {:>4} passed, {:>3} failed   {:>6.1}s   {verdict}",
            s.name,
            s.passed,
            s.failed,
            s.took.as_secs_f64()
        );
    }
    let passed: u64 = suites.iter().map(|s| s.passed).sum();
    // A runner that broke (did not build, crashed) counts as one failure at least.
    let failed: u64 = suites
        .iter()
        .map(|s| s.failed.max(u64::from(s.broken.is_some())))
        .sum();
    eprintln!("  total time {:.0}s", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if suites.iter().all(Suite::ok) {
        Ok(())
    } else {
        Err("some tests failed (see above)".into())
    }
}

/// Unit, property, database and HTTP tests of every host crate.
fn cargo_tests(database_url: &str) -> Suite {
    step("cargo test (domain, app, server, devdata, xtask)");
    let started = Instant::now();
    let mut suite = Suite {
        name: "cargo test",
        passed: 0,
        failed: 0,
        broken: None,
        took: Duration::ZERO,
    };
    let child = Command::new("cargo")
        .current_dir(project_root())
        .args([
            "test",
            "--package",
            "domain",
            "--package",
            "app",
            "--package",
            "server",
            "--package",
            "devdata",
            "--package",
            "xtask",
        ])
        .env("DATABASE_URL", database_url)
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            suite.broken = Some(format!("could not start cargo: {e}"));
            return suite;
        }
    };
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            println!("{line}");
            if let Some((passed, failed)) = parse_cargo_result(&line) {
                suite.passed += passed;
                suite.failed += failed;
            }
        }
    }
    match child.wait() {
        Ok(status) if status.success() => {}
        Ok(status) if suite.failed == 0 => {
            suite.broken = Some(format!("cargo test exited with {status}"))
        }
        Ok(_) => {}
        Err(e) => suite.broken = Some(e.to_string()),
    }
    suite.took = started.elapsed();
    suite
}

/// `test result: ok. 5 passed; 0 failed; 0 ignored; ...` → (5, 0)
fn parse_cargo_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let mut passed = None;
    let mut failed = None;
    for part in rest.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words.as_slice() {
            [.., n, "passed"] => passed = n.parse().ok(),
            [n, "failed"] => failed = n.parse().ok(),
            _ => {}
        }
    }
    Some((passed?, failed?))
}

/// The pure crate builds for wasm32, and the hydrate bundle builds and binds.
fn wasm_build() -> Suite {
    step("wasm32 build check");
    let started = Instant::now();
    let result = tools::ensure_wasm_target()
        .and_then(|()| {
            run(
                Command::new("cargo").current_dir(project_root()).args([
                    "check",
                    "--package",
                    "domain",
                    "--target",
                    "wasm32-unknown-unknown",
                ]),
                "cargo check (domain, wasm32)",
            )
        })
        .and_then(|()| build::build_site(Profile::Debug));
    let broken = result.err().map(|e| e.to_string());
    Suite {
        name: "wasm32",
        passed: u64::from(broken.is_none()),
        failed: 0,
        broken,
        took: started.elapsed(),
    }
}

/// Starts the built server on a free port against a fresh database with demo data and
/// runs the Playwright suite in Debian's Chromium against it.
/// The failure drills (`drills.rs`), each one pass or fail.
fn drills() -> Suite {
    let started = Instant::now();
    let mut suite = Suite {
        name: "drills",
        passed: 0,
        failed: 0,
        broken: None,
        took: Duration::ZERO,
    };
    match crate::drills::all() {
        Ok(()) => suite.passed += 1,
        Err(e) => {
            eprintln!("drill failed: {e}");
            suite.failed += 1;
        }
    }
    suite.took = started.elapsed();
    suite
}

fn playwright(database: &Database) -> Suite {
    step("Playwright end-to-end tests");
    let started = Instant::now();
    let mut suite = Suite {
        name: "playwright",
        passed: 0,
        failed: 0,
        broken: None,
        took: Duration::ZERO,
    };
    if let Err(e) = run_playwright(database, &mut suite) {
        suite.broken = Some(e.to_string());
    }
    suite.took = started.elapsed();
    suite
}

fn run_playwright(database: &Database, suite: &mut Suite) -> Result<()> {
    let server = DemoServer::start(database, "clinic_e2e", Profile::Debug)?;
    let results = project_root().join("end2end/test-results/results.json");
    let _ = std::fs::remove_file(&results);
    let status = Command::new("npx")
        .current_dir(project_root().join("end2end"))
        .args(["playwright", "test"])
        .env("BASE_URL", server.base_url())
        // A few journeys move time along (expire a hold, widen the freeze) through SQL.
        .env("E2E_DATABASE_URL", &server.database_url)
        // Mail is read where the server writes it.
        .env("E2E_MAILBOX_DIR", &server.mailbox)
        .env("PLAYWRIGHT_JSON_OUTPUT_NAME", &results)
        .status()?;
    let (passed, failed) = read_playwright_stats(&results)?;
    suite.passed = passed;
    suite.failed = failed;
    // One more check over the whole run: the server's log names no patient.
    let log = std::fs::read_to_string(&server.log_path)?;
    match personal_data_in_log(&log).first() {
        None => suite.passed += 1,
        Some(line) => {
            eprintln!(
                "personal data in the server log ({}): {line}",
                server.log_path.display()
            );
            suite.failed += 1;
        }
    }
    if !status.success() && failed == 0 {
        return Err(format!("playwright exited with {status}").into());
    }
    Ok(())
}

/// What would identify a patient of the Playwright run in a log line: their email
/// domains (`uniqueEmail` and the demo data use `example.test`), the demo patients' and
/// the journeys' last names, and the demo and journey phone numbers.
const PERSONAL: [&str; 11] = [
    "@example.test",
    "@bench.test",
    "Moreno",
    "Nguyen",
    "Carter",
    "Journey",
    "Tester",
    "Formless",
    "555 010",
    "555010",
    "555-010",
];

/// The log lines that carry any of [`PERSONAL`].
fn personal_data_in_log(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| PERSONAL.iter().any(|needle| line.contains(needle)))
        .collect()
}

fn read_playwright_stats(path: &std::path::Path) -> Result<(u64, u64)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("no Playwright results at {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let stat = |key: &str| json["stats"][key].as_u64().unwrap_or(0);
    Ok((stat("expected") + stat("flaky"), stat("unexpected")))
}

#[cfg(test)]
mod tests {
    use super::{parse_cargo_result, personal_data_in_log};

    #[test]
    fn finds_a_patient_in_a_log_line() {
        let log = "INFO request{path=/api/hold_time}: finished latency=3 ms status=200\n\
                   WARN sending to alice@example.test failed\n\
                   INFO patient Pat Journey booked\n\
                   INFO sms to +1 555 010 4411";
        assert_eq!(personal_data_in_log(log).len(), 3);
        assert!(personal_data_in_log("INFO request{path=/book} status=200").is_empty());
    }

    #[test]
    fn reads_cargo_test_result_lines() {
        assert_eq!(
            parse_cargo_result("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.02s"),
            Some((12, 0))
        );
        assert_eq!(
            parse_cargo_result(
                "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"
            ),
            Some((3, 2))
        );
        assert_eq!(parse_cargo_result("running 3 tests"), None);
    }
}
