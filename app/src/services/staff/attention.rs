//! The attention queue: visits rule 6 could not hand to another doctor. Staff move them
//! (on the patient's behalf), cancel them, or keep them — always with a note.

use chrono::{DateTime, Utc};
use domain::audit::AuditAction;

use crate::db;
use crate::error::AppError;
use crate::services::availability::{nearest_open_times, AvailabilityIndex};
use crate::services::call::{Call, Staff};
use crate::services::reassignment::{self, Actor};
use crate::services::staff::{appointments, audit_staff};
use crate::services::visits::view_of;
use crate::wire::staff::clinic::AttentionItem;
use domain::visit_type::Need;

/// The queue shows at most this many items at once (oldest first).
const SHOWN: i64 = 200;
/// How long the queue waits for the availability index to catch up before reading SQL.
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn queue(call: &Call<Staff>) -> Result<Vec<AttentionItem>, AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let now = call.now;
    let items = db::attention::open_items(&state.pool, SHOWN).await?;
    // Items arrive from a holiday or leave just committed, which the index may still be
    // applying: the suggestions must not offer the day just closed. Wait for the index
    // (or, when it cannot say, read the database).
    let sql_only = AvailabilityIndex::default();
    let index = if state.availability.catch_up(&state.pool, CATCH_UP).await {
        &state.availability
    } else {
        &sql_only
    };
    let mut out = Vec::with_capacity(items.len());
    let mut tx = state.pool.begin().await?;
    for item in items {
        let Some(record) = db::appointments::view(&mut tx, item.appointment_id).await? else {
            continue;
        };
        let (patient_id, doctor_id) = (record.patient_id, record.doctor_id);
        let visit = view_of(record);
        // Times of the doctors who offer the visit's type (retired or not), its run of slots.
        let need = db::visit_types::of(&mut tx, visit.appointment_type_id)
            .await?
            .map_or_else(|| Need::slots_of_anyone(1), |t| t.need(None));
        let mut suggestions =
            nearest_open_times(index, &state.pool, &policy, &need, visit.start, now, 3).await?;
        // The visit's own time first, when a colleague is free then.
        let run_end = visit.start + policy.slot_length() * need.slots();
        let colleague_free = db::slots::doctors_open_for(
            &mut tx,
            visit.start,
            run_end,
            i64::from(need.slots()),
            now,
            need.among.as_deref(),
        )
        .await?
        .into_iter()
        .any(|d| d != doctor_id);
        if colleague_free && visit.start > now {
            suggestions.insert(0, visit.start);
        }
        audit_staff(
            &mut tx,
            call,
            AuditAction::AttentionRead,
            Some(patient_id),
            format!("appointment:{}", item.appointment_id),
            None,
        )
        .await?;
        out.push(AttentionItem {
            item_id: item.attention_item_id,
            cause: item.cause,
            waiting_since: item.created_at,
            patient_id,
            visit,
            suggestions,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// How staff resolve one item.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub item_id: i64,
    /// `move`, `cancel` or `keep`
    pub action: String,
    pub start: Option<DateTime<Utc>>,
    pub note: String,
}

pub async fn resolve(call: &Call<Staff>, input: Resolution) -> Result<(), AppError> {
    let admin = &call.who.user;
    let note = input.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > 400 {
        return Err(AppError::validation(
            "note",
            "Say in a few words what was agreed (at most 400 characters).",
        ));
    }
    let state = &call.state;
    let item = db::attention::open_item_by_id(&state.pool, input.item_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The change goes through the booking service (which resolves the item in its own
    // transaction); the note is recorded afterwards.
    let summary = match input.action.as_str() {
        "move" => {
            let start = input
                .start
                .ok_or_else(|| AppError::validation("start", "Choose the new time."))?;
            let start = domain::booking::parse_start(start)?.get();
            let current = {
                let mut conn = state.pool.acquire().await?;
                db::appointments::view(&mut conn, item.appointment_id).await?
            };
            if current.is_some_and(|v| v.start_time == start) {
                // The same time with a colleague who is free now.
                let policy = db::settings::clinic_policy(&state.pool).await?;
                let actor = Actor {
                    user_id: Some(admin.user_id),
                    role: "admin",
                };
                let mut tx = state.pool.begin().await?;
                let handed = reassignment::hand_to_free_colleague(
                    &mut tx,
                    &policy,
                    actor,
                    item.appointment_id,
                    call.now,
                )
                .await?;
                if handed.is_none() {
                    return Err(AppError::validation(
                        "start",
                        "No other doctor is free at that time any more; choose another time.",
                    ));
                }
                tx.commit().await?;
                format!("handed to a colleague: {note}")
            } else {
                appointments::reschedule(call, item.appointment_id, start, Some(note.clone()))
                    .await?;
                format!("moved: {note}")
            }
        }
        "cancel" => {
            appointments::cancel(call, item.appointment_id, Some(note.clone())).await?;
            format!("cancelled: {note}")
        }
        "keep" => format!("kept: {note}"),
        _ => {
            return Err(AppError::validation(
                "action",
                "Choose to move, cancel or keep the visit.",
            ))
        }
    };
    let now = call.now;
    let mut tx = state.pool.begin().await?;
    db::attention::record_resolution(
        &mut tx,
        item.attention_item_id,
        admin.user_id,
        &summary,
        now,
    )
    .await?;
    let patient_id = db::appointments::patient_of(&mut tx, item.appointment_id).await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::AttentionResolve,
        patient_id,
        format!("appointment:{}", item.appointment_id),
        Some(&summary),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
