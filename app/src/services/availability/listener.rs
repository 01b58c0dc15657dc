//! How the index follows the database: `LISTEN availability`, notifications applied in
//! batches in commit order, barriers for reads that must see a change just committed,
//! reconnecting and rebuilding when the connection is lost, periodic reconciliation.

use std::sync::atomic::Ordering;

use chrono::DateTime;
use sqlx::postgres::PgListener;
use sqlx::PgPool;

use crate::db;
use crate::error::AppError;

use super::index::{AvailabilityIndex, Span, MAX_BATCH, RECONCILE_EVERY};

impl AvailabilityIndex {
    /// Applies notifications received together, in order. Runs of slot changes are read
    /// in one query on the listener's own connection: under booking load the pool's
    /// connections are all busy with requests, and the index must not queue behind them.
    async fn apply_all(
        &self,
        listener: &mut PgListener,
        pool: &PgPool,
        payloads: Vec<String>,
    ) -> Result<(), AppError> {
        let mut spans = Vec::new();
        for payload in payloads {
            if let Some(Some((doctor_id, Some((from, to))))) =
                payload.strip_prefix("doctor:").map(parse_doctor_change)
            {
                spans.push((doctor_id, from, to));
                continue;
            }
            // Anything else (a barrier above all) comes after the changes before it.
            self.reload_spans(&mut *listener, &std::mem::take(&mut spans))
                .await?;
            self.apply(pool, &payload).await?;
        }
        self.reload_spans(&mut *listener, &spans).await
    }

    fn barrier_tag(&self) -> &str {
        self.inner
            .barrier_tag
            .get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
    }

    /// Waits until every change committed before this call is in the index, for a read
    /// that must see what was just written (possibly by another instance): staff
    /// suggestions right after a holiday, say. A barrier through the listener:
    /// PostgreSQL delivers notifications in commit order, and the listener applies them
    /// one by one, so once it reaches this call's own notification everything committed
    /// earlier has been applied. False when the index is not following the database or
    /// did not get there `within`: the caller then reads the database.
    pub async fn catch_up(&self, pool: &PgPool, within: std::time::Duration) -> bool {
        if !self.is_enabled() || !self.inner.following.load(Ordering::SeqCst) {
            return false;
        }
        let mut reached = self.inner.barrier_reached.subscribe();
        let barrier = self.inner.barriers_sent.fetch_add(1, Ordering::SeqCst) + 1;
        let payload = format!("barrier:{}:{barrier}", self.barrier_tag());
        if let Err(err) = db::listener::notify_availability(pool, &payload).await {
            tracing::warn!(error = %err, "availability index: could not send a barrier");
            return false;
        }
        let waited = tokio::time::timeout(within, reached.wait_for(|seen| *seen >= barrier)).await;
        matches!(waited, Ok(Ok(_)))
    }

    async fn apply(&self, pool: &PgPool, payload: &str) -> Result<(), AppError> {
        if payload == "settings" {
            self.forget_settings();
            return Ok(());
        }
        if let Some(barrier) = payload.strip_prefix("barrier:") {
            let ours = barrier
                .strip_prefix(self.barrier_tag())
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(n) = ours {
                self.inner
                    .barrier_reached
                    .send_modify(|seen| *seen = (*seen).max(n));
            }
            return Ok(());
        }
        match payload.strip_prefix("doctor:").map(parse_doctor_change) {
            Some(Some((doctor_id, None))) => self.reload_doctor(pool, doctor_id).await,
            Some(Some((doctor_id, Some((from, to))))) => {
                self.reload_spans(pool, &[(doctor_id, from, to)]).await
            }
            // 'all', or anything not understood: everything afresh.
            _ => self.rebuild(pool).await,
        }
    }

    /// Listens first, then builds (so no change falls between), then follows the
    /// notifications; on a lost connection starts over.
    pub(super) async fn keep_current(self, pool: PgPool) {
        // Waits longer after each failure in a row (the database down): 0.5 s up to 10 s.
        let mut wait = std::time::Duration::from_millis(500);
        loop {
            let started = std::time::Instant::now();
            let followed = self.follow(&pool).await;
            self.inner.following.store(false, Ordering::SeqCst);
            if let Err(err) = followed {
                tracing::warn!(error = %err, retry_in_ms = wait.as_millis() as u64, "availability index: listener failed; starting over");
            }
            if started.elapsed() > std::time::Duration::from_secs(60) {
                wait = std::time::Duration::from_millis(500);
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(std::time::Duration::from_secs(10));
        }
    }

    async fn follow(&self, pool: &PgPool) -> Result<(), AppError> {
        let mut listener = PgListener::connect_with(pool).await?;
        // Named, for whoever reads pg_stat_activity: it also runs the index's reloads.
        db::listener::name_connection(&mut listener, "clinic availability listener").await?;
        listener.listen("availability").await?;
        // Whatever changed while nobody listened is read afresh.
        self.forget_settings();
        self.inner.following.store(true, Ordering::SeqCst);
        self.rebuild(pool).await?;
        tracing::info!(stats = ?self.stats(), "availability index built");
        let mut reconcile = tokio::time::interval(RECONCILE_EVERY);
        reconcile.tick().await;
        loop {
            tokio::select! {
                message = listener.try_recv() => match message? {
                    Some(n) => {
                        // And whatever else has arrived meanwhile, applied together.
                        let mut payloads = vec![n.payload().to_owned()];
                        while payloads.len() < MAX_BATCH {
                            match listener.next_buffered() {
                                Some(n) => payloads.push(n.payload().to_owned()),
                                None => break,
                            }
                        }
                        self.apply_all(&mut listener, pool, payloads).await?
                    }
                    None => {
                        tracing::warn!("availability index: listener connection lost; rebuilding");
                        return Ok(());
                    }
                },
                _ = reconcile.tick() => {
                    self.reconcile(pool).await?;
                }
            }
        }
    }
}

/// `<id>` or `<id>:<from>:<to>` (epoch seconds) of a `doctor:` notification.
fn parse_doctor_change(rest: &str) -> Option<(i64, Option<Span>)> {
    let mut parts = rest.split(':');
    let doctor_id = parts.next()?.parse().ok()?;
    let span = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => None,
        (Some(from), Some(to), None) => {
            let at = |t: &str| DateTime::from_timestamp(t.parse().ok()?, 0);
            Some((at(from)?, at(to)?))
        }
        _ => return None,
    };
    Some((doctor_id, span))
}

#[cfg(test)]
mod tests {
    use super::parse_doctor_change;
    use chrono::DateTime;

    #[test]
    fn reads_a_doctor_or_a_doctors_span() {
        assert_eq!(parse_doctor_change("42"), Some((42, None)));
        let (from, to) = (
            DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
            DateTime::from_timestamp(1_900_001_800, 0).unwrap(),
        );
        assert_eq!(
            parse_doctor_change("42:1900000000:1900001800"),
            Some((42, Some((from, to))))
        );
        for bad in [
            "",
            "x",
            "42:1",
            "42:1:2:3",
            "42:a:b",
            "42:1:99999999999999999999",
        ] {
            assert_eq!(parse_doctor_change(bad), None, "{bad}");
        }
    }
}
