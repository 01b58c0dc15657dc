//! Finding, reading and recording patients.

use domain::account::{Email, PersonName};
use domain::audit::AuditAction;

use crate::db::{self, patients::PatientRow};
use crate::error::AppError;
use crate::services::auth::invite;
use crate::services::call::{Call, Staff};
use crate::services::staff::{audit_staff, audit_staff_reads};
use crate::wire::staff::patients::{OnlineAccess, PatientFile, PatientPage, PatientSummary};

const PAGE_SIZE: i64 = 25;

fn summary(row: PatientRow) -> PatientSummary {
    let access = match (
        &row.email,
        row.disabled,
        row.has_password,
        row.email_verified,
    ) {
        (None, _, _, _) => OnlineAccess::NoEmail,
        (Some(_), true, _, _) => OnlineAccess::Disabled,
        (Some(_), false, false, _) => OnlineAccess::NotYetSignedUp,
        (Some(_), false, true, false) => OnlineAccess::Unconfirmed,
        (Some(_), false, true, true) => OnlineAccess::Active,
    };
    PatientSummary {
        patient_id: row.patient_id,
        name: format!("{} {}", row.first_name, row.last_name),
        email: row.email,
        phone: row.phone,
        access,
        upcoming: row.upcoming,
    }
}

pub async fn find(call: &Call<Staff>, query: String, page: u32) -> Result<PatientPage, AppError> {
    let _admin = &call.who.user;
    let query = query.trim();
    if query.chars().count() < 2 || query.chars().count() > 100 {
        return Err(AppError::validation(
            "query",
            "Type at least 2 characters of a name, email or phone number.",
        ));
    }
    if page > 10_000 {
        return Err(AppError::validation(
            "page",
            "There are not that many pages.",
        ));
    }
    let state = &call.state;
    let mut rows = db::patients::search(
        &state.pool,
        query,
        PAGE_SIZE + 1,
        i64::from(page) * PAGE_SIZE,
    )
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let ids: Vec<i64> = rows.iter().map(|r| r.patient_id).collect();
    let mut tx = state.pool.begin().await?;
    audit_staff_reads(&mut tx, call, AuditAction::PatientSearch, &ids).await?;
    tx.commit().await?;
    Ok(PatientPage {
        rows: rows.into_iter().map(summary).collect(),
        page,
        more,
    })
}

pub async fn file(call: &Call<Staff>, patient_id: i64) -> Result<PatientFile, AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let mut tx = state.pool.begin().await?;
    let row = db::patients::by_id(&mut tx, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::PatientRead,
        Some(patient_id),
        format!("patient:{patient_id}"),
        None,
    )
    .await?;
    tx.commit().await?;
    let appointments = crate::services::visits::of_patient(&state.pool, patient_id).await?;
    let sms_opt_in = row.sms_opt_in;
    let user_id = row.user_id;
    Ok(PatientFile {
        user_id,
        patient: summary(row),
        sms_opt_in,
        appointments,
    })
}

/// A patient recorded by staff.
#[derive(Debug, Clone)]
pub struct NewPatient {
    pub first_name: String,
    pub last_name: String,
    /// Empty: none.
    pub email: String,
    /// Empty: none.
    pub phone: String,
    pub invite: bool,
}

pub async fn record(call: &Call<Staff>, input: NewPatient) -> Result<i64, AppError> {
    let _admin = &call.who.user;
    let first_name = PersonName::parse("first_name", &input.first_name)?;
    let last_name = PersonName::parse("last_name", &input.last_name)?;
    let email = match input.email.trim() {
        "" => None,
        typed => Some(Email::parse(typed)?),
    };
    let phone = crate::services::phone::as_stored(&call.state.pool, &input.phone).await?;
    if email.is_none() && phone.is_none() {
        return Err(AppError::validation(
            "phone",
            "Give a phone number or an email address, so the clinic can reach the patient.",
        ));
    }
    if input.invite && email.is_none() {
        return Err(AppError::validation(
            "email",
            "An invitation needs an email address.",
        ));
    }
    let state = &call.state;
    let now = call.now;
    let mut tx = state.pool.begin().await?;
    let user_id = match &email {
        Some(email) => {
            if db::patients::email_taken(&mut tx, email.as_str()).await? {
                return Err(AppError::validation(
                    "email",
                    "This address already has an account: search for the patient instead.",
                ));
            }
            Some(db::patients::insert_passwordless_user(&mut tx, email.as_str(), now).await?)
        }
        None => None,
    };
    let patient_id = db::patients::insert(
        &mut tx,
        user_id,
        first_name.as_str(),
        last_name.as_str(),
        phone.as_deref(),
    )
    .await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::PatientCreate,
        Some(patient_id),
        format!("patient:{patient_id}"),
        None,
    )
    .await?;
    if let (Some(user_id), true) = (user_id, input.invite) {
        invite::send_invitation(&mut tx, user_id, now).await?;
        audit_staff(
            &mut tx,
            call,
            AuditAction::PatientInvite,
            Some(patient_id),
            format!("patient:{patient_id}"),
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(patient_id)
}

pub async fn invite(call: &Call<Staff>, patient_id: i64) -> Result<(), AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let now = call.now;
    let mut tx = state.pool.begin().await?;
    let row = db::patients::by_id(&mut tx, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(user_id) = row.user_id.filter(|_| row.email.is_some()) else {
        return Err(AppError::validation(
            "patient_id",
            "This patient has no email address to invite.",
        ));
    };
    if row.has_password {
        return Err(AppError::validation(
            "patient_id",
            "This patient has chosen a password already.",
        ));
    }
    if !invite::send_invitation(&mut tx, user_id, now).await? {
        return Err(AppError::validation(
            "patient_id",
            "Several invitations went out in the last hour; try again later.",
        ));
    }
    audit_staff(
        &mut tx,
        call,
        AuditAction::PatientInvite,
        Some(patient_id),
        format!("patient:{patient_id}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
