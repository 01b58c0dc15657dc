//! Operator commands that create accounts outside the web UI (the first admin).

use app::db;
use app::services::audit::{self, Outcome};
use app::services::auth::password::hash_password;
use app::AppError;
use chrono::Utc;
use domain::account::{Email, NewPassword, PersonName};
use domain::role::Role;
use sqlx::PgPool;

/// Creates an admin account; the same password rules as everywhere (no default password
/// exists anywhere in the code).
pub async fn create_admin(
    pool: &PgPool,
    email: &str,
    first: &str,
    last: &str,
    password: &str,
) -> Result<i64, AppError> {
    let email = Email::parse(email)?;
    PersonName::parse("first_name", first)?;
    PersonName::parse("last_name", last)?;
    let password = NewPassword::parse("password", password, Some(&email))?;
    let hash = hash_password(password.expose().to_owned()).await?;
    let mut tx = pool.begin().await?;
    let user_id =
        db::users::insert_user(&mut tx, email.as_str(), Role::Admin, &hash, Utc::now()).await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: None,
            actor_role: domain::audit::AuditActor::System,
            action: domain::audit::AuditAction::AccountCreate,
            patient_id: None,
            target: Some(format!("user:{user_id}")),
            outcome: Outcome::Success,
            request_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}
