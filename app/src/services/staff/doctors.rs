//! Doctors, staff side: the list, their details, and deactivation with a preview.

use domain::account::PersonName;
use domain::audit::AuditAction;

use crate::db;
use crate::error::AppError;
use crate::services::auth::accounts;
use crate::services::call::{Call, Staff};
use crate::services::staff::audit_staff;
use crate::wire::staff::clinic::ClosingOutcome;
use crate::wire::staff::doctors::DoctorRow;

pub async fn list(call: &Call<Staff>) -> Result<Vec<DoctorRow>, AppError> {
    let state = &call.state;
    Ok(db::doctors::staff_list(&state.pool)
        .await?
        .into_iter()
        .map(|r| DoctorRow {
            doctor_id: r.doctor_id,
            user_id: r.user_id,
            first_name: r.first_name,
            last_name: r.last_name,
            specialty: r.specialty,
            languages: r.languages,
            introduction: r.introduction,
            email: r.email,
            active: r.active,
            upcoming: r.upcoming,
        })
        .collect())
}

/// A doctor's details and public profile as staff type them.
pub struct Details {
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    /// Comma-separated.
    pub languages: String,
    pub introduction: Option<String>,
}

/// Most languages listed for one doctor (the schema's limit).
const MAX_LANGUAGES: usize = 10;

/// The languages typed, comma-separated: each 1 to 40 characters of plain text, at most
/// ten, duplicates dropped.
fn parse_languages(typed: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for part in typed.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.chars().count() > 40 {
            return Err(AppError::validation(
                "languages",
                "Each language can be at most 40 characters.",
            ));
        }
        domain::text::check_field(part)
            .map_err(|e| AppError::validation("languages", e.to_string()))?;
        if !out.iter().any(|l| l.eq_ignore_ascii_case(part)) {
            out.push(part.to_owned());
        }
    }
    if out.len() > MAX_LANGUAGES {
        return Err(AppError::validation(
            "languages",
            format!("List at most {MAX_LANGUAGES} languages."),
        ));
    }
    Ok(out)
}

pub async fn update(call: &Call<Staff>, doctor_id: i64, details: Details) -> Result<(), AppError> {
    let Details {
        first_name,
        last_name,
        specialty,
        languages,
        introduction,
    } = details;
    let first_name = PersonName::parse("first_name", &first_name)?;
    let last_name = PersonName::parse("last_name", &last_name)?;
    let languages = parse_languages(&languages)?;
    let introduction = introduction
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(intro) = introduction {
        if intro.chars().count() > 600 {
            return Err(AppError::validation(
                "introduction",
                "Please keep the introduction under 600 characters.",
            ));
        }
        domain::text::check_field(intro)
            .map_err(|e| AppError::validation("introduction", e.to_string()))?;
    }
    let specialty = specialty.trim();
    if specialty.is_empty() || specialty.chars().count() > 100 {
        return Err(AppError::validation(
            "specialty",
            "Give the specialty (at most 100 characters).",
        ));
    }
    domain::text::check_field(specialty)
        .map_err(|e| AppError::validation("specialty", e.to_string()))?;
    let state = &call.state;
    let mut tx = state.pool.begin().await?;
    if !db::doctors::update_details(
        &mut tx,
        doctor_id,
        &db::doctors::DoctorDetails {
            first_name: first_name.as_str(),
            last_name: last_name.as_str(),
            specialty,
            languages: &languages,
            introduction,
        },
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    audit_staff(
        &mut tx,
        call,
        AuditAction::DoctorUpdate,
        None,
        format!("doctor:{doctor_id}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates or reactivates a doctor (through their account, so they are signed out
/// too), committing when `commit`, otherwise rolling the same change back (the preview).
pub async fn set_active(
    call: &Call<Staff>,
    doctor_id: i64,
    active: bool,
    commit: bool,
) -> Result<ClosingOutcome, AppError> {
    let admin = &call.who.user;
    let state = &call.state;
    let request_id = call.request_id.clone();
    let user_id = db::doctors::user_of(&state.pool, doctor_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    let (_, outcome) =
        accounts::apply_disabled(&mut tx, admin, request_id, user_id, !active, call.now).await?;
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(ClosingOutcome {
        moved: outcome.moved,
        queued: outcome.queued,
    })
}
