//! `server [serve|migrate|...|help]` — see `server help`. The data generators (demo and
//! benchmark clinics) are a separate development binary, `clinic-devdata` (`devdata/`).

use std::process::ExitCode;

use app::db::MIGRATOR;
use app::services::availability::AvailabilityIndex;
use server::config::Config;
use server::{admin, build_app_with_index, connect, jobs, serve, shutdown_signal, telemetry};

/// mimalloc, not glibc's malloc. A page render allocates thousands of small strings and
/// reactive nodes from many threads at once. Under 16 concurrent signed-in `/book`
/// renders, glibc's allocator was a third of the server's CPU samples (perf). Swapping it
/// in one A/B/A/B run (wrk, 16 connections, demo clinic, release build) took `/book` from
/// 152 and 171 to 292 and 318 req/s, p50 from 97 and 92 to 50 and 46 ms; `/appointments`
/// from 532 and 593 to 729 and 772 req/s.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
usage: server [COMMAND]

commands:
  serve       apply migrations, then serve HTTP (default)
  migrate     apply migrations and exit
  materialize-slots
              create/update slots from weekly hours up to the booking horizon (the server
              also does this at start-up and every 6 hours)
  create-admin --email EMAIL [--first-name NAME] [--last-name NAME]
              create an admin account; the password is read from CLINIC_ADMIN_PASSWORD
              or, when unset, from the first line of standard input
  verify-audit
              check the audit log's hash chain; exits 1 and names the first broken row
  dead-letters
              list notifications that could not be delivered (kept for staff)
  retry-dead-letters
              queue every dead notification for delivery again
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
        "serve"
            | "migrate"
            | "materialize-slots"
            | "create-admin"
            | "verify-audit"
            | "dead-letters"
            | "retry-dead-letters"
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

/// The value after `name` in `args`, e.g. `--email a@b.c`.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

async fn run(command: &str, config: Config) -> Result<(), String> {
    let pool = connect(&config)
        .await
        .map_err(|e| format!("cannot connect to the database given by DATABASE_URL: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| format!("applying database migrations failed: {e}"))?;
    // Numbers stored before they were kept as E.164 (a data step SQL cannot do).
    let rewritten = app::services::phone::normalise_stored(&pool)
        .await
        .map_err(|e| format!("normalising stored phone numbers failed: {e}"))?;
    if rewritten > 0 {
        tracing::info!(rewritten, "stored phone numbers rewritten as E.164");
    }

    match command {
        "migrate" => {
            println!("migrations applied");
        }
        "create-admin" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let email = flag(&args, "--email").ok_or("create-admin needs --email EMAIL")?;
            let password = match std::env::var("CLINIC_ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    eprintln!("password for {email} (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(|e| format!("reading the password: {e}"))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let user_id = admin::create_admin(
                &pool,
                &email,
                &flag(&args, "--first-name").unwrap_or_else(|| "Clinic".into()),
                &flag(&args, "--last-name").unwrap_or_else(|| "Admin".into()),
                &password,
            )
            .await
            .map_err(|e| format!("creating the admin failed: {e}"))?;
            println!("admin account created (user id {user_id})");
        }
        "verify-audit" => {
            match app::services::audit::verify_chain(&pool)
                .await
                .map_err(|e| format!("reading the audit log failed: {e}"))?
            {
                app::services::audit::ChainReport::Intact { rows } => {
                    println!("audit log intact: {rows} rows verified")
                }
                app::services::audit::ChainReport::Broken {
                    chain_seq,
                    audit_id,
                    problem,
                } => {
                    let id = audit_id.map_or_else(|| "-".to_owned(), |id| id.to_string());
                    return Err(format!(
                        "audit log BROKEN at chain_seq {chain_seq} (audit_id {id}): {problem}"
                    ));
                }
            }
        }
        "dead-letters" => {
            let dead = app::db::notifications::dead_messages(&pool)
                .await
                .map_err(|e| format!("reading notifications failed: {e}"))?;
            println!("{} dead notifications", dead.len());
            for d in dead {
                println!(
                    "  #{} {} by {} (appointment {}) after {} attempts, last at {}: {}",
                    d.notification_id,
                    d.kind,
                    d.channel,
                    d.appointment_id
                        .map_or_else(|| "-".to_owned(), |a| a.to_string()),
                    d.attempts,
                    d.updated_at.to_rfc3339(),
                    d.last_error.unwrap_or_default()
                );
            }
        }
        "retry-dead-letters" => {
            let dead = app::db::notifications::dead_messages(&pool)
                .await
                .map_err(|e| format!("reading notifications failed: {e}"))?;
            let ids: Vec<i64> = dead.iter().map(|d| d.notification_id).collect();
            let n = app::db::notifications::retry_dead(&pool, &ids, chrono::Utc::now())
                .await
                .map_err(|e| format!("requeueing failed: {e}"))?;
            println!("{n} notifications queued again");
        }
        "materialize-slots" => {
            let policy = app::db::settings::clinic_policy(&pool)
                .await
                .map_err(|e| format!("reading the clinic policy failed: {e}"))?;
            let report =
                app::services::schedule::materialize_slots(&pool, &policy, chrono::Utc::now())
                    .await
                    .map_err(|e| format!("materialising slots failed: {e}"))?;
            println!(
                "slots materialised for {} doctors: {} added, {} removed, {} opened/closed for holidays",
                report.doctors, report.inserted, report.removed, report.status_changed
            );
        }
        _ => {
            let availability = if config.availability_index {
                AvailabilityIndex::start(pool.clone())
            } else {
                AvailabilityIndex::default()
            };
            let app = build_app_with_index(pool.clone(), &config, availability)
                .await
                .map_err(|e| format!("preparing the session store failed: {e}"))?;
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .map_err(|e| format!("cannot listen on {} (CLINIC_ADDR): {e}", config.addr))?;
            tracing::info!(addr = %config.addr, "listening on http://{}", config.addr);
            let channels = server::notifications::channels(&config)?;
            let jobs = jobs::spawn(pool.clone(), channels);
            let served = serve(listener, app, shutdown_signal()).await;
            jobs.shutdown(std::time::Duration::from_secs(20)).await;
            served.map_err(|e| format!("server error: {e}"))?;
            tracing::info!("stopped");
        }
    }
    pool.close().await;
    Ok(())
}
