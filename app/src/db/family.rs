//! Family accounts: which patient (a carer, with an online account) may act for which
//! other patients (the people they care for). Links end instead of being deleted.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

/// Whether `carer` may act for `patient_id` now (a live link). Read it under the
/// person's row lock when acting on it: an unlink takes that lock too.
pub async fn cares_for(
    conn: &mut PgConnection,
    carer: i64,
    patient_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from patient_carers
                         where carer_patient_id = $1 and patient_id = $2 and ended_at is null)",
    )
    .bind(carer)
    .bind(patient_id)
    .fetch_one(conn)
    .await
}

/// The patient and everyone they care for now, themselves first.
pub async fn family_ids(conn: &mut PgConnection, carer: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select $1::bigint
         union all
         (select patient_id from patient_carers
           where carer_patient_id = $1 and ended_at is null order by patient_id)",
    )
    .bind(carer)
    .fetch_all(conn)
    .await
}

/// A person someone cares for, as the carer's page and the staff's patient page show them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub patient_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub relationship: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// They have chosen a password (their own login).
    pub has_login: bool,
    pub upcoming: i64,
}

/// The people `carer` cares for now, by first name.
pub async fn people_of(conn: &mut PgConnection, carer: i64) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as(
        "select p.patient_id, p.first_name, p.last_name, p.date_of_birth, l.relationship,
                u.email, p.phone, coalesce(u.password_hash is not null, false) as has_login,
                (select count(*) from appointments a
                  where a.patient_id = p.patient_id and a.status = 'booked' and a.start_time > now()) as upcoming
           from patient_carers l
           join patients p on p.patient_id = l.patient_id
           left join users u on u.user_id = p.user_id
          where l.carer_patient_id = $1 and l.ended_at is null
          order by p.first_name, p.last_name, p.patient_id",
    )
    .bind(carer)
    .fetch_all(conn)
    .await
}

/// A carer of a patient: linked now, or formerly (with how the link ended).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CarerRow {
    pub carer_patient_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub relationship: String,
    pub linked_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_reason: Option<String>,
}

/// The carers of `patient_id`: each carer once, their latest link (live ones first).
pub async fn carers_of(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<Vec<CarerRow>, sqlx::Error> {
    sqlx::query_as(
        "select * from (
             select distinct on (l.carer_patient_id)
                    l.carer_patient_id, c.first_name, c.last_name, l.relationship, l.linked_at,
                    l.ended_at, l.ended_reason
               from patient_carers l
               join patients c on c.patient_id = l.carer_patient_id
              where l.patient_id = $1
              order by l.carer_patient_id, l.ended_at desc nulls first, l.link_id desc) latest
          order by ended_at desc nulls first, first_name, last_name",
    )
    .bind(patient_id)
    .fetch_all(conn)
    .await
}

/// The latest link between the two, live or ended (its relationship, for a new link).
pub async fn latest_link(
    conn: &mut PgConnection,
    carer: i64,
    patient_id: i64,
) -> Result<Option<CarerRow>, sqlx::Error> {
    sqlx::query_as(
        "select l.carer_patient_id, c.first_name, c.last_name, l.relationship, l.linked_at,
                l.ended_at, l.ended_reason
           from patient_carers l join patients c on c.patient_id = l.carer_patient_id
          where l.carer_patient_id = $1 and l.patient_id = $2
          order by l.ended_at desc nulls first, l.link_id desc limit 1",
    )
    .bind(carer)
    .bind(patient_id)
    .fetch_optional(conn)
    .await
}

/// How many people `carer` cares for now.
pub async fn count_of(conn: &mut PgConnection, carer: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from patient_carers where carer_patient_id = $1 and ended_at is null",
    )
    .bind(carer)
    .fetch_one(conn)
    .await
}

/// Links `carer` to `patient_id`. `false` when they are linked already.
pub async fn link(
    conn: &mut PgConnection,
    carer: i64,
    patient_id: i64,
    relationship: &str,
    by_user: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into patient_carers (carer_patient_id, patient_id, relationship, linked_at, linked_by_user_id)
         values ($1, $2, $3, $4, $5)
         on conflict (carer_patient_id, patient_id) where ended_at is null do nothing",
    )
    .bind(carer)
    .bind(patient_id)
    .bind(relationship)
    .bind(now)
    .bind(by_user)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Why a link ended (`patient_carers.ended_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The carer removed the person from their family.
    Removed,
    /// Staff unlinked them.
    Unlinked,
    /// The person, with their own login, took the carer's access away.
    Revoked,
    /// The person chose their first password: they manage their own visits now.
    OwnLogin,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::Unlinked => "unlinked",
            Self::Revoked => "revoked",
            Self::OwnLogin => "own_login",
        }
    }
}

/// Ends the live link between the two. `false` when there was none.
pub async fn unlink(
    conn: &mut PgConnection,
    carer: i64,
    patient_id: i64,
    why: Ended,
    by_user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update patient_carers set ended_at = $3, ended_reason = $4, ended_by_user_id = $5
          where carer_patient_id = $1 and patient_id = $2 and ended_at is null",
    )
    .bind(carer)
    .bind(patient_id)
    .bind(now)
    .bind(why.as_str())
    .bind(by_user)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Ends every live link to `patient_id` (their own first login). Returns the carers.
pub async fn end_links_to(
    conn: &mut PgConnection,
    patient_id: i64,
    why: Ended,
    by_user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update patient_carers set ended_at = $2, ended_reason = $3, ended_by_user_id = $4
          where patient_id = $1 and ended_at is null
          returning carer_patient_id",
    )
    .bind(patient_id)
    .bind(now)
    .bind(why.as_str())
    .bind(by_user)
    .fetch_all(conn)
    .await
}

/// A new person without a login (a dependant), with a user row only when `user_id` is given.
#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    pub user_id: Option<i64>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub date_of_birth: NaiveDate,
    pub phone: Option<&'a str>,
}

pub async fn insert_person(
    conn: &mut PgConnection,
    person: &NewPerson<'_>,
) -> Result<i64, sqlx::Error> {
    // A number given for the person is for texts about their visits too.
    sqlx::query_scalar(
        "insert into patients (user_id, first_name, last_name, date_of_birth, phone, sms_opt_in)
         values ($1, $2, $3, $4, $5, $5 is not null) returning patient_id",
    )
    .bind(person.user_id)
    .bind(person.first_name)
    .bind(person.last_name)
    .bind(person.date_of_birth)
    .bind(person.phone)
    .fetch_one(conn)
    .await
}

/// Gives a patient without an account the (password-less) account `user_id`.
pub async fn attach_user(
    conn: &mut PgConnection,
    patient_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update patients set user_id = $2, updated_at = now() where patient_id = $1 and user_id is null",
    )
    .bind(patient_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// First names of patients, by id (to label visits of a family).
pub async fn first_names(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("select patient_id, first_name from patients where patient_id = any($1)")
        .bind(ids)
        .fetch_all(conn)
        .await
}
