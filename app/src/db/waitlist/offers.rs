//! Offers of freed times: the queue the slot trigger fills, the openings being offered,
//! the offers with their hashed one-action tokens, and their messages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// A slot that became free.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Freed {
    pub doctor_id: i64,
    pub start_time: DateTime<Utc>,
    pub freed_at: DateTime<Utc>,
}

/// Takes up to `limit` freed slots off the queue (another engine run skips them).
pub async fn take_freed(conn: &mut PgConnection, limit: i64) -> Result<Vec<Freed>, sqlx::Error> {
    sqlx::query_as(
        "delete from waitlist_freed
          where freed_id in (select freed_id from waitlist_freed order by freed_id
                              limit $1 for update skip locked)
         returning doctor_id, start_time, freed_at",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A bookable visit type someone is waiting for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitedType {
    pub appointment_type_id: i64,
    /// Slots of one doctor a visit of it takes: the visit and its buffer.
    pub slot_count: i32,
    /// Who offers it (`None`: every doctor).
    pub doctors: Option<Vec<i64>>,
    /// Someone waits without a visit: any time is of use.
    pub any_time: bool,
    /// Else the latest visit someone would bring earlier: only times before it are.
    pub latest_visit: Option<DateTime<Utc>>,
}

pub async fn waited_types(conn: &mut PgConnection) -> Result<Vec<WaitedType>, sqlx::Error> {
    sqlx::query_as(
        "select t.appointment_type_id, t.slot_count + t.buffer_slots as slot_count,
                case when t.all_doctors then null
                     else array(select x.doctor_id from doctor_appointment_types x
                                 where x.appointment_type_id = t.appointment_type_id)
                end as doctors,
                bool_or(w.appointment_id is null) as any_time,
                max(a.start_time) filter (where a.status = 'booked') as latest_visit
           from waitlist_entries w
           join appointment_types t using (appointment_type_id)
           left join appointments a on a.appointment_id = w.appointment_id
          where t.active and w.ended_at is null
          group by t.appointment_type_id
          order by t.appointment_type_id",
    )
    .fetch_all(conn)
    .await
}

/// Opens a time for offers, due at once; nothing when it is being offered already.
pub async fn open(
    conn: &mut PgConnection,
    doctor_id: i64,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    freed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "insert into waitlist_openings (doctor_id, start_time, appointment_type_id, freed_at,
                                        opened_at, next_wave_at)
         values ($1, $2, $3, $4, $5, $5)
         on conflict do nothing",
    )
    .bind(doctor_id)
    .bind(start)
    .bind(appointment_type_id)
    .bind(freed_at)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Opening {
    pub opening_id: i64,
    pub doctor_id: i64,
    pub start_time: DateTime<Utc>,
    pub appointment_type_id: i64,
    /// Slots of the visit itself, and with its buffer (the doctor's run).
    pub visit_slots: i32,
    pub slot_count: i32,
    /// The doctor still offers the type.
    pub offered: bool,
    pub waves: i32,
}

/// Openings whose next wave is due, locked (another engine run skips them).
pub async fn due_openings(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Opening>, sqlx::Error> {
    sqlx::query_as(
        "select o.opening_id, o.doctor_id, o.start_time, o.appointment_type_id,
                t.slot_count as visit_slots, t.slot_count + t.buffer_slots as slot_count,
                (t.all_doctors or exists (select 1 from doctor_appointment_types x
                                           where x.appointment_type_id = t.appointment_type_id
                                             and x.doctor_id = o.doctor_id)) as offered,
                o.waves
           from waitlist_openings o join appointment_types t using (appointment_type_id)
          where o.closed_at is null and o.next_wave_at <= $1 and t.active
          order by o.next_wave_at, o.opening_id
          limit $2
          for no key update of o skip locked",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Closes an opening (`gone`, `nobody`, `passed`); its offers still open are answered:
/// the time went to someone else, or (passed) they expired.
pub async fn close(
    conn: &mut PgConnection,
    opening_id: i64,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "with closed as (
             update waitlist_openings set closed_at = $3, outcome = $2
              where opening_id = $1 and closed_at is null returning opening_id)
         update waitlist_offers set outcome = case when $2 = 'passed' then 'expired'
                                                   else 'taken_by_other' end,
                answered_at = $3
          where opening_id in (select opening_id from closed) and outcome is null",
    )
    .bind(opening_id)
    .bind(outcome)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Schedules the opening's next wave.
pub async fn next_wave(
    conn: &mut PgConnection,
    opening_id: i64,
    waves: i32,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update waitlist_openings set waves = $2, next_wave_at = $3 where opening_id = $1")
        .bind(opening_id)
        .bind(waves)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Entries this opening was offered to already.
pub async fn offered_entries(
    conn: &mut PgConnection,
    opening_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("select waitlist_entry_id from waitlist_offers where opening_id = $1")
        .bind(opening_id)
        .fetch_all(conn)
        .await
}

/// Patients with an offer still open (a patient weighs one offer at a time).
pub async fn patients_weighing_offers(conn: &mut PgConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("select distinct patient_id from waitlist_offers where outcome is null")
        .fetch_all(conn)
        .await
}

/// Whether the opening has offers still open.
pub async fn has_open_offers(
    conn: &mut PgConnection,
    opening_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from waitlist_offers where opening_id = $1 and outcome is null)",
    )
    .bind(opening_id)
    .fetch_one(conn)
    .await
}

/// Offers made to each of `patient_ids` since `since` (the daily cap).
pub async fn offers_since(
    conn: &mut PgConnection,
    patient_ids: &[i64],
    since: DateTime<Utc>,
) -> Result<HashMap<i64, i64>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select patient_id, count(*) from waitlist_offers
          where patient_id = any($1) and created_at >= $2 group by patient_id",
    )
    .bind(patient_ids)
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A new offer; `token` is stored as its SHA-256 only.
pub struct NewOffer<'a> {
    pub opening_id: i64,
    pub waitlist_entry_id: i64,
    pub patient_id: i64,
    pub wave: i32,
    pub token: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(
    conn: &mut PgConnection,
    offer: &NewOffer<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into waitlist_offers (opening_id, waitlist_entry_id, patient_id, wave, token_hash,
                                      created_at, expires_at)
         values ($1, $2, $3, $4, sha256(convert_to($5, 'UTF8')), $6, $7)
         returning offer_id",
    )
    .bind(offer.opening_id)
    .bind(offer.waitlist_entry_id)
    .bind(offer.patient_id)
    .bind(offer.wave)
    .bind(offer.token)
    .bind(now)
    .bind(offer.expires_at)
    .fetch_one(conn)
    .await
}

/// Queues the offer's message to the patient: email, and a text when they opted in and
/// `sms` allows it (quiet hours). The link's query travels in `secret`, erased once sent;
/// the message id is derived from the offer, so it is queued once per channel.
pub async fn queue_message(
    conn: &mut PgConnection,
    offer_id: i64,
    patient_id: i64,
    secret: &str,
    sms: bool,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id,
                                    waitlist_offer_id, next_attempt_at, secret, created_at,
                                    updated_at)
         select md5('waitlist-offer:' || $1 || ':' || c.channel
                    || case when r.is_self then '' else ':' || r.user_id end)::uuid, 'waitlist_offer',
                c.channel, r.user_id, $1, $5, $3, $5, $5
           from patient_recipients r cross join (values ('email'), ('sms')) as c (channel)
          where r.patient_id = $2
            and (c.channel = 'email' or ($4 and r.phone is not null and r.sms_opt_in))
         on conflict (message_id) do nothing",
    )
    .bind(offer_id)
    .bind(patient_id)
    .bind(secret)
    .bind(sms)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Offers whose time ran out are expired. Returns how many. Offers a taker holds locked
/// are left for the next run (waiting for them could deadlock with that taker, who
/// answers its wave-mates next).
pub async fn expire(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update waitlist_offers set outcome = 'expired', answered_at = $1
          where offer_id in (select offer_id from waitlist_offers
                              where outcome is null and expires_at <= $1
                              for update skip locked)",
    )
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

/// An offer found by its link, with what its page shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferRecord {
    pub offer_id: i64,
    pub opening_id: i64,
    pub waitlist_entry_id: i64,
    pub patient_id: i64,
    pub patient_user_id: Option<i64>,
    pub outcome: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub doctor_id: i64,
    pub doctor_name: String,
    pub start_time: DateTime<Utc>,
    pub appointment_type_id: i64,
    pub type_name: String,
    pub slot_count: i32,
    pub opening_closed: bool,
    /// The visit the offer would bring earlier (none: waiting without one).
    pub appointment_id: Option<i64>,
    pub entry_live: bool,
}

const OFFER: &str = "select f.offer_id, f.opening_id, f.waitlist_entry_id, f.patient_id,
        p.user_id as patient_user_id, f.outcome, f.expires_at, o.doctor_id,
        doctor_display_name(d.first_name, d.last_name) as doctor_name, o.start_time,
        o.appointment_type_id, t.name as type_name, t.slot_count,
        o.closed_at is not null as opening_closed, w.appointment_id,
        w.ended_at is null as entry_live
   from waitlist_offers f
   join waitlist_openings o using (opening_id)
   join waitlist_entries w using (waitlist_entry_id)
   join patients p on p.patient_id = f.patient_id
   join doctors d on d.doctor_id = o.doctor_id
   join appointment_types t on t.appointment_type_id = o.appointment_type_id";

/// The offer whose link carries `token`, if any.
pub async fn by_token(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<OfferRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{OFFER} where f.token_hash = sha256(convert_to($1, 'UTF8'))"
    ))
    .bind(token)
    .fetch_optional(conn)
    .await
}

/// Locks the opening, then reads the offer afresh (takers of one opening queue here, so
/// exactly one of them books it).
pub async fn lock_for_taking(
    conn: &mut PgConnection,
    offer_id: i64,
    opening_id: i64,
) -> Result<Option<OfferRecord>, sqlx::Error> {
    sqlx::query("select 1 from waitlist_openings where opening_id = $1 for no key update")
        .bind(opening_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(&format!(
        "{OFFER} where f.offer_id = $1 for no key update of f"
    ))
    .bind(offer_id)
    .fetch_optional(conn)
    .await
}

/// Records a taken offer: the offer taken, the opening filled (with the visit and the days
/// gained), its other open offers answered "taken by another", the patient's place on the
/// list ended, and their other open offers withdrawn.
pub async fn record_taken(
    conn: &mut PgConnection,
    offer: &OfferRecord,
    appointment_id: i64,
    days_gained: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "with taken as (
             update waitlist_offers set outcome = 'taken', answered_at = $5 where offer_id = $1),
         filled as (
             update waitlist_openings set closed_at = $5, outcome = 'filled',
                    filled_appointment_id = $3, days_gained = $4
              where opening_id = $2),
         others as (
             update waitlist_offers set outcome = 'taken_by_other', answered_at = $5
              where opening_id = $2 and offer_id <> $1 and outcome is null),
         withdrawn as (
             update waitlist_offers set outcome = 'withdrawn', answered_at = $5
              where waitlist_entry_id = $6 and offer_id <> $1 and opening_id <> $2
                and outcome is null)
         update waitlist_entries set ended_at = $5, end_reason = 'booked'
          where waitlist_entry_id = $6 and ended_at is null",
    )
    .bind(offer.offer_id)
    .bind(offer.opening_id)
    .bind(appointment_id)
    .bind(days_gained)
    .bind(now)
    .bind(offer.waitlist_entry_id)
    .execute(conn)
    .await?;
    Ok(())
}
