//! Background jobs inside the server process. Each is idempotent, so several server
//! instances running them at once is harmless (advisory locks and run records arrive
//! with the notifications work).

use std::time::Duration;

use app::server::{db, schedule};
use chrono::Utc;
use sqlx::PgPool;
use tokio::task::JoinHandle;

const SWEEP_EVERY: Duration = Duration::from_secs(60);
const MATERIALIZE_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
const SESSION_CLEANUP_EVERY: Duration = Duration::from_secs(60 * 60);

pub struct Jobs(Vec<JoinHandle<()>>);

impl Jobs {
    pub fn abort(self) {
        for handle in self.0 {
            handle.abort();
        }
    }
}

pub fn spawn(pool: PgPool) -> Jobs {
    let sweeper = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                match db::slots::release_expired_holds(&pool, Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(released = n, "expired holds released"),
                    Err(err) => tracing::warn!(error = %err, "releasing expired holds failed"),
                }
            }
        })
    };
    let session_cleanup = {
        let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
        tokio::spawn(async move {
            use tower_sessions::session_store::ExpiredDeletion;
            let mut tick = tokio::time::interval(SESSION_CLEANUP_EVERY);
            loop {
                tick.tick().await;
                if let Err(err) = store.delete_expired().await {
                    tracing::warn!(error = %err, "deleting expired sessions failed");
                }
            }
        })
    };
    let materializer = tokio::spawn(async move {
        // Runs at start-up, then keeps the horizon rolling forward.
        let mut tick = tokio::time::interval(MATERIALIZE_EVERY);
        loop {
            tick.tick().await;
            let result = match db::settings::clinic_policy(&pool).await {
                Ok(policy) => schedule::materialize_slots(&pool, &policy, Utc::now())
                    .await
                    .map(|_| ()),
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                tracing::warn!(error = %err, "materialising slots failed");
            }
        }
    });
    Jobs(vec![sweeper, session_cleanup, materializer])
}
