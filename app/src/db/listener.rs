//! PostgreSQL `LISTEN/NOTIFY` as the availability index uses it: notifications are sent
//! by triggers (migrations 013, 014, 016) and, for a barrier, from here.

use sqlx::postgres::PgListener;
use sqlx::PgPool;

/// Sends `payload` on the `availability` channel (delivered after commit, in order).
pub async fn notify_availability(pool: &PgPool, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_notify('availability', $1)")
        .bind(payload)
        .execute(pool)
        .await?;
    Ok(())
}

/// Names the listener's connection, for whoever reads `pg_stat_activity`.
pub async fn name_connection(listener: &mut PgListener, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select set_config('application_name', $1, false)")
        .bind(name)
        .execute(listener)
        .await?;
    Ok(())
}
