//! Repositories: all SQL lives here, lowercase, one file per aggregate. Queries use
//! sqlx's runtime API (`query_as` + `FromRow`) so builds need neither a live database
//! nor committed offline query data.

pub mod appointments;
pub mod attention;
pub mod audit_log;
pub mod doctors;
pub mod family;
pub mod jobs;
pub mod listener;
pub mod notifications;
pub mod passkeys;
pub mod patients;
pub mod schedule;
pub mod settings;
pub mod slots;
pub mod sms;
pub mod tokens;
pub mod two_factor;
pub mod users;
pub mod visit_links;
pub mod visit_types;
pub mod waitlist;

use sqlx::migrate::Migrator;
use sqlx::PgPool;

/// The schema, embedded at compile time; applied by the server at start-up and by
/// `#[sqlx::test(migrator = "app::db::MIGRATOR")]` in tests.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A case-insensitive `like` pattern for "contains `text`" (compare with a lowercased
/// column); `%`, `_` and `\` typed by a person are matched literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The cheapest statement: does the database answer at all (readiness probe)?
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("select 1").execute(pool).await?;
    Ok(())
}
