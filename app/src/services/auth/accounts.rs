//! Staff account management. Admin only; every action is audited.

use chrono::{DateTime, Utc};
use domain::account::{Email, NewPassword, PersonName};
use domain::audit::{AuditAction, AuditActor};
use sqlx::PgPool;

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::password::hash_password;
use crate::services::auth::session::CurrentUser;
use crate::services::call::{Call, Staff};
use crate::services::notify;
use crate::services::reassignment;
use crate::wire::accounts::AccountRow;
use domain::notify::NotificationKind;
use domain::role::Role;

/// An account as the staff's list shows it: staff, who have no person record, are
/// "Staff".
fn account_row(record: db::users::AccountRecord) -> AccountRow {
    AccountRow {
        user_id: record.user_id,
        email: record.email,
        role: record.role,
        display_name: record.display_name.unwrap_or_else(|| "Staff".to_owned()),
        disabled: record.disabled,
        two_step: record.two_step,
    }
}

fn entry(admin: &CurrentUser, action: AuditAction, target: Option<String>) -> audit::Entry {
    audit::Entry {
        actor_user_id: Some(admin.user_id),
        actor_role: AuditActor::Admin,
        action,
        patient_id: None,
        target,
        outcome: Outcome::Success,
        request_id: None,
    }
}

/// Every account, for staff (an audited read).
pub async fn list_accounts(call: &Call<Staff>) -> Result<Vec<AccountRow>, AppError> {
    let admin = &call.who.user;
    let mut tx = call.state.pool.begin().await?;
    let accounts = db::users::list_accounts(&mut tx)
        .await?
        .into_iter()
        .map(account_row)
        .collect();
    // Reading the list of accounts is audited.
    let record = audit::Entry {
        request_id: call.request_id.clone(),
        ..entry(admin, AuditAction::AccountList, None)
    };
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(accounts)
}

/// The new-account form (doctor or admin).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password: String,
    /// Doctors only; "General practice" when not given.
    pub specialty: Option<String>,
}

/// Creates a doctor or admin account (patients sign up themselves), audited and
/// welcomed by email.
pub async fn create_account(call: &Call<Staff>, form: NewAccount) -> Result<AccountRow, AppError> {
    let admin = &call.who.user;
    let NewAccount {
        role,
        first_name,
        last_name,
        email,
        password,
        specialty,
    } = form;
    let role = match Role::parse(role.trim()) {
        Some(role @ (Role::Doctor | Role::Admin)) => role,
        _ => {
            return Err(AppError::validation(
                "role",
                "Staff can create doctor and admin accounts; patients sign up themselves.",
            ))
        }
    };
    let email = Email::parse(&email)?;
    let first_name = PersonName::parse("first_name", &first_name)?;
    let last_name = PersonName::parse("last_name", &last_name)?;
    let password = NewPassword::parse("password", &password, Some(&email))?;
    let specialty = specialty
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if specialty.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(AppError::validation(
            "specialty",
            "Please use at most 100 characters.",
        ));
    }

    let (state, now) = (&call.state, call.now);
    let hash = hash_password(password.expose().to_owned()).await?;
    let mut tx = state.pool.begin().await?;
    let user_id = db::users::insert_user(&mut tx, email.as_str(), role, &hash, now).await?;
    if role == Role::Doctor {
        let specialty = specialty.as_deref().unwrap_or("General practice");
        db::users::insert_doctor(
            &mut tx,
            user_id,
            first_name.as_str(),
            last_name.as_str(),
            specialty,
        )
        .await?;
    }
    notify::account_event(&mut tx, user_id, NotificationKind::AccountWelcome, now).await?;
    let record = audit::Entry {
        request_id: call.request_id.clone(),
        ..entry(
            admin,
            AuditAction::AccountCreate,
            Some(format!("user:{user_id}")),
        )
    };
    audit::record(&mut tx, &record).await?;
    let account = db::users::account(&mut tx, user_id)
        .await?
        .map(account_row)
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(account)
}

/// [`set_account_disabled`] by the calling staff member.
pub async fn set_disabled(
    call: &Call<Staff>,
    user_id: i64,
    disabled: bool,
) -> Result<AccountRow, AppError> {
    set_account_disabled(
        &call.state.pool,
        &call.who.user,
        call.request_id.clone(),
        user_id,
        disabled,
        call.now,
    )
    .await
}

/// Disables (every session ends) or re-enables an account, audited. A disabled doctor is
/// never offered or assigned again and their upcoming visits go through rule 6, all in the
/// same transaction; re-enabling makes them bookable again (visits already queued stay
/// with staff).
pub async fn set_account_disabled(
    pool: &PgPool,
    admin: &CurrentUser,
    request_id: Option<String>,
    user_id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<AccountRow, AppError> {
    let mut tx = pool.begin().await?;
    let (account, _) = apply_disabled(&mut tx, admin, request_id, user_id, disabled, now).await?;
    tx.commit().await?;
    Ok(account)
}

/// [`set_account_disabled`] inside the caller's transaction (which may roll it back: the
/// preview of deactivating a doctor). Returns the account and what happened to a
/// doctor's upcoming visits.
pub async fn apply_disabled(
    tx: &mut sqlx::PgConnection,
    admin: &CurrentUser,
    request_id: Option<String>,
    user_id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<(AccountRow, reassignment::Outcome), AppError> {
    if admin.user_id == user_id && disabled {
        return Err(AppError::validation(
            "user_id",
            "You cannot disable your own account.",
        ));
    }
    let policy = db::settings::clinic_policy_in(&mut *tx).await?;
    if !db::users::set_disabled(&mut *tx, user_id, disabled, now).await? {
        return Err(AppError::NotFound);
    }
    let mut outcome = reassignment::Outcome::default();
    if let Some(doctor_id) = db::doctors::set_active_for_user(&mut *tx, user_id, !disabled).await? {
        if disabled {
            let by = reassignment::Actor {
                user_id: Some(admin.user_id),
                role: "admin",
            };
            outcome =
                reassignment::doctor_deactivated(&mut *tx, &policy, by, doctor_id, now).await?;
        }
    }
    let action = if disabled {
        AuditAction::AccountDisable
    } else {
        AuditAction::AccountEnable
    };
    let record = audit::Entry {
        request_id,
        ..entry(admin, action, Some(format!("user:{user_id}")))
    };
    audit::record(&mut *tx, &record).await?;
    let account = db::users::account(&mut *tx, user_id)
        .await?
        .map(account_row)
        .ok_or(AppError::NotFound)?;
    Ok((account, outcome))
}
