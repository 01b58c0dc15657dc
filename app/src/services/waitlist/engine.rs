//! The offer engine, run every second by the server's job runner (one instance at a time):
//!
//! 1. **Freed slots → openings.** Every slot that became free is queued by a trigger in
//!    the transaction that freed it (`waitlist_freed`). For each, and each visit type
//!    someone waits for, every start that would use the slot and fits that doctor's open
//!    time becomes an *opening*: that doctor, that start, that type. Times inside the
//!    booking notice or past the horizon are not openings; nor are times later than every
//!    visit waiting to be brought earlier (when nobody waits without a visit).
//! 2. **Waves.** An opening due for a wave is checked again (still that doctor's open
//!    time, still bookable), then offered to the next `wave_size` waiting patients in the
//!    fair order of `domain::waitlist` whom the booking rules allow to take it: their
//!    limits suit it, it brings their visit earlier, the visit may still be moved (freeze,
//!    change limit) or — without a visit — the active-visit limit has room, it overlaps
//!    none of their other visits, they weigh no other offer at that moment, and they had
//!    fewer than the daily cap of offers today (clinic's day). The next wave follows after
//!    `wave_minutes` if the time is still free; an opening nobody is left for closes.
//! 3. **Expiry** (checked first in each run). An offer lasts `offer_minutes`, never past the moment its time leaves
//!    the booking window.
//!
//! Offers go out through the outbox (email; a text too for patients who opted in, unless
//! it is the clinic's quiet hours for texts); the message is rendered at send time and
//! dropped if the offer is no longer open by then.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use domain::booking::{self, AppointmentFacts, AppointmentStatus};
use domain::schedule::{local_date, local_day_bounds};
use domain::waitlist::texts_allowed;
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};

use crate::db::{self, settings::WaitlistSettings, waitlist::offers::Opening};
use crate::error::AppError;
use crate::services::auth::tokens::new_token;

/// Freed slots read per transaction.
const FREED_BATCH: i64 = 2000;
/// Openings given a wave per transaction.
const WAVE_BATCH: i64 = 20;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub freed: usize,
    pub opened: usize,
    pub offers: usize,
    pub closed: usize,
    pub expired: u64,
}

impl Report {
    /// Empty when nothing happened (the job then records no run).
    pub fn summary(&self) -> String {
        if *self == Report::default() {
            return String::new();
        }
        format!(
            "{} freed slots, {} openings, {} offers sent, {} openings closed, {} offers expired",
            self.freed, self.opened, self.offers, self.closed, self.expired
        )
    }
}

/// One run of the engine (see the module comment).
pub async fn run(pool: &PgPool, now: DateTime<Utc>) -> Result<Report, AppError> {
    let mut report = Report::default();
    let policy = db::settings::clinic_policy(pool).await?;
    let settings = db::settings::waitlist_settings(pool).await?;
    // Lapsed offers first: their patients are free for the next offer.
    let mut conn = pool.acquire().await?;
    report.expired = db::waitlist::offers::expire(&mut conn, now).await?;
    drop(conn);
    loop {
        let mut tx = pool.begin().await?;
        let freed = db::waitlist::offers::take_freed(&mut tx, FREED_BATCH).await?;
        if freed.is_empty() {
            break;
        }
        report.freed += freed.len();
        report.opened += open_freed(&mut tx, &policy, freed, now).await?;
        tx.commit().await?;
    }
    loop {
        let mut tx = pool.begin().await?;
        let due = db::waitlist::offers::due_openings(&mut tx, now, WAVE_BATCH).await?;
        if due.is_empty() {
            break;
        }
        for opening in &due {
            match send_wave(&mut tx, &policy, &settings, opening, now).await? {
                Wave::Sent(n) => report.offers += n,
                Wave::Waiting => {}
                Wave::Closed => report.closed += 1,
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

async fn open_freed(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    freed: Vec<db::waitlist::offers::Freed>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let types = db::waitlist::offers::waited_types(conn).await?;
    // A slot freed twice in one batch is one freed time (the first moment counts).
    let mut slots: HashMap<(i64, DateTime<Utc>), DateTime<Utc>> = HashMap::new();
    for f in freed {
        let at = slots
            .entry((f.doctor_id, f.start_time))
            .or_insert(f.freed_at);
        *at = (*at).min(f.freed_at);
    }
    let slot = policy.slot_length();
    let mut opened = 0;
    for ((doctor_id, slot_start), freed_at) in slots {
        for t in &types {
            if t.doctors
                .as_ref()
                .is_some_and(|ids| !ids.contains(&doctor_id))
            {
                continue;
            }
            for k in 0..t.slot_count {
                let start = slot_start - slot * k;
                let wanted = t.any_time || t.latest_visit.is_some_and(|latest| start < latest);
                if !wanted || booking::check_new_start(policy, now, start).is_err() {
                    continue;
                }
                let end = start + slot * t.slot_count;
                let open = db::slots::doctors_open_for(
                    conn,
                    start,
                    end,
                    i64::from(t.slot_count),
                    now,
                    Some(&[doctor_id]),
                )
                .await?;
                if open.contains(&doctor_id)
                    && db::waitlist::offers::open(
                        conn,
                        doctor_id,
                        start,
                        t.appointment_type_id,
                        freed_at,
                        now,
                    )
                    .await?
                {
                    opened += 1;
                }
            }
        }
    }
    Ok(opened)
}

enum Wave {
    Sent(usize),
    /// Nobody new to ask; offers of earlier waves are still open.
    Waiting,
    Closed,
}

async fn send_wave(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    settings: &WaitlistSettings,
    opening: &Opening,
    now: DateTime<Utc>,
) -> Result<Wave, AppError> {
    let id = opening.opening_id;
    let start = opening.start_time;
    let run_end = start + policy.slot_length() * opening.slot_count;
    let end = start + policy.slot_length() * opening.visit_slots;
    if booking::check_new_start(policy, now, start).is_err() {
        db::waitlist::offers::close(conn, id, "passed", now).await?;
        return Ok(Wave::Closed);
    }
    let open = db::slots::doctors_open_for(
        conn,
        start,
        run_end,
        i64::from(opening.slot_count),
        now,
        Some(&[opening.doctor_id]),
    )
    .await?;
    if !opening.offered || !open.contains(&opening.doctor_id) {
        db::waitlist::offers::close(conn, id, "gone", now).await?;
        return Ok(Wave::Closed);
    }
    let gap = Duration::minutes(i64::from(settings.waitlist_wave_minutes));
    let chosen = next_wave(conn, policy, settings, opening, end, now).await?;
    if chosen.is_empty() {
        if db::waitlist::offers::has_open_offers(conn, id).await? {
            db::waitlist::offers::next_wave(conn, id, opening.waves, now + gap).await?;
            return Ok(Wave::Waiting);
        }
        db::waitlist::offers::close(conn, id, "nobody", now).await?;
        return Ok(Wave::Closed);
    }
    let wave = opening.waves + 1;
    let texts = texts_allowed(
        now,
        policy.time_zone(),
        settings.sms_quiet_start,
        settings.sms_quiet_end,
    );
    let lasts = Duration::minutes(i64::from(settings.waitlist_offer_minutes));
    // An offer never outlives the moment its time can still be booked.
    let expires_at = (now + lasts).min(start - policy.min_notice());
    for entry in &chosen {
        let token = new_token();
        let offer_id = db::waitlist::offers::insert(
            conn,
            &db::waitlist::offers::NewOffer {
                opening_id: opening.opening_id,
                waitlist_entry_id: entry.waitlist_entry_id,
                patient_id: entry.patient_id,
                wave,
                token: &token,
                expires_at,
            },
            now,
        )
        .await?;
        db::waitlist::offers::queue_message(
            conn,
            offer_id,
            entry.patient_id,
            &format!("token={token}"),
            texts,
            now,
        )
        .await?;
    }
    db::waitlist::offers::next_wave(conn, id, wave, now + gap).await?;
    Ok(Wave::Sent(chosen.len()))
}

/// The next wave's patients, in the fair order (see the module comment).
async fn next_wave(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    settings: &WaitlistSettings,
    opening: &Opening,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<db::waitlist::EntryRecord>, AppError> {
    let start = opening.start_time;
    let waiting = super::waiting_for(conn, policy, opening.appointment_type_id, start).await?;
    if waiting.is_empty() {
        return Ok(waiting);
    }
    let asked: HashSet<i64> = db::waitlist::offers::offered_entries(conn, opening.opening_id)
        .await?
        .into_iter()
        .collect();
    let mut busy: HashSet<i64> = db::waitlist::offers::patients_weighing_offers(conn)
        .await?
        .into_iter()
        .collect();
    let tz = policy.time_zone();
    let (today, _) = local_day_bounds(tz, local_date(tz, now));
    let patients: Vec<i64> = waiting.iter().map(|e| e.patient_id).collect();
    let today_counts = db::waitlist::offers::offers_since(conn, &patients, today).await?;
    let cap = i64::from(settings.waitlist_daily_cap);
    let wave_size = usize::try_from(settings.waitlist_wave_size)
        .unwrap_or(1)
        .max(1);
    let mut chosen = Vec::new();
    for entry in waiting {
        if chosen.len() == wave_size {
            break;
        }
        if asked.contains(&entry.waitlist_entry_id)
            || busy.contains(&entry.patient_id)
            || today_counts.get(&entry.patient_id).copied().unwrap_or(0) >= cap
            || !may_take(conn, policy, &entry, start, end, now).await?
        {
            continue;
        }
        busy.insert(entry.patient_id);
        chosen.push(entry);
    }
    Ok(chosen)
}

/// Whether the booking rules would let this patient take `[start, end)` now.
async fn may_take(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    entry: &db::waitlist::EntryRecord,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    // Offers reach patients by message: one without an online account is the staff's to call.
    if db::notifications::recipients(conn, entry.patient_id)
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    match entry.appointment_id {
        Some(appointment_id) => {
            let Some(visit) = db::appointments::get(&mut *conn, appointment_id).await? else {
                return Ok(false);
            };
            let facts = AppointmentFacts {
                start: visit.start,
                status: visit.status,
                change_count: visit.change_count,
            };
            if visit.status != AppointmentStatus::Booked
                || booking::check_reschedule(policy, now, &facts, &booking::Actor::Patient).is_err()
            {
                return Ok(false);
            }
        }
        None => {
            let facts = db::appointments::booking_facts(
                conn,
                entry.patient_id,
                entry.appointment_type_id,
                start,
                Some(end),
                policy.slot_length(),
                now,
            )
            .await?;
            if booking::check_active_limit(policy, facts.upcoming).is_err() {
                return Ok(false);
            }
        }
    }
    Ok(
        db::appointments::patient_overlap(conn, entry.patient_id, start, end, entry.appointment_id)
            .await?
            .is_none(),
    )
}
