//! Today at the clinic, for staff.

use chrono::Duration;
use domain::audit::AuditAction;
use domain::schedule::{local_date, local_day_bounds, week_start};

use crate::db;
use crate::error::AppError;
use crate::services::call::{Call, Staff};
use crate::services::staff::audit_staff_reads;
use crate::services::visits::view_of;
use crate::wire::staff::appointments::StaffAppointment;
use crate::wire::staff::today::{CallRow, ConfirmationFigures, DoctorUse, TodayView};

/// More than this many visits in a day are cut off the list (the search shows them all).
const VISITS_SHOWN: i64 = 500;
/// The "call these" list shows at most this many of tomorrow's unconfirmed visits.
const CALLS_SHOWN: i64 = 200;

fn busiest_first(mut rows: Vec<DoctorUse>) -> Vec<DoctorUse> {
    rows.retain(|r| r.offered > 0);
    rows.sort_by(|a, b| {
        (b.booked * a.offered)
            .cmp(&(a.booked * b.offered))
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}

pub async fn today(call: &Call<Staff>) -> Result<TodayView, AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let tz = policy.time_zone();
    let now = call.now;
    let date = local_date(tz, now);
    let (day_start, day_end) = local_day_bounds(tz, date);
    let monday = week_start(date);
    let (week_from, _) = local_day_bounds(tz, monday);
    let (_, week_to) = local_day_bounds(tz, monday + Duration::days(6));
    let filter = db::appointments::StaffFilter {
        from: day_start,
        to: day_end,
        doctor_id: None,
        patient: None,
        status: None,
    };
    let visits = db::appointments::staff_search(&state.pool, &filter, VISITS_SHOWN, 0).await?;
    let use_of = |rows: Vec<db::doctors::UseRow>| {
        busiest_first(
            rows.into_iter()
                .map(|r| DoctorUse {
                    doctor_id: r.doctor_id,
                    name: r.name,
                    booked: r.booked,
                    offered: r.offered,
                })
                .collect(),
        )
    };
    let today_use = use_of(db::doctors::utilisation(&state.pool, day_start, day_end).await?);
    let week_use = use_of(db::doctors::utilisation(&state.pool, week_from, week_to).await?);
    let (no_shows_30d, outcomes_30d) =
        db::appointments::outcomes_between(&state.pool, now - Duration::days(30), now).await?;
    let attention_open = db::attention::open_count(&state.pool).await?;
    let messages_failing = db::notifications::failing_count(&state.pool).await?;
    let waitlist = crate::services::staff::waitlist::figures(&state.pool, now).await?;
    let (tomorrow_start, tomorrow_end) = local_day_bounds(tz, date + Duration::days(1));
    let call_list: Vec<CallRow> = db::appointments::unconfirmed_between(
        &state.pool,
        tomorrow_start,
        tomorrow_end,
        CALLS_SHOWN,
    )
    .await?
    .into_iter()
    .map(|v| CallRow {
        appointment_id: v.appointment_id,
        patient_id: v.patient_id,
        patient_name: v.patient_name,
        phone: v.phone,
        start: v.start_time,
        doctor_name: v.doctor_name,
        earlier_no_shows: v.no_shows,
    })
    .collect();
    let c =
        db::appointments::confirmation_figures(&state.pool, now - Duration::days(30), now).await?;
    let confirmation = ConfirmationFigures {
        marked: c.marked,
        confirmed: c.confirmed,
        no_show_confirmed: c.no_show_confirmed,
        no_show_unconfirmed: c.no_show_unconfirmed,
    };

    // Every patient shown (today's visits and the call list) is an audited read.
    let patients: Vec<i64> = visits
        .iter()
        .map(|v| v.patient_id)
        .chain(call_list.iter().map(|c| c.patient_id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut tx = state.pool.begin().await?;
    audit_staff_reads(&mut tx, call, AuditAction::AppointmentSearch, &patients).await?;
    tx.commit().await?;
    Ok(TodayView {
        date,
        time_zone: tz.name().to_owned(),
        generated_at: now,
        visits: visits
            .into_iter()
            .map(|record| StaffAppointment {
                patient_id: record.patient_id,
                view: view_of(record),
            })
            .collect(),
        today_use,
        week_use,
        no_shows_30d,
        outcomes_30d,
        attention_open,
        messages_failing,
        waitlist,
        call_list,
        confirmation,
    })
}
