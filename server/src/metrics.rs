//! `GET /metrics` in the Prometheus text format, for operators. Not public: it answers
//! only with `Authorization: Bearer <CLINIC_METRICS_TOKEN>`, and not at all (404) when
//! that is unset.
//!
//! Requests are counted here, by route template (never the raw path: no ids or query
//! strings, bounded label values) and status, with a latency histogram. The booking
//! counters come from `app::services::counters`; the outbox, jobs and pool figures are
//! read when scraped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::services::counters;
use app::services::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request figures by (route, status); shared by the middleware and the endpoint.
#[derive(Clone, Default)]
pub struct HttpMetrics {
    series: Arc<Mutex<BTreeMap<(String, u16), Series>>>,
}

impl HttpMetrics {
    fn observe(&self, route: String, status: u16, seconds: f64) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let s = series.entry((route, status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (bucket, bound) in s.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    fn render(&self, out: &mut String) {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP clinic_http_requests_total HTTP requests answered, by route template and status.\n# TYPE clinic_http_requests_total counter\n");
        for ((route, status), s) in series.iter() {
            let _ = writeln!(
                out,
                "clinic_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP clinic_http_request_duration_seconds Time to answer, by route template and status.\n# TYPE clinic_http_request_duration_seconds histogram\n");
        for ((route, status), s) in series.iter() {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            for (bucket, bound) in s.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "clinic_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {bucket}"
                );
            }
            let _ = writeln!(
                out,
                "clinic_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 clinic_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 clinic_http_request_duration_seconds_count{{{labels}}} {}",
                s.count, s.sum, s.count
            );
        }
    }
}

/// The middleware: times every request and counts it under its route template.
pub async fn record(metrics: HttpMetrics, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Leptos pages and server functions are one axum route each, so the template is the
    // page path or `/api/<function>`; anything unrouted (static files, 404s) is grouped.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| {
            if req.uri().path().starts_with("/pkg/") {
                "/pkg/*".to_owned()
            } else {
                "unrouted".to_owned()
            }
        });
    let response = next.run(req).await;
    metrics.observe(
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Constant-time comparison (the token is a secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(token: Option<&str>, headers: &HeaderMap) -> Option<bool> {
    let token = token?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    Some(same(given.as_bytes(), token.as_bytes()))
}

/// One metric family: its help and type lines, then a sample per label set.
fn family(out: &mut String, name: &str, help: &str, kind: &str, rows: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in rows {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(
    State(state): State<AppState>,
    axum::Extension(setup): axum::Extension<MetricsSetup>,
    headers: HeaderMap,
) -> Response {
    match authorized(setup.token.as_deref(), &headers) {
        None => return StatusCode::NOT_FOUND.into_response(),
        Some(false) => {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is required",
            )
                .into_response()
        }
        Some(true) => {}
    }
    let mut out = String::new();
    setup.http.render(&mut out);

    let booking = counters::snapshot();
    family(
        &mut out,
        "clinic_booking_operations_total",
        "Booking operations done by this instance, by kind (refused ones under conflicts).",
        "counter",
        &booking
            .iter()
            .map(|(kind, n)| (format!("kind=\"{kind}\""), *n as f64))
            .collect::<Vec<_>>(),
    );

    let index = state.availability.stats();
    family(
        &mut out,
        "clinic_availability_index_doctor_days",
        "Doctor-days held by this instance's availability index.",
        "gauge",
        &[(String::new(), index.doctor_days as f64)],
    );
    family(
        &mut out,
        "clinic_availability_index_bytes",
        "Approximate memory of the availability index.",
        "gauge",
        &[(String::new(), index.approx_bytes as f64)],
    );
    family(
        &mut out,
        "clinic_availability_index_ready",
        "1 when the index is built and following the database.",
        "gauge",
        &[(
            String::new(),
            f64::from(u8::from(state.availability.is_following())),
        )],
    );
    family(
        &mut out,
        "clinic_availability_index_events_total",
        "Index maintenance: full rebuilds, one-doctor reloads, doctor-days repaired by reconciliation.",
        "counter",
        &[
            ("event=\"rebuild\"".to_owned(), index.rebuilds as f64),
            ("event=\"doctor_reload\"".to_owned(), index.doctor_reloads as f64),
            ("event=\"drift_repair\"".to_owned(), index.drift_repairs as f64),
        ],
    );

    let size = state.pool.size();
    let idle = state.pool.num_idle() as u32;
    family(
        &mut out,
        "clinic_db_pool_connections",
        "This instance's database connections, by state.",
        "gauge",
        &[
            (
                "state=\"in_use\"".to_owned(),
                f64::from(size.saturating_sub(idle)),
            ),
            ("state=\"idle\"".to_owned(), f64::from(idle)),
            (
                "state=\"max\"".to_owned(),
                f64::from(state.pool.options().get_max_connections()),
            ),
        ],
    );
    family(
        &mut out,
        "clinic_db_unavailable_total",
        "Requests answered 503 because the database was away or no connection came in time.",
        "counter",
        &[(
            String::new(),
            app::error::database_unavailable_count() as f64,
        )],
    );

    // Read from the database: the figures every instance shares.
    match database_figures(&state.pool).await {
        Ok(text) => out.push_str(&text),
        Err(err) => {
            tracing::warn!(error = %err, "metrics: database figures unavailable");
            family(
                &mut out,
                "clinic_metrics_database_up",
                "0 when the database figures could not be read.",
                "gauge",
                &[(String::new(), 0.0)],
            );
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

async fn database_figures(pool: &sqlx::PgPool) -> Result<String, sqlx::Error> {
    let mut out = String::new();
    // The partial indexes on pending/sending and dead messages keep this cheap however
    // many messages were sent.
    let outbox = app::db::notifications::outbox_gauges(pool).await?;
    family(
        &mut out,
        "clinic_outbox_messages",
        "Notifications waiting, being sent, or given up on.",
        "gauge",
        &outbox
            .iter()
            .map(|(s, n, _)| (format!("state=\"{s}\""), *n as f64))
            .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "clinic_outbox_oldest_pending_seconds",
        "Age of the oldest notification not yet sent (0 when none).",
        "gauge",
        &[(
            String::new(),
            outbox
                .iter()
                .find(|(s, _, _)| s == "pending")
                .and_then(|(_, _, age)| *age)
                .unwrap_or(0.0),
        )],
    );
    let jobs = app::db::jobs::seconds_since_runs(pool).await?;
    family(
        &mut out,
        "clinic_job_seconds_since_success",
        "Seconds since each scheduled job last succeeded (absent: not in 7 days).",
        "gauge",
        &jobs
            .iter()
            .filter_map(|(job, ok, _)| ok.map(|s| (format!("job=\"{job}\""), s)))
            .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "clinic_job_seconds_since_run",
        "Seconds since each scheduled job last ran, whatever its outcome.",
        "gauge",
        &jobs
            .iter()
            .map(|(job, _, any)| (format!("job=\"{job}\""), *any))
            .collect::<Vec<_>>(),
    );
    Ok(out)
}

/// What the endpoint needs besides the app state.
#[derive(Clone)]
pub struct MetricsSetup {
    pub token: Option<String>,
    pub http: HttpMetrics,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_compared_exactly() {
        let mut headers = HeaderMap::new();
        assert_eq!(authorized(None, &headers), None);
        assert_eq!(authorized(Some("s3cret-token"), &headers), Some(false));
        headers.insert(
            header::AUTHORIZATION,
            "Bearer s3cret-tokeN".parse().unwrap(),
        );
        assert_eq!(authorized(Some("s3cret-token"), &headers), Some(false));
        headers.insert(
            header::AUTHORIZATION,
            "Bearer s3cret-token".parse().unwrap(),
        );
        assert_eq!(authorized(Some("s3cret-token"), &headers), Some(true));
    }

    #[test]
    fn a_histogram_counts_into_every_bucket_at_or_above() {
        let m = HttpMetrics::default();
        m.observe("/book".into(), 200, 0.004);
        m.observe("/book".into(), 200, 0.3);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("clinic_http_requests_total{route=\"/book\",status=\"200\"} 2"));
        assert!(out.contains("le=\"0.0025\"} 0"));
        assert!(out.contains("le=\"0.005\"} 1"));
        assert!(out.contains("le=\"0.5\"} 2"));
        assert!(out.contains("le=\"+Inf\"} 2"));
    }
}
