//! Family links as staff keep them: add a person to a carer's family, link an existing
//! patient to a carer, or unlink them — each with a reason, audited (the reason is the
//! audit row's detail).

use domain::audit::{AuditAction, AuditActor};

use crate::db::{self, family::Ended};
use crate::error::AppError;
use crate::services::call::{Call, Staff};
use crate::services::family::{self as family, Actor, PersonForm};
use crate::services::staff::audit_staff;
use crate::wire::family::StaffFamilyView;

/// Longest reason staff give.
const MAX_REASON_CHARS: usize = 500;

fn actor(call: &Call<Staff>) -> Actor {
    Actor {
        user_id: call.who.user.user_id,
        role: AuditActor::Admin,
        request_id: call.request_id.clone(),
    }
}

fn reason(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::validation(
            "reason",
            "Say why (for example: \"asked in person, ID checked\").",
        ));
    }
    if text.chars().count() > MAX_REASON_CHARS || text.chars().any(char::is_control) {
        return Err(AppError::validation(
            "reason",
            format!("Please keep the reason to one line under {MAX_REASON_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

/// Whom the patient looks after, and who looks after them (an audited read).
pub async fn of(call: &Call<Staff>, patient_id: i64) -> Result<StaffFamilyView, AppError> {
    let policy = db::settings::clinic_policy(&call.state.pool).await?;
    let today = domain::schedule::local_date(policy.time_zone(), call.now);
    let mut tx = call.state.pool.begin().await?;
    if db::patients::by_id(&mut tx, patient_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let cares_for = db::family::people_of(&mut tx, patient_id).await?;
    let carers = db::family::carers_of(&mut tx, patient_id).await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::PatientRead,
        Some(patient_id),
        format!("family:{patient_id}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(StaffFamilyView {
        cares_for: cares_for
            .into_iter()
            .map(|r| family::person_view(r, today))
            .collect(),
        carers: carers.into_iter().map(family::carer_view).collect(),
    })
}

/// A carer must be a patient with an online account (they act by signing in).
async fn check_carer(conn: &mut sqlx::PgConnection, carer: i64) -> Result<(), AppError> {
    let someone = db::patients::by_id(conn, carer)
        .await?
        .ok_or(AppError::NotFound)?;
    if someone.user_id.is_none() {
        return Err(AppError::validation(
            "carer_patient_id",
            format!(
                "{} has no online account: record their email address first.",
                someone.first_name
            ),
        ));
    }
    Ok(())
}

/// Adds a new person to `carer`'s family; returns the person's patient id.
pub async fn add_person(
    call: &Call<Staff>,
    carer: i64,
    form: PersonForm,
    why: String,
) -> Result<i64, AppError> {
    let why = reason(&why)?;
    let person = family::parse_person(&call.state.pool, &form, call.now).await?;
    let mut tx = call.state.pool.begin().await?;
    check_carer(&mut tx, carer).await?;
    let id =
        family::add_person_for(&mut tx, &actor(call), carer, person, Some(&why), call.now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Links an existing patient to a carer.
pub async fn link(
    call: &Call<Staff>,
    carer: i64,
    patient_id: i64,
    relationship: String,
    why: String,
) -> Result<(), AppError> {
    let why = reason(&why)?;
    let relationship = domain::family::Relationship::parse(&relationship)?;
    if carer == patient_id {
        return Err(AppError::validation(
            "patient_id",
            "A patient cannot look after themselves.",
        ));
    }
    let mut tx = call.state.pool.begin().await?;
    check_carer(&mut tx, carer).await?;
    if !db::users::lock_patient(&mut tx, patient_id).await? {
        return Err(AppError::validation(
            "patient_id",
            "There is no patient with that number.",
        ));
    }
    if db::family::count_of(&mut tx, carer).await? >= domain::family::MAX_PEOPLE {
        return Err(AppError::validation(
            "carer_patient_id",
            format!(
                "One account can look after at most {} people.",
                domain::family::MAX_PEOPLE
            ),
        ));
    }
    if !db::family::link(
        &mut tx,
        carer,
        patient_id,
        relationship.as_str(),
        call.who.user.user_id,
        call.now,
    )
    .await?
    {
        return Err(AppError::validation(
            "patient_id",
            "They are linked already.",
        ));
    }
    audit_staff(
        &mut tx,
        call,
        AuditAction::FamilyLink,
        Some(patient_id),
        format!("carer:{carer}"),
        Some(&why),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the link between a carer and a patient.
pub async fn unlink(
    call: &Call<Staff>,
    carer: i64,
    patient_id: i64,
    why: String,
) -> Result<(), AppError> {
    let why = reason(&why)?;
    let mut tx = call.state.pool.begin().await?;
    family::end_link(
        &mut tx,
        &actor(call),
        carer,
        patient_id,
        Ended::Unlinked,
        Some(&why),
        call.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Invites a person to their own login (at `email`, or the address on file).
pub async fn invite(call: &Call<Staff>, patient_id: i64, email: String) -> Result<(), AppError> {
    let email = match email.trim() {
        "" => None,
        typed => Some(domain::account::Email::parse(typed)?),
    };
    let mut tx = call.state.pool.begin().await?;
    family::invite_person_to_login(&mut tx, &actor(call), patient_id, email, call.now).await?;
    tx.commit().await?;
    Ok(())
}
