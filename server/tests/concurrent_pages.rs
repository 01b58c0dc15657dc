//! Many visitors at once: every page keeps its own request's state. Pages signed in and
//! anonymous, server functions and static files are fetched concurrently; every page's
//! Content-Security-Policy nonce must equal its hydration script's nonce (otherwise the
//! browser blocks the script and the page never comes alive), every signed-in page must be
//! its own user's, and the server must log no internal error.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{client, create_person, log_in};
use domain::role::Role;
use sqlx::PgPool;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Counts ERROR events and remembers their messages.
#[derive(Clone, Default)]
struct ErrorLog {
    count: Arc<AtomicUsize>,
    messages: Arc<std::sync::Mutex<Vec<String>>>,
}

struct Message(String);
impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for ErrorLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            self.count.fetch_add(1, Ordering::SeqCst);
            let mut message = Message(String::new());
            event.record(&mut message);
            self.messages.lock().unwrap().push(message.0);
        }
    }
}

fn attribute_after<'a>(haystack: &'a str, marker: &str) -> Option<&'a str> {
    let start = haystack.find(marker)? + marker.len();
    let rest = &haystack[start..];
    Some(&rest[..rest.find('"')?])
}

/// A site root with the static files a browser fetches beside each page.
fn site_root() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("clinic-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("pkg/clinic.css"), "body { margin: 0 }").unwrap();
    std::fs::write(
        dir.join("favicon.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    dir
}

#[test]
fn concurrent_pages_keep_their_own_nonce_user_and_state() {
    let errors = ErrorLog::default();
    let subscriber = tracing_subscriber::registry().with(errors.clone());
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber");

    // A multi-threaded runtime, as in production: tasks of different requests share
    // worker threads, which is where per-request state used to leak.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(errors));
}

async fn run(errors: ErrorLog) {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (cargo xtask test sets it)");
    let admin = PgPool::connect(&url).await.unwrap();
    let name = format!("concurrent_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let db_url = match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => unreachable!("DATABASE_URL has a database name"),
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(&db_url)
        .await
        .unwrap();
    app::db::MIGRATOR.run(&pool).await.unwrap();
    devdata::demo::seed_demo(&pool, &common::test_key())
        .await
        .unwrap();

    let root = site_root();
    let mut config = common::test_config(&[("CLINIC_DB_MAX_CONNECTIONS", "20")]);
    config.site_root = root.clone();
    let app = server::build_app(pool.clone(), &config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(listener, app, std::future::pending()));

    // Three signed-in patients with their own names, plus anonymous visitors.
    let mut people = Vec::new();
    for name in ["Quinta", "Rafferty", "Solveig"] {
        let person = create_person(&pool, Role::Patient, name).await;
        let c = client();
        log_in(&c, &base, &person.email).await;
        people.push((Some(name), c));
    }
    people.push((None, client()));

    let pages = [
        "/",
        "/book",
        "/login",
        "/appointments",
        "/profile",
        "/book?type=2",
    ];
    let statics = ["/pkg/clinic.css", "/favicon.svg"];
    let mut requests = Vec::new();
    for round in 0..10 {
        for (who, c) in &people {
            for (i, path) in pages.iter().enumerate() {
                let (page_client, page_base, who) = (c.clone(), base.clone(), *who);
                let path = path.to_string();
                requests.push(tokio::spawn(async move {
                    let (c, base) = (page_client, page_base);
                    let response = c.get(format!("{base}{path}")).send().await.unwrap();
                    let status = response.status().as_u16();
                    let csp = response
                        .headers()
                        .get("content-security-policy")
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default();
                    let html = response.text().await.unwrap();
                    Outcome::Page {
                        path,
                        who,
                        status,
                        csp,
                        html,
                    }
                }));
                let file = statics[(round + i) % statics.len()];
                let (c, base) = (c.clone(), base.clone());
                requests.push(tokio::spawn(async move {
                    let status = c
                        .get(format!("{base}{file}"))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    Outcome::Static { status }
                }));
            }
            // Server functions in the mix, as hydrated pages call them.
            let (c, base) = (c.clone(), base.clone());
            requests.push(tokio::spawn(async move {
                let status = common::call(&c, &base, "current_user", &[])
                    .await
                    .status()
                    .as_u16();
                Outcome::Static { status }
            }));
        }
    }
    assert!(requests.len() >= 200, "at least 200 concurrent requests");

    let mut pages_checked = 0;
    let mut problems = Vec::new();
    for request in requests {
        match request.await.unwrap() {
            Outcome::Static { status } => {
                if status != 200 {
                    problems.push(format!("static or server function answered {status}"));
                }
            }
            Outcome::Page {
                path,
                who,
                status,
                csp,
                html,
            } => {
                pages_checked += 1;
                // Anonymous visitors are sent to sign in from the private pages.
                let private = path == "/appointments" || path == "/profile";
                if who.is_none() && private && (300..400).contains(&status) {
                    continue;
                }
                if status != 200 {
                    problems.push(format!("{path} for {who:?} answered {status}"));
                    continue;
                }
                let script_nonce = attribute_after(&html, "<script type=\"module\" nonce=\"");
                let header_nonce = csp
                    .split("'nonce-")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next());
                if script_nonce.is_none() || script_nonce != header_nonce {
                    problems.push(format!(
                        "{path} for {who:?}: script nonce {script_nonce:?}, header {csp:?}"
                    ));
                }
                let others = ["Quinta", "Rafferty", "Solveig"]
                    .into_iter()
                    .filter(|n| Some(*n) != who);
                for other in others {
                    if html.contains(other) {
                        problems.push(format!("{path} for {who:?} shows {other}'s name"));
                    }
                }
                if let Some(me) = who {
                    if !html.contains(me) {
                        problems.push(format!("{path} for {me} does not show their name"));
                    }
                }
            }
        }
    }
    let logged = errors.messages.lock().unwrap().clone();
    assert!(
        problems.is_empty() && logged.is_empty(),
        "{} of {pages_checked} pages went wrong: {:#?}\n{} errors logged: {:#?}",
        problems.len(),
        &problems[..problems.len().min(20)],
        logged.len(),
        &logged[..logged.len().min(10)]
    );
    assert_eq!(errors.count.load(Ordering::SeqCst), 0);

    pool.close().await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&admin)
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(root);
}

enum Outcome {
    Page {
        path: String,
        who: Option<&'static str>,
        status: u16,
        csp: String,
        html: String,
    },
    Static {
        status: u16,
    },
}
