//! Application state, handed to axum as router state and to server functions as Leptos
//! context (leptos_axum provides the router state to every server function).

use axum::extract::FromRef;
use chrono::Duration;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;

/// Session timeouts (OWASP ASVS 5.0, 7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub session_policy: SessionPolicy,
    /// Behind a reverse proxy, take the client address from the last `X-Forwarded-For`
    /// hop (the one our proxy added) instead of the TCP peer (the proxy itself).
    pub trust_forwarded_for: bool,
    /// `CLINIC_PUBLIC_ORIGIN` (e.g. `https://clinic.example.org`): the base of links
    /// handed out for use elsewhere, such as a doctor's calendar feed.
    pub public_origin: Option<String>,
    /// This instance's index of open slots (switched off unless started).
    pub availability: crate::services::availability::AvailabilityIndex,
    /// `DATABASE_READ_URL`: a streaming replica, for reads that may be a moment old and
    /// are nobody's own just-written data (the public doctor list). Writes, booking, the
    /// index (which must match the NOTIFYs it follows) and a person's own pages stay on
    /// `pool`, so everyone reads their own writes.
    pub read_pool: Option<PgPool>,
    /// Seals two-step sign-in secrets (`CLINIC_MFA_KEY`).
    pub two_step_key: crate::services::auth::two_step::key::TwoStepKey,
}

impl AppState {
    /// The origin for absolute links: the configured public origin, else `http://` and
    /// the request's `Host` (only plain host characters accepted; local use).
    pub fn link_origin(&self, host: Option<&str>) -> String {
        if let Some(origin) = &self.public_origin {
            return origin.trim_end_matches('/').to_owned();
        }
        let host = host
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(public_origin: Option<&str>) -> AppState {
        AppState {
            read_pool: None,
            pool: PgPool::connect_lazy("postgres://unused/clinic").expect("lazy pool"),
            leptos_options: LeptosOptions::builder().output_name("clinic").build(),
            session_policy: SessionPolicy::default(),
            trust_forwarded_for: false,
            public_origin: public_origin.map(str::to_owned),
            availability: Default::default(),
            two_step_key: crate::services::auth::two_step::key::TwoStepKey::from_base64(
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            )
            .expect("a test key"),
        }
    }

    #[tokio::test]
    async fn links_use_the_public_origin_else_the_plain_host() {
        let configured = state(Some("https://clinic.example.org/"));
        assert_eq!(
            configured.link_origin(Some("evil.test")),
            "https://clinic.example.org"
        );
        let local = state(None);
        assert_eq!(
            local.link_origin(Some("127.0.0.1:3000")),
            "http://127.0.0.1:3000"
        );
        assert_eq!(local.link_origin(Some("a b/<x>")), "http://localhost");
        assert_eq!(local.link_origin(None), "http://localhost");
    }
}
