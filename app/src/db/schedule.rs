//! Weekly hours and clinic holidays: the inputs of slot generation.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveTime, Weekday};
use domain::schedule::WeeklyInterval;
use sqlx::{PgConnection, PgPool};

#[derive(sqlx::FromRow)]
struct HoursRow {
    doctor_id: i64,
    weekday: i16,
    start_time: NaiveTime,
    end_time: NaiveTime,
    effective_from: NaiveDate,
    effective_until: Option<NaiveDate>,
}

fn weekday_from_iso(n: i16) -> Option<Weekday> {
    match n {
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        6 => Some(Weekday::Sat),
        7 => Some(Weekday::Sun),
        _ => None,
    }
}

/// Weekly hours of every active doctor (doctors without hours are included, empty).
pub async fn hours_of_active_doctors(
    pool: &PgPool,
) -> Result<HashMap<i64, Vec<WeeklyInterval>>, sqlx::Error> {
    let doctors: Vec<i64> =
        sqlx::query_scalar("select doctor_id from doctors where active order by doctor_id")
            .fetch_all(pool)
            .await?;
    let rows: Vec<HoursRow> = sqlx::query_as(
        "select h.doctor_id, h.weekday, h.start_time, h.end_time, h.effective_from, h.effective_until
         from weekly_hours h join doctors d on d.doctor_id = h.doctor_id
         where d.active",
    )
    .fetch_all(pool)
    .await?;
    let mut map: HashMap<i64, Vec<WeeklyInterval>> =
        doctors.into_iter().map(|d| (d, Vec::new())).collect();
    for row in rows {
        let doctor_id = row.doctor_id;
        if let Some(interval) = interval_of(row) {
            map.entry(doctor_id).or_default().push(interval);
        }
    }
    Ok(map)
}

const HOURS_OF: &str =
    "select doctor_id, weekday, start_time, end_time, effective_from, effective_until
     from weekly_hours where doctor_id = $1
     order by effective_from, weekday, start_time";

/// One doctor's stored weekly hours (every effective range), locking the doctor's row
/// so two edits of the same doctor's hours happen one after the other. `None`: no such
/// doctor.
pub async fn lock_hours_of(
    conn: &mut PgConnection,
    doctor_id: i64,
) -> Result<Option<Vec<WeeklyInterval>>, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select doctor_id from doctors where doctor_id = $1 for no key update")
            .bind(doctor_id)
            .fetch_optional(&mut *conn)
            .await?;
    if found.is_none() {
        return Ok(None);
    }
    let rows: Vec<HoursRow> = sqlx::query_as(HOURS_OF)
        .bind(doctor_id)
        .fetch_all(conn)
        .await?;
    Ok(Some(rows.into_iter().filter_map(interval_of).collect()))
}

/// A doctor's stored weekly hours, without locking.
pub async fn hours_of(pool: &PgPool, doctor_id: i64) -> Result<Vec<WeeklyInterval>, sqlx::Error> {
    let rows: Vec<HoursRow> = sqlx::query_as(HOURS_OF)
        .bind(doctor_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().filter_map(interval_of).collect())
}

fn interval_of(row: HoursRow) -> Option<WeeklyInterval> {
    Some(WeeklyInterval {
        weekday: weekday_from_iso(row.weekday)?,
        start: row.start_time,
        end: row.end_time,
        effective_from: row.effective_from,
        effective_until: row.effective_until,
    })
}

pub async fn add_hours(
    conn: &mut PgConnection,
    doctor_id: i64,
    interval: &WeeklyInterval,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from, effective_until)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(doctor_id)
    .bind(interval.weekday.number_from_monday() as i16)
    .bind(interval.start)
    .bind(interval.end)
    .bind(interval.effective_from)
    .bind(interval.effective_until)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn holidays_between(
    db: impl sqlx::PgExecutor<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeSet<NaiveDate>, sqlx::Error> {
    let dates: Vec<NaiveDate> = sqlx::query_scalar(
        "select holiday_date from clinic_holidays where holiday_date between $1 and $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    Ok(dates.into_iter().collect())
}

/// Adds a clinic holiday; `false` when the day already is one.
pub async fn insert_holiday(
    conn: &mut PgConnection,
    date: NaiveDate,
    name: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into clinic_holidays (holiday_date, name) values ($1, $2) on conflict do nothing",
    )
    .bind(date)
    .bind(name)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Removes a clinic holiday; `false` when the day was none.
pub async fn delete_holiday(conn: &mut PgConnection, date: NaiveDate) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from clinic_holidays where holiday_date = $1")
            .bind(date)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Clinic holidays from `from` on, with their names.
pub async fn holidays_from(
    pool: &PgPool,
    from: NaiveDate,
) -> Result<Vec<(NaiveDate, String)>, sqlx::Error> {
    sqlx::query_as(
        "select holiday_date, name from clinic_holidays where holiday_date >= $1 order by holiday_date",
    )
    .bind(from)
    .fetch_all(pool)
    .await
}

/// Replaces all of a doctor's weekly hours.
pub async fn replace_hours(
    conn: &mut PgConnection,
    doctor_id: i64,
    intervals: &[WeeklyInterval],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from weekly_hours where doctor_id = $1")
        .bind(doctor_id)
        .execute(&mut *conn)
        .await?;
    for interval in intervals {
        add_hours(conn, doctor_id, interval).await?;
    }
    Ok(())
}
