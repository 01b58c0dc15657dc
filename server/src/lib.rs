//! Clinic Scheduler's server: builds the axum router around the Leptos app, connects to
//! PostgreSQL and serves until asked to stop. The binary (`main.rs`) adds a small CLI;
//! integration tests call [`router`] directly on port 0.

pub mod admin;
pub mod api_hygiene;
pub mod config;
pub mod downloads;
pub mod form_posts;
pub mod health;
pub mod jobs;
pub mod metrics;
pub mod notifications;
pub mod owner_scope;
pub mod page_cache;
pub mod security;
pub mod sms_inbound;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::services::auth::two_step::TwoStepKey;
use app::services::availability::AvailabilityIndex;
use app::services::state::AppState;
use app::services::state::SessionPolicy;
use app::{shell, App};
use axum::routing::{get, post};
use axum::Router;
use http::{HeaderName, Request};
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use secrecy::ExposeSecret;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

use crate::config::Config;
use crate::security::SecuritySettings;

/// Name of the bundle that `cargo xtask` builds into `<site_root>/pkg/`.
pub const OUTPUT_NAME: &str = "clinic";

pub async fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(config.database_url.expose_secret())
        .await
}

/// `cargo xtask build` names the bundle files by content and lists the names in
/// `hash.txt`; with it they are served as cacheable forever (see `security`).
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let hash_file = std::path::absolute(config.site_root.join("hash.txt"))
        .unwrap_or_else(|_| config.site_root.join("hash.txt"));
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .hash_files(hash_file.exists())
        // Leptos joins this to the executable's folder; an absolute path replaces it.
        .hash_file(hash_file.to_string_lossy().as_ref().into())
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// The key that seals two-step secrets: `CLINIC_MFA_KEY`, else the key file (made, readable
/// by this user only, when it does not exist yet).
pub fn two_step_key(config: &Config) -> Result<TwoStepKey, String> {
    if let Some(key) = &config.two_step_key {
        return Ok(key.clone());
    }
    let path = &config.two_step_key_file;
    let (key, made) = TwoStepKey::from_file(path)
        .map_err(|e| format!("CLINIC_MFA_KEY_FILE {}: {e}", path.display()))?;
    if made {
        tracing::warn!(
            path = %path.display(),
            "CLINIC_MFA_KEY is not set: made a new two-step key file (set CLINIC_MFA_KEY, the same on every instance, in production)"
        );
    }
    Ok(key)
}

/// Everything a running server needs, built from the configuration and a pool: applies
/// the session store's schema, then assembles the router.
pub async fn build_app(pool: PgPool, config: &Config) -> Result<Router, sqlx::Error> {
    build_app_with_index(pool, config, AvailabilityIndex::default()).await
}

/// [`build_app`] with this instance's availability index (`serve` starts one; without it
/// open times are read from PostgreSQL).
pub async fn build_app_with_index(
    pool: PgPool,
    config: &Config,
    availability: AvailabilityIndex,
) -> Result<Router, sqlx::Error> {
    let store = PostgresStore::new(pool.clone());
    store.migrate().await?;
    let two_step_key = two_step_key(config).map_err(|e| sqlx::Error::Configuration(e.into()))?;
    let state = AppState {
        two_step_key,
        pool,
        leptos_options: leptos_options(config),
        session_policy: SessionPolicy {
            idle: config.session_idle,
            absolute: config.session_absolute,
        },
        trust_forwarded_for: config.trust_forwarded_for,
        public_origin: config.public_origin.clone(),
        availability,
        read_pool: config
            .database_read_url
            .as_ref()
            .map(|url| {
                // Lazy: a replica that is down at start-up does not stop the server (its
                // readers fall back to the primary).
                PgPoolOptions::new()
                    .max_connections(config.db_max_connections)
                    .acquire_timeout(Duration::from_secs(2))
                    .connect_lazy(url.expose_secret())
            })
            .transpose()?,
    };
    // The development mailbox page exists only when mail is not going to a real server and
    // the server listens on loopback: the messages name patients and their visit times.
    let mailbox = match config.smtp_url {
        None if config.addr.ip().is_loopback() => {
            Some(notifications::mailbox_routes(config.mailbox_dir.clone()))
        }
        None => {
            tracing::warn!(
                "CLINIC_SMTP_URL is not set: email is written to the local mailbox folder only"
            );
            None
        }
        Some(_) => None,
    };
    Ok(router(state, store, config, mailbox))
}

/// The whole HTTP surface: health probes, pages, server functions and static files,
/// behind sessions, CSRF refusal, security headers and request ids.
pub fn router(
    state: AppState,
    store: PostgresStore,
    config: &Config,
    extra_routes: Option<Router<AppState>>,
) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let request_id = HeaderName::from_static("x-request-id");
    let security = Arc::new(SecuritySettings {
        https: config.secure_cookies,
        public_origin: config.public_origin.clone(),
    });
    // `__Host-` binds the cookie to this exact origin; browsers accept it only when Secure.
    let cookie_name = if config.secure_cookies {
        "__Host-clinic_session"
    } else {
        "clinic_session"
    };
    let sessions = SessionManagerLayer::new(store)
        .with_name(cookie_name)
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(config.session_idle.num_seconds()),
        ));
    let (csrf, headers) = (security.clone(), security);
    let pages = page_cache::PageCache::new(state.availability.clone());
    let http_metrics = metrics::HttpMetrics::default();
    let metrics_setup = metrics::MetricsSetup {
        token: config
            .metrics_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        http: http_metrics.clone(),
    };

    Router::new()
        .merge(extra_routes.unwrap_or_default())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/appointments/{id}/calendar.ics", get(downloads::appointment_ics))
        .route("/calendar/{file}", get(downloads::doctor_feed))
        .route("/admin/audit.csv", get(downloads::audit_csv))
        .route(
            "/sms/inbound",
            // One text is small: a gateway post past 16 KB is not one.
            post(sms_inbound::receive).layer(axum::extract::DefaultBodyLimit::max(16 * 1024)),
        )
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn(move |req, next| {
                    metrics::record(http_metrics.clone(), req, next)
                }))
                .layer(axum::Extension(metrics_setup))
                .layer(axum::Extension(sms_inbound::InboundSecret(
                    config.sms_inbound_secret.clone(),
                )))
                .layer(axum::middleware::from_fn(owner_scope::isolate_owner))
                .layer(axum::middleware::from_fn(security::clean_request_id))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        // Path only: query strings may carry personal data.
                        .make_span_with(|req: &Request<_>| {
                            let id = req
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(axum::middleware::from_fn(move |req, next| {
                    security::security_headers(headers.clone(), req, next)
                }))
                .layer(axum::middleware::from_fn(move |req, next| {
                    security::refuse_cross_site(csrf.clone(), req, next)
                }))
                // Outside the sessions layer: it sees (and skips) a page that sets a cookie.
                .layer(axum::middleware::from_fn(move |req, next| {
                    page_cache::cached_pages(pages.clone(), req, next)
                }))
                .layer(sessions)
                .layer(axum::middleware::from_fn(form_posts::plain_form_posts))
                .layer(axum::middleware::from_fn(api_hygiene::api_hygiene)),
        )
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(lookup: &[(&str, &str)]) -> Config {
        Config::from_lookup(|name| {
            if name == "DATABASE_URL" {
                return Some("postgres://unused/clinic".to_owned());
            }
            lookup
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .expect("configuration")
    }

    #[test]
    fn instances_starting_together_make_one_key_file_and_all_read_it() {
        let dir = std::env::temp_dir().join(format!("mfa-key-{}", uuid::Uuid::new_v4().simple()));
        let file = dir.join("keys").join("mfa.key");
        let file_text = file.to_string_lossy().into_owned();
        let keys: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let file_text = file_text.clone();
                    scope.spawn(move || {
                        let config = config_with(&[("CLINIC_MFA_KEY_FILE", &file_text)]);
                        two_step_key(&config).map(|key| format!("{key:?}")).unwrap();
                        std::fs::read_to_string(&file_text).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all");
        assert!(TwoStepKey::from_base64(&keys[0]).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by this user only");
        }
        // Nothing left aside.
        assert_eq!(
            std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
            1
        );
        // A file that is not a key stops the server with its name.
        std::fs::write(&file, "not a key").unwrap();
        let config = config_with(&[("CLINIC_MFA_KEY_FILE", &file_text)]);
        assert!(two_step_key(&config)
            .unwrap_err()
            .contains("CLINIC_MFA_KEY_FILE"));
        std::fs::remove_dir_all(&dir).unwrap();
        // A configured key needs no file; a bad one is refused at start-up.
        let configured = config_with(&[(
            "CLINIC_MFA_KEY",
            "dGVzdC1rZXktZm9yLXR3by1zdGVwLXNlY3JldHMtMzI=",
        )]);
        assert!(two_step_key(&configured).is_ok());
        let bad = Config::from_lookup(|name| match name {
            "DATABASE_URL" => Some("postgres://unused/clinic".to_owned()),
            "CLINIC_MFA_KEY" => Some("too short".to_owned()),
            _ => None,
        });
        assert_eq!(bad.unwrap_err().var, "CLINIC_MFA_KEY");
    }
}
