//! Visit types, staff side (issue 27): listing, creating and changing them (validated,
//! audited `old → new`, with a preview of what a change touches), retiring and restoring.
//! Booked visits keep their type whatever happens to it.

use domain::audit::AuditAction;
use domain::visit_type::{self, IntakeQuestion, QuestionKind, VisitType, MAX_QUESTIONS};

use crate::db;
use crate::error::AppError;
use crate::services::call::{Call, Staff};
use crate::services::staff::audit_staff;
use crate::wire::booking::AppointmentTypeView;
use crate::wire::staff::visit_types::{VisitTypeForm, VisitTypeOutcome, VisitTypesView};

pub async fn list(call: &Call<Staff>) -> Result<VisitTypesView, AppError> {
    let pool = &call.state.pool;
    let slot_minutes = db::settings::clinic_policy(pool)
        .await?
        .slot_length()
        .num_minutes();
    let types = db::visit_types::all(pool).await?;
    let doctors = db::doctors::list_active(pool)
        .await?
        .into_iter()
        .map(|d| (d.doctor_id, d.display_name, d.specialty))
        .collect();
    Ok(VisitTypesView {
        slot_minutes,
        types,
        doctors,
    })
}

/// The active types staff may book (online and staff-only), in order.
pub async fn bookable(call: &Call<Staff>) -> Result<Vec<AppointmentTypeView>, AppError> {
    let state = &call.state;
    let settings = state.availability.settings(&state.pool).await?;
    let slot_minutes = settings.policy.slot_length().num_minutes();
    Ok(settings
        .types
        .iter()
        .map(|t| AppointmentTypeView::of(t, slot_minutes))
        .collect())
}

/// The form checked, field by field.
struct Parsed {
    name: String,
    slot_count: i32,
    buffer_slots: i32,
    online: bool,
    doctors: Option<Vec<i64>>,
    note: Option<String>,
    questions: Vec<IntakeQuestion>,
}

fn whole(field: &'static str, text: &str) -> Result<i64, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<i64>()
        .ok()
        .filter(|n| (0..=10_000).contains(n))
        .ok_or_else(|| AppError::validation(field, "Enter a whole number."))
}

fn parse(form: &VisitTypeForm, slot_minutes: i64) -> Result<Parsed, AppError> {
    let check = |field: &'static str, v: &str| {
        domain::text::check_field(v).map_err(|e| AppError::validation(field, e.to_string()))
    };
    check("name", &form.name)?;
    let name = form.name.trim().to_owned();
    let slot_count = whole("slot_count", &form.slot_count)? as i32;
    let buffer_slots =
        visit_type::minutes_to_slots(whole("buffer_minutes", &form.buffer_minutes)?, slot_minutes)
            as i32;
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if let Some(n) = &note {
        check("note", n)?;
    }
    let typed = form.questions.clone().unwrap_or_default();
    let typed: Vec<_> = typed
        .into_iter()
        .filter(|q| !q.prompt.trim().is_empty())
        .collect();
    if typed.len() > MAX_QUESTIONS {
        return Err(AppError::validation(
            "questions",
            format!("A visit type asks at most {MAX_QUESTIONS} questions."),
        ));
    }
    let mut questions = Vec::new();
    for (i, q) in typed.into_iter().enumerate() {
        check("questions", &q.prompt)?;
        let kind = QuestionKind::parse(q.kind.trim()).ok_or_else(|| {
            AppError::validation("questions", "A question is answered as text or yes/no.")
        })?;
        questions.push(IntakeQuestion {
            position: i as i32 + 1,
            prompt: q.prompt.trim().to_owned(),
            kind,
            required: q.required.is_some(),
        });
    }
    visit_type::validate(&name, slot_count, buffer_slots, note.as_deref(), &questions)
        .map_err(|(field, message)| AppError::validation(field, message))?;
    let doctors = if form.all_doctors.is_some() {
        None
    } else {
        let mut ids = form.doctors.clone().unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(AppError::validation(
                "doctors",
                "Choose the doctors who offer it, or every doctor.",
            ));
        }
        Some(ids)
    };
    Ok(Parsed {
        name,
        slot_count,
        buffer_slots,
        online: form.online.is_some(),
        doctors,
        note,
        questions,
    })
}

fn describe_doctors(doctors: &Option<Vec<i64>>, names: &[(i64, String, String)]) -> String {
    match doctors {
        None => "every doctor".to_owned(),
        Some(ids) => ids
            .iter()
            .map(|id| {
                names
                    .iter()
                    .find(|d| d.0 == *id)
                    .map_or_else(|| format!("doctor {id}"), |d| d.1.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn describe_questions(q: &[IntakeQuestion]) -> String {
    if q.is_empty() {
        return "none".to_owned();
    }
    q.iter()
        .map(|q| {
            format!(
                "{}{} ({})",
                q.prompt,
                if q.required { "*" } else { "" },
                q.kind.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Creates or changes a visit type, or with `intent = "preview"` only says what that
/// would change and touch.
pub async fn save(call: &Call<Staff>, form: VisitTypeForm) -> Result<VisitTypeOutcome, AppError> {
    let pool = &call.state.pool;
    let policy = db::settings::clinic_policy(pool).await?;
    let slot_minutes = policy.slot_length().num_minutes();
    let p = parse(&form, slot_minutes)?;
    let names: Vec<(i64, String, String)> = db::doctors::list_active(pool)
        .await?
        .into_iter()
        .map(|d| (d.doctor_id, d.display_name, d.specialty))
        .collect();
    if let Some(ids) = &p.doctors {
        if ids.iter().any(|id| !names.iter().any(|d| d.0 == *id)) {
            return Err(AppError::validation(
                "doctors",
                "Choose doctors from the list (active doctors only).",
            ));
        }
    }
    let preview = form.intent.as_deref() == Some("preview");
    let mut tx = pool.begin().await?;
    let old = match form.appointment_type_id {
        Some(id) => Some(
            db::visit_types::lock(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    if db::visit_types::name_taken(&mut tx, &p.name, form.appointment_type_id).await? {
        return Err(AppError::validation(
            "name",
            "Another visit type has this name.",
        ));
    }
    let minutes = |slots: i32| format!("{} min", i64::from(slots) * slot_minutes);
    let blank = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".to_owned());
    let new_pairs = |o: Option<&VisitType>| -> Vec<(&'static str, String, String)> {
        vec![
            (
                "name",
                o.map(|o| o.name.clone()).unwrap_or_default(),
                p.name.clone(),
            ),
            (
                "length",
                o.map(|o| minutes(o.slot_count)).unwrap_or_default(),
                minutes(p.slot_count),
            ),
            (
                "buffer",
                o.map(|o| minutes(o.buffer_slots)).unwrap_or_default(),
                minutes(p.buffer_slots),
            ),
            (
                "booked",
                o.map(|o| (if o.online { "online" } else { "by staff" }).to_owned())
                    .unwrap_or_default(),
                (if p.online { "online" } else { "by staff" }).to_owned(),
            ),
            (
                "doctors",
                o.map(|o| describe_doctors(&o.doctors, &names))
                    .unwrap_or_default(),
                describe_doctors(&p.doctors, &names),
            ),
            (
                "note",
                o.map(|o| blank(&o.note)).unwrap_or_default(),
                blank(&p.note),
            ),
            (
                "questions",
                o.map(|o| describe_questions(&o.questions))
                    .unwrap_or_default(),
                describe_questions(&p.questions),
            ),
        ]
    };
    let changes = super::operations::settings::changed(new_pairs(old.as_ref()));
    let mut effects = Vec::new();
    if let Some(old) = &old {
        let (upcoming, with_others, waiting) =
            db::visit_types::change_preview(&mut tx, old.id, p.doctors.as_deref(), call.now)
                .await?;
        effects.push(format!(
            "{upcoming} upcoming visits of this type keep their time and doctor."
        ));
        if with_others > 0 {
            effects.push(format!(
                "{with_others} of them are with doctors who would no longer offer it; moving such a visit finds a doctor who does."
            ));
        }
        if p.slot_count + p.buffer_slots != old.slot_count + old.buffer_slots {
            effects.push("A new length or buffer applies to visits booked from now on.".to_owned());
        }
        if waiting > 0 {
            effects.push(format!("{waiting} patients wait for this type."));
        }
        if !p.online && old.online {
            effects.push("Patients will no longer see it when booking online.".to_owned());
        }
    }
    if preview || (old.is_some() && changes.is_empty()) {
        tx.rollback().await?;
        return Ok(VisitTypeOutcome {
            saved: false,
            appointment_type_id: form.appointment_type_id,
            changes: if changes.is_empty() {
                vec!["Nothing changed.".to_owned()]
            } else {
                changes
            },
            effects,
        });
    }
    let input = db::visit_types::TypeInput {
        name: &p.name,
        slot_count: p.slot_count,
        buffer_slots: p.buffer_slots,
        online: p.online,
        doctors: p.doctors.as_deref(),
        note: p.note.as_deref(),
        questions: &p.questions,
    };
    let id = match &old {
        Some(old) => {
            db::visit_types::update(&mut tx, old.id, &input).await?;
            old.id
        }
        None => db::visit_types::insert(&mut tx, &input).await?,
    };
    audit_staff(
        &mut tx,
        call,
        AuditAction::VisitTypeChange,
        None,
        format!("appointment_type:{id}"),
        Some(&changes.join("; ")),
    )
    .await?;
    tx.commit().await?;
    Ok(VisitTypeOutcome {
        saved: true,
        appointment_type_id: Some(id),
        changes,
        effects,
    })
}

/// Retires a type (no new bookings; booked visits keep it) or restores it.
pub async fn set_active(call: &Call<Staff>, id: i64, active: bool) -> Result<(), AppError> {
    let mut tx = call.state.pool.begin().await?;
    let old = db::visit_types::lock(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if old.active == active {
        return Ok(());
    }
    if !active && db::visit_types::active_count(&mut tx).await? <= 1 {
        return Err(AppError::validation(
            "appointment_type_id",
            "The clinic needs at least one visit type patients can book.",
        ));
    }
    db::visit_types::set_active(&mut tx, id, active).await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::VisitTypeChange,
        None,
        format!("appointment_type:{id}"),
        Some(if active {
            "active: no → yes"
        } else {
            "active: yes → no"
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
