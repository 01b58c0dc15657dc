//! Developer commands for Clinic Scheduler, in Rust so they behave the same everywhere:
//!
//! - `cargo xtask run [--port N] [--release]` — install missing tools, start the private
//!   PostgreSQL (unless `DATABASE_URL` is set), build, migrate, load demo data, serve.
//! - `cargo xtask test [--skip-e2e]` — every test: cargo tests against the private
//!   cluster, the wasm32 build, the Playwright suite against a server it starts, and the
//!   failure drills on a cluster of their own.
//! - `cargo xtask bench [bundle]` — performance figures against an in-run baseline.
//! - `cargo xtask drill` — the failure drills alone (against the debug server binary).
//! - `cargo xtask build [--release]` — build the site and server only.
//! - `cargo xtask db start|stop|status|url|psql` — manage the private cluster.

mod assets;
mod bench;
mod bench_http;
mod build;
mod database;
mod demo_server;
mod drills;
mod load;
mod pg;
mod serve;
mod testing;
mod tools;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <run [--port N] [--release] | test [--skip-e2e] | bench [bundle] | build [--release] | drill | db <start|stop|status|url|psql>>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match args.first().map(String::as_str) {
        Some("run") => serve::run_app(rest),
        Some("test") => testing::test_all(rest),
        Some("bench") => bench::bench(rest),
        Some("build") => build::build_site(if rest.iter().any(|a| a == "--release") {
            build::Profile::Release
        } else {
            build::Profile::Debug
        }),
        Some("drill") => drills::all(),
        Some("db") => db_command(rest),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\x1b[31merror:\x1b[0m {err}");
            ExitCode::FAILURE
        }
    }
}

fn db_command(args: &[String]) -> util::Result<()> {
    tools::ensure_system_packages(&[tools::SystemPackage::PostgreSql])?;
    let cluster = pg::Cluster::locate()?;
    match args.first().map(String::as_str) {
        Some("start") => {
            cluster.start()?;
            cluster.ensure_database("clinic")?;
            println!("{}", cluster.url("clinic"));
            Ok(())
        }
        Some("stop") => cluster.stop(),
        Some("status") => {
            println!(
                "{}",
                if cluster.is_running() {
                    "running"
                } else {
                    "stopped"
                }
            );
            Ok(())
        }
        Some("url") => {
            println!("{}", cluster.url("clinic"));
            Ok(())
        }
        Some("psql") => util::run(&mut cluster.psql("clinic"), "psql"),
        _ => Err("usage: cargo xtask db <start|stop|status|url|psql>".into()),
    }
}
