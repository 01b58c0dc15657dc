//! The waitlist: patients waiting for an earlier time (or any time of a type), with the
//! limits they gave. The rules are `domain::waitlist`'s.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use crate::wire::waitlist::WaitlistFigures;

pub mod offers;

/// A live entry, with what the engine and the patient's pages need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRecord {
    pub waitlist_entry_id: i64,
    pub patient_id: i64,
    pub appointment_type_id: i64,
    pub type_name: String,
    pub appointment_id: Option<i64>,
    /// The visit's start, while it is booked.
    pub visit_start: Option<DateTime<Utc>>,
    pub weekdays: i16,
    pub part_of_day: String,
    pub not_before: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

const LIVE: &str =
    "select w.waitlist_entry_id, w.patient_id, w.appointment_type_id, t.name as type_name,
        w.appointment_id,
        case when a.status = 'booked' then a.start_time end as visit_start,
        w.weekdays, w.part_of_day, w.not_before, w.created_at
   from waitlist_entries w
   join appointment_types t using (appointment_type_id)
   left join appointments a on a.appointment_id = w.appointment_id
  where w.ended_at is null";

/// What a patient asked for.
pub struct NewEntry<'a> {
    pub patient_id: i64,
    pub appointment_type_id: i64,
    pub appointment_id: Option<i64>,
    pub weekdays: i16,
    pub part_of_day: &'a str,
    pub not_before: Option<NaiveDate>,
}

/// Puts the patient on the list. `None` when they are on it already for this visit (or,
/// without a visit, for this type).
pub async fn join(
    conn: &mut PgConnection,
    entry: &NewEntry<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "insert into waitlist_entries (patient_id, appointment_type_id, appointment_id, weekdays,
                                       part_of_day, not_before, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict do nothing
         returning waitlist_entry_id",
    )
    .bind(entry.patient_id)
    .bind(entry.appointment_type_id)
    .bind(entry.appointment_id)
    .bind(entry.weekdays)
    .bind(entry.part_of_day)
    .bind(entry.not_before)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Which live entry to end.
#[derive(Debug, Clone, Copy)]
pub enum Ending {
    /// This entry; only when it is `of_patient`'s, if given.
    Entry {
        waitlist_entry_id: i64,
        of_patient: Option<i64>,
    },
    /// The entry of this visit (cancelled, or moved by its own offer).
    OfVisit(i64),
}

/// The patient of a live entry (unlocked: the caller locks the patient next).
pub async fn patient_of_entry(
    conn: &mut PgConnection,
    waitlist_entry_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select patient_id from waitlist_entries where waitlist_entry_id = $1 and ended_at is null",
    )
    .bind(waitlist_entry_id)
    .fetch_optional(conn)
    .await
}

/// Ends a live entry (`reason`: left, visit_gone, staff), withdrawing its open offers.
/// Returns the entry's patient, if there was such an entry.
pub async fn end(
    conn: &mut PgConnection,
    which: Ending,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let (entry, patient, visit) = match which {
        Ending::Entry {
            waitlist_entry_id,
            of_patient,
        } => (Some(waitlist_entry_id), of_patient, None),
        Ending::OfVisit(appointment_id) => (None, None, Some(appointment_id)),
    };
    sqlx::query_scalar(
        "with ended as (
             update waitlist_entries set ended_at = $5, end_reason = $4
              where ended_at is null
                and (waitlist_entry_id = $1 or appointment_id = $3)
                and ($2::bigint is null or patient_id = $2)
             returning waitlist_entry_id, patient_id),
         withdrawn as (
             update waitlist_offers set outcome = 'withdrawn', answered_at = $5
              where waitlist_entry_id in (select waitlist_entry_id from ended)
                and outcome is null)
         select patient_id from ended",
    )
    .bind(entry)
    .bind(patient)
    .bind(visit)
    .bind(reason)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// The patient's live entries, newest first.
pub async fn live_of_patient(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<Vec<EntryRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{LIVE} and w.patient_id = $1 order by w.created_at desc"
    ))
    .bind(patient_id)
    .fetch_all(conn)
    .await
}

/// Everyone waiting for a time of this type, longest waiting first (the engine applies
/// the limits and the fair order).
pub async fn live_of_type(
    conn: &mut PgConnection,
    appointment_type_id: i64,
) -> Result<Vec<EntryRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{LIVE} and w.appointment_type_id = $1 order by w.created_at, w.waitlist_entry_id"
    ))
    .bind(appointment_type_id)
    .fetch_all(conn)
    .await
}

/// A live entry as staff see it: who, for what, since when, and their offers so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffEntryRecord {
    pub waitlist_entry_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    /// Without an online account the engine cannot message them: staff call.
    pub has_account: bool,
    pub type_name: String,
    pub appointment_id: Option<i64>,
    pub visit_start: Option<DateTime<Utc>>,
    pub weekdays: i16,
    pub part_of_day: String,
    pub not_before: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub offers_sent: i64,
    pub offers_taken_by_other: i64,
    pub offers_expired: i64,
}

/// Everyone waiting, longest first (at most `limit`).
pub async fn staff_list(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<StaffEntryRecord>, sqlx::Error> {
    sqlx::query_as(
        "select w.waitlist_entry_id, w.patient_id,
                p.first_name || ' ' || p.last_name as patient_name,
                p.user_id is not null as has_account, t.name as type_name, w.appointment_id,
                case when a.status = 'booked' then a.start_time end as visit_start,
                w.weekdays, w.part_of_day, w.not_before, w.created_at,
                (select count(*) from waitlist_offers f where f.waitlist_entry_id = w.waitlist_entry_id) as offers_sent,
                (select count(*) from waitlist_offers f where f.waitlist_entry_id = w.waitlist_entry_id
                    and f.outcome = 'taken_by_other') as offers_taken_by_other,
                (select count(*) from waitlist_offers f where f.waitlist_entry_id = w.waitlist_entry_id
                    and f.outcome = 'expired') as offers_expired
           from waitlist_entries w
           join patients p using (patient_id)
           join appointment_types t using (appointment_type_id)
           left join appointments a on a.appointment_id = w.appointment_id
          where w.ended_at is null
          order by w.created_at, w.waitlist_entry_id
          limit $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The waitlist's record since a moment, for the clinic's figures: freed times (doctor
/// and start) offered and re-filled, the median days a filled time brought a visit
/// earlier, and the offers.
pub async fn figures(
    conn: &mut PgConnection,
    since: DateTime<Utc>,
) -> Result<WaitlistFigures, sqlx::Error> {
    let row: (i64, i64, i64, Option<f64>, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from waitlist_entries where ended_at is null) as waiting,
                (select count(distinct (doctor_id, start_time)) from waitlist_openings
                  where opened_at >= $1 and waves > 0) as freed_offered,
                (select count(distinct (doctor_id, start_time)) from waitlist_openings
                  where opened_at >= $1 and outcome = 'filled') as refilled,
                (select percentile_cont(0.5) within group (order by days_gained)
                   from waitlist_openings
                  where opened_at >= $1 and outcome = 'filled' and days_gained is not null)
                  as median_days_gained,
                (select count(*) from waitlist_offers where created_at >= $1) as offers_sent,
                (select count(*) from waitlist_offers where created_at >= $1 and outcome = 'taken')
                  as offers_taken,
                (select count(*) from waitlist_offers where created_at >= $1 and outcome = 'expired')
                  as offers_expired",
    )
    .bind(since)
    .fetch_one(conn)
    .await?;
    let (waiting, freed_offered, refilled, median_days_gained, sent, taken, expired) = row;
    Ok(WaitlistFigures {
        waiting,
        freed_offered,
        refilled,
        median_days_gained,
        offers_sent: sent,
        offers_taken: taken,
        offers_expired: expired,
    })
}
