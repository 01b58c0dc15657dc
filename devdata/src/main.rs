//! `clinic-devdata seed-demo | bench-availability [...] | bench-waitlist [...]` — see
//! `clinic-devdata help`.

use std::process::ExitCode;

use app::db::MIGRATOR;
use app::services::auth::two_step::TwoStepKey;
use devdata::{bench, demo, waitlist_sim};
use sqlx::postgres::PgPoolOptions;

const USAGE: &str = "\
usage: clinic-devdata COMMAND

commands (development and testing only; DATABASE_URL names the database):
  seed-demo   load the demo clinic (doctors, hours, patients, visits) unless already loaded
  bench-availability [--doctors N] [--days N] [--slots-per-day N] [--taken F]
              generate a data set into this (fresh) database and time seven days of open
              times: the in-memory index, the seed design's SQL and the SQL path; prints
              JSON (run by `cargo xtask bench` and the failure drills)
  bench-waitlist [--mode on|off|latency] [--doctors N] [--days N] [--seed N]
              on this (fresh) database: a simulated month with the waitlist on or off, or
              the real-time lag from a cancellation to its first offer; prints JSON (run by
              `cargo xtask bench waitlist`)
  help        show this text";

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    if !matches!(
        command.as_str(),
        "seed-demo" | "bench-availability" | "bench-waitlist"
    ) {
        let help = matches!(command.as_str(), "help" | "--help" | "-h");
        if !help {
            eprintln!("error: unknown command '{command}'\n");
        }
        println!("{USAGE}");
        return if help {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CLINIC_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    match run(&command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: &str) -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_owned())?;
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await
        .map_err(|e| format!("cannot connect to the database given by DATABASE_URL: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| format!("applying database migrations failed: {e}"))?;
    match command {
        "seed-demo" => {
            let added = demo::seed_demo(&pool, &two_step_key()?)
                .await
                .map_err(|e| format!("loading demo data failed: {e}"))?;
            println!(
                "{}",
                if added {
                    "demo data loaded"
                } else {
                    "demo data already present"
                }
            );
            print_demo_logins();
        }
        "bench-waitlist" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let (mode, options) = waitlist_sim::Options::from_args(&args)?;
            let report = if mode == "latency" {
                waitlist_sim::latency(&pool, 20).await?
            } else {
                waitlist_sim::simulate(&pool, &options).await?
            };
            println!("{report}");
        }
        _ => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let size = bench::Size::from_args(&args)?;
            let report = bench::run(&pool, size).await?;
            println!("{report}");
        }
    }
    Ok(())
}

/// The server's key for two-step secrets, found the way the server finds it
/// (`CLINIC_MFA_KEY`, else the file `CLINIC_MFA_KEY_FILE`, default `.data/mfa.key`, made
/// when missing): the demo staff's authenticator key is sealed with it.
fn two_step_key() -> Result<TwoStepKey, String> {
    if let Ok(text) = std::env::var("CLINIC_MFA_KEY") {
        return TwoStepKey::from_base64(&text).map_err(|e| format!("CLINIC_MFA_KEY {e}"));
    }
    let path = std::env::var("CLINIC_MFA_KEY_FILE").unwrap_or_else(|_| ".data/mfa.key".into());
    TwoStepKey::from_file(std::path::Path::new(&path))
        .map(|(key, _)| key)
        .map_err(|e| format!("CLINIC_MFA_KEY_FILE {path}: {e}"))
}

fn print_demo_logins() {
    println!("\ndemo logins (password for all: {})", demo::DEMO_PASSWORD);
    println!("  admin    {}", demo::DEMO_ADMIN);
    for (_, _, _, email) in demo::DEMO_DOCTORS {
        println!("  doctor   {email}");
    }
    for (_, _, _, email) in demo::DEMO_PATIENTS {
        println!("  patient  {email}");
    }
    println!(
        "doctors and the admin also give a code: authenticator key {} (add it to any authenticator app)",
        domain::two_factor::show_secret(demo::DEMO_TOTP_KEY)
    );
}
