//! `server [serve|migrate|seed-demo|help]` — see `server help`.

use std::process::ExitCode;

use app::server::db::MIGRATOR;
use app::server::state::AppState;
use server::config::Config;
use server::{connect, demo, jobs, leptos_options, router, serve, shutdown_signal, telemetry};

const USAGE: &str = "\
usage: server [COMMAND]

commands:
  serve       apply migrations, then serve HTTP (default)
  migrate     apply migrations and exit
  seed-demo   load the demo clinic (doctors, hours, patients, visits) unless already loaded
  materialize-slots
              create/update slots from weekly hours up to the booking horizon (the server
              also does this at start-up and every 6 hours)
  help        show this text

configuration comes from the environment: DATABASE_URL, CLINIC_ADDR, CLINIC_SITE_ROOT,
CLINIC_DB_MAX_CONNECTIONS, CLINIC_LOG, CLINIC_LOG_FORMAT (see README.md).";

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    if matches!(command.as_str(), "help" | "--help" | "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if !matches!(
        command.as_str(),
        "serve" | "migrate" | "seed-demo" | "materialize-slots"
    ) {
        eprintln!("error: unknown command '{command}'\n\n{USAGE}");
        return ExitCode::from(2);
    }

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config);

    match run(&command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
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
    println!();
}

async fn run(command: &str, config: Config) -> Result<(), String> {
    let pool = connect(&config)
        .await
        .map_err(|e| format!("cannot connect to the database given by DATABASE_URL: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| format!("applying database migrations failed: {e}"))?;

    match command {
        "migrate" => {
            println!("migrations applied");
        }
        "materialize-slots" => {
            let policy = app::server::db::settings::clinic_policy(&pool)
                .await
                .map_err(|e| format!("reading the clinic policy failed: {e}"))?;
            let report =
                app::server::schedule::materialize_slots(&pool, &policy, chrono::Utc::now())
                    .await
                    .map_err(|e| format!("materialising slots failed: {e}"))?;
            println!(
                "slots materialised for {} doctors: {} added, {} removed, {} opened/closed for holidays",
                report.doctors, report.inserted, report.removed, report.status_changed
            );
        }
        "seed-demo" => {
            let added = demo::seed_demo(&pool)
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
        _ => {
            let state = AppState {
                pool: pool.clone(),
                leptos_options: leptos_options(&config),
            };
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .map_err(|e| format!("cannot listen on {} (CLINIC_ADDR): {e}", config.addr))?;
            tracing::info!(addr = %config.addr, "listening on http://{}", config.addr);
            let jobs = jobs::spawn(pool.clone());
            let served = serve(listener, router(state), shutdown_signal()).await;
            jobs.abort();
            served.map_err(|e| format!("server error: {e}"))?;
            tracing::info!("stopped");
        }
    }
    pool.close().await;
    Ok(())
}
