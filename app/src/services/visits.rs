//! Reading one visit: the object-level check (a patient their own, a doctor their own
//! patients' visits, staff all; anyone else "not found") and, for doctors and staff, the
//! audited read of rule 8 — in the same transaction as the read.

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::session::CurrentUser;
use crate::services::call::{Call, Patient};
use crate::services::patient::explain_blocks;
use crate::wire::appointments::{AppointmentView, VisitEvent, VisitFile};
use domain::audit::{AuditAction, AuditActor};
use domain::role::Role;
use sqlx::PgConnection;

/// An appointment as the pages show it, with the clinic's note when staff booked it or
/// made its latest change.
pub fn view_of(record: db::appointments::AppointmentRecord) -> AppointmentView {
    let clinic_note = match (
        record.clinic_change.as_deref(),
        record.booked_by_role.as_str(),
    ) {
        (Some("cancelled"), _) => Some("Cancelled by the clinic".to_owned()),
        (Some(_), _) => Some("Changed by the clinic".to_owned()),
        (None, "admin") => Some("Booked by the clinic".to_owned()),
        _ => None,
    };
    AppointmentView {
        appointment_id: record.appointment_id,
        start: record.start_time,
        end: record.end_time,
        status: record.status,
        appointment_type_id: record.appointment_type_id,
        type_name: record.type_name,
        doctor_name: record.doctor_name,
        patient_name: Some(record.patient_name),
        reason: record.reason,
        change_count: record.change_count.max(0) as u32,
        clinic_note,
        cancel_blocked: None,
        reschedule_blocked: None,
        confirmed_at: record.confirmed_at,
        confirmed_via: record.confirmed_via,
        cancelled_by_patient: record.cancelled_by_patient,
        for_name: None,
        booked_by_carer: record.booked_by_carer,
    }
}

/// One patient's appointments, newest first, without their own name (the page is theirs,
/// or about them).
pub async fn of_patient(
    pool: &sqlx::PgPool,
    patient_id: i64,
) -> Result<Vec<AppointmentView>, AppError> {
    Ok(db::appointments::views_for_patient(pool, patient_id)
        .await?
        .into_iter()
        .map(|record| AppointmentView {
            patient_name: None,
            ..view_of(record)
        })
        .collect())
}

/// The signed-in patient's appointments and those of the people they look after, newest
/// first, each saying whether it can still be changed online; a dependant's are labelled
/// with their first name. Each dependant's visits read is audited (one row per person).
pub async fn mine(call: &Call<Patient>) -> Result<Vec<AppointmentView>, AppError> {
    let pool = &call.state.pool;
    let own = call.who.patient_id;
    let policy = db::settings::clinic_policy(pool).await?;
    // One connection at a time (a request never waits for a second while holding one).
    let family = {
        let mut conn = pool.acquire().await?;
        let family = db::family::family_ids(&mut conn, own).await?;
        let dependants: Vec<i64> = family.iter().copied().filter(|&p| p != own).collect();
        if !dependants.is_empty() {
            let entry = audit::Entry {
                actor_user_id: Some(call.who.user.user_id),
                actor_role: AuditActor::Patient,
                action: AuditAction::FamilyRead,
                patient_id: None,
                target: None,
                outcome: Outcome::Success,
                request_id: call.request_id.clone(),
            };
            audit::record_reads(&mut conn, &entry, &dependants).await?;
        }
        family
    };
    let records = if family.len() == 1 {
        db::appointments::views_for_patient(pool, own).await?
    } else {
        db::appointments::views_for_patients(pool, &family).await?
    };
    let mut views: Vec<AppointmentView> = records
        .into_iter()
        .map(|record| {
            let for_name = (record.patient_id != own).then(|| record.patient_first_name.clone());
            AppointmentView {
                patient_name: None,
                for_name,
                ..view_of(record)
            }
        })
        .collect();
    views
        .iter_mut()
        .for_each(|v| explain_blocks(v, &policy, call.now));
    Ok(views)
}

/// One appointment, if the caller may see it (else "not found"); a patient's own says
/// whether it can still be changed online.
pub async fn detail(
    call: &Call<CurrentUser>,
    appointment_id: i64,
) -> Result<AppointmentView, AppError> {
    let mut tx = call.state.pool.begin().await?;
    let (mut view, _) = checked_view(&mut tx, call, appointment_id).await?;
    tx.commit().await?;
    if call.who.role == Role::Patient {
        view.patient_name = None;
        let policy = db::settings::clinic_policy(&call.state.pool).await?;
        explain_blocks(&mut view, &policy, call.now);
    }
    Ok(view)
}

/// The visit if the caller may see it, with its patient's id; audited when the caller
/// is not the patient.
pub async fn checked_view(
    conn: &mut PgConnection,
    call: &Call<CurrentUser>,
    appointment_id: i64,
) -> Result<(AppointmentView, i64), AppError> {
    let user = &call.who;
    let Some(record) = db::appointments::view(conn, appointment_id).await? else {
        return Err(AppError::NotFound);
    };
    let (patient_id, doctor_id) = (record.patient_id, record.doctor_id);
    let first_name = record.patient_first_name.clone();
    let mut view = view_of(record);
    // A carer reads the visit of someone they look after (a live link); that read is
    // audited like a doctor's or the staff's.
    let carer = match (user.role, user.patient_id) {
        (Role::Patient, Some(own)) if own != patient_id => {
            db::family::cares_for(conn, own, patient_id).await?
        }
        _ => false,
    };
    let allowed = match user.role {
        Role::Patient => user.patient_id == Some(patient_id) || carer,
        Role::Doctor => user.doctor_id == Some(doctor_id),
        Role::Admin => true,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    if carer {
        view.for_name = Some(first_name);
    }
    if user.role != Role::Patient || carer {
        let entry = audit::Entry {
            actor_user_id: Some(user.user_id),
            actor_role: user.role.into(),
            action: AuditAction::AppointmentRead,
            patient_id: Some(patient_id),
            target: Some(format!("appointment:{appointment_id}")),
            outcome: Outcome::Success,
            request_id: call.request_id.clone(),
        };
        audit::record(conn, &entry).await?;
    }
    Ok((view, patient_id))
}

/// A visit as its doctor or staff see it (the server function lets only them call):
/// with the patient's contact and the history of changes.
pub async fn record(call: &Call<CurrentUser>, appointment_id: i64) -> Result<VisitFile, AppError> {
    let mut tx = call.state.pool.begin().await?;
    let (visit, patient_id) = checked_view(&mut tx, call, appointment_id).await?;
    let (email, phone) = db::appointments::patient_contact(&mut tx, patient_id).await?;
    let history = db::appointments::events(&mut tx, appointment_id)
        .await?
        .into_iter()
        .map(|e| VisitEvent {
            at: e.created_at,
            kind: e.kind,
            by: e.actor_role,
            old_start: e.old_start_time,
            new_start: e.new_start_time,
            old_doctor: e.old_doctor,
            new_doctor: e.new_doctor,
        })
        .collect();
    let answers = db::visit_types::answers_of(&mut tx, appointment_id).await?;
    tx.commit().await?;
    Ok(VisitFile {
        visit,
        patient_id,
        patient_email: email,
        patient_phone: phone,
        history,
        answers,
    })
}
