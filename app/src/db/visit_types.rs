//! Visit types (issue 27): their rules, who offers each, their intake questions, and the
//! answers a booking gave.

use chrono::{DateTime, Utc};
use domain::visit_type::{IntakeQuestion, QuestionKind, VisitType};
use sqlx::{PgConnection, PgPool};

/// A type's columns, from `appointment_types t`: who offers it as an array (null: every
/// doctor), its questions as parallel arrays in order.
pub(crate) const TYPE_COLUMNS: &str = "t.appointment_type_id, t.name, t.slot_count, t.buffer_slots,
       t.active, t.online,
       case when t.all_doctors then null
            else array(select x.doctor_id from doctor_appointment_types x
                        where x.appointment_type_id = t.appointment_type_id order by x.doctor_id)
       end as type_doctors,
       t.booking_note,
       array(select q.prompt from appointment_type_questions q
              where q.appointment_type_id = t.appointment_type_id order by q.position) as q_prompts,
       array(select q.kind from appointment_type_questions q
              where q.appointment_type_id = t.appointment_type_id order by q.position) as q_kinds,
       array(select q.required from appointment_type_questions q
              where q.appointment_type_id = t.appointment_type_id order by q.position) as q_required";

#[derive(sqlx::FromRow)]
pub(crate) struct TypeRow {
    appointment_type_id: i64,
    name: String,
    slot_count: i32,
    buffer_slots: i32,
    active: bool,
    online: bool,
    type_doctors: Option<Vec<i64>>,
    booking_note: Option<String>,
    q_prompts: Vec<String>,
    q_kinds: Vec<String>,
    q_required: Vec<bool>,
}

impl From<TypeRow> for VisitType {
    fn from(r: TypeRow) -> Self {
        let questions = r
            .q_prompts
            .into_iter()
            .zip(r.q_kinds)
            .zip(r.q_required)
            .enumerate()
            .map(|(i, ((prompt, kind), required))| IntakeQuestion {
                position: i as i32 + 1,
                prompt,
                kind: QuestionKind::parse(&kind).unwrap_or(QuestionKind::Text),
                required,
            })
            .collect();
        VisitType {
            id: r.appointment_type_id,
            name: r.name,
            slot_count: r.slot_count,
            buffer_slots: r.buffer_slots,
            active: r.active,
            online: r.online,
            doctors: r.type_doctors,
            note: r.booking_note,
            questions,
        }
    }
}

/// The active types in the order patients see them (online and staff-only alike).
pub async fn active(pool: &PgPool) -> Result<Vec<VisitType>, sqlx::Error> {
    let rows: Vec<TypeRow> = sqlx::query_as(&format!(
        "select {TYPE_COLUMNS} from appointment_types t
          where t.active order by t.sort_order, t.name"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(VisitType::from).collect())
}

/// Every type, retired ones last (staff settings).
pub async fn all(pool: &PgPool) -> Result<Vec<VisitType>, sqlx::Error> {
    let rows: Vec<TypeRow> = sqlx::query_as(&format!(
        "select {TYPE_COLUMNS} from appointment_types t
          order by not t.active, t.sort_order, t.name"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(VisitType::from).collect())
}

/// One type, active or retired (a booked visit keeps its retired type).
pub async fn of(conn: &mut PgConnection, id: i64) -> Result<Option<VisitType>, sqlx::Error> {
    let row: Option<TypeRow> = sqlx::query_as(&format!(
        "select {TYPE_COLUMNS} from appointment_types t where t.appointment_type_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(VisitType::from))
}

/// What staff save.
#[derive(Debug, Clone)]
pub struct TypeInput<'a> {
    pub name: &'a str,
    pub slot_count: i32,
    pub buffer_slots: i32,
    pub online: bool,
    /// `None`: every doctor.
    pub doctors: Option<&'a [i64]>,
    pub note: Option<&'a str>,
    pub questions: &'a [IntakeQuestion],
}

/// Locks a type's row for a change (staff edits are serialised per type).
pub async fn lock(conn: &mut PgConnection, id: i64) -> Result<Option<VisitType>, sqlx::Error> {
    let locked: Option<i64> = sqlx::query_scalar(
        "select appointment_type_id from appointment_types where appointment_type_id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match locked {
        Some(_) => of(conn, id).await,
        None => Ok(None),
    }
}

/// Creates a type (last in the order) and returns its id.
pub async fn insert(conn: &mut PgConnection, input: &TypeInput<'_>) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "insert into appointment_types (name, slot_count, buffer_slots, online, all_doctors,
                                        booking_note, sort_order)
         values ($1, $2, $3, $4, $5, $6,
                 (select coalesce(max(sort_order), 0) + 1 from appointment_types))
         returning appointment_type_id",
    )
    .bind(input.name)
    .bind(input.slot_count)
    .bind(input.buffer_slots)
    .bind(input.online)
    .bind(input.doctors.is_none())
    .bind(input.note)
    .fetch_one(&mut *conn)
    .await?;
    write_parts(conn, id, input).await?;
    Ok(id)
}

/// Rewrites a type's rules, doctors and questions.
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &TypeInput<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update appointment_types
            set name = $2, slot_count = $3, buffer_slots = $4, online = $5, all_doctors = $6,
                booking_note = $7
          where appointment_type_id = $1",
    )
    .bind(id)
    .bind(input.name)
    .bind(input.slot_count)
    .bind(input.buffer_slots)
    .bind(input.online)
    .bind(input.doctors.is_none())
    .bind(input.note)
    .execute(&mut *conn)
    .await?;
    write_parts(conn, id, input).await
}

async fn write_parts(
    conn: &mut PgConnection,
    id: i64,
    input: &TypeInput<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from doctor_appointment_types where appointment_type_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if let Some(doctors) = input.doctors {
        sqlx::query(
            "insert into doctor_appointment_types (appointment_type_id, doctor_id)
             select $1, d.doctor_id from doctors d where d.doctor_id = any($2)",
        )
        .bind(id)
        .bind(doctors)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("delete from appointment_type_questions where appointment_type_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let prompts: Vec<&str> = input.questions.iter().map(|q| q.prompt.trim()).collect();
    let kinds: Vec<&str> = input.questions.iter().map(|q| q.kind.as_str()).collect();
    let required: Vec<bool> = input.questions.iter().map(|q| q.required).collect();
    sqlx::query(
        "insert into appointment_type_questions (appointment_type_id, position, prompt, kind, required)
         select $1, q.n, q.prompt, q.kind, q.required
           from unnest($2::text[], $3::text[], $4::bool[]) with ordinality as q (prompt, kind, required, n)",
    )
    .bind(id)
    .bind(prompts)
    .bind(kinds)
    .bind(required)
    .execute(conn)
    .await?;
    Ok(())
}

/// Retires or restores a type; booked visits keep it either way.
pub async fn set_active(conn: &mut PgConnection, id: i64, active: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update appointment_types set active = $2 where appointment_type_id = $1")
        .bind(id)
        .bind(active)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a change to a type's doctors would touch: upcoming booked visits of the type with
/// doctors not in `doctors` (they keep their visits), and patients waiting for it.
pub async fn change_preview(
    conn: &mut PgConnection,
    id: i64,
    doctors: Option<&[i64]>,
    now: DateTime<Utc>,
) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from appointments
                  where appointment_type_id = $1 and status = 'booked' and start_time > $3),
                (select count(*) from appointments
                  where appointment_type_id = $1 and status = 'booked' and start_time > $3
                    and $2::bigint[] is not null and not doctor_id = any($2)),
                (select count(*) from waitlist_entries
                  where appointment_type_id = $1 and ended_at is null)",
    )
    .bind(id)
    .bind(doctors)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Stores a booking's answers (position, prompt as asked, answer).
pub async fn insert_answers(
    conn: &mut PgConnection,
    appointment_id: i64,
    answers: &[(i32, String, String)],
) -> Result<(), sqlx::Error> {
    if answers.is_empty() {
        return Ok(());
    }
    let positions: Vec<i32> = answers.iter().map(|a| a.0).collect();
    let prompts: Vec<&str> = answers.iter().map(|a| a.1.as_str()).collect();
    let texts: Vec<&str> = answers.iter().map(|a| a.2.as_str()).collect();
    sqlx::query(
        "insert into appointment_intake_answers (appointment_id, position, prompt, answer)
         select $1, a.position, a.prompt, a.answer
           from unnest($2::int[], $3::text[], $4::text[]) as a (position, prompt, answer)
         on conflict do nothing",
    )
    .bind(appointment_id)
    .bind(positions)
    .bind(prompts)
    .bind(texts)
    .execute(conn)
    .await?;
    Ok(())
}

/// A visit's answers, in the order asked: (prompt, answer).
pub async fn answers_of(
    conn: &mut PgConnection,
    appointment_id: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select prompt, answer from appointment_intake_answers
          where appointment_id = $1 order by position",
    )
    .bind(appointment_id)
    .fetch_all(conn)
    .await
}

/// The doctor the patient saw most recently (a completed visit, or a booked one that has
/// started), if they are still active: "my usual doctor".
pub async fn usual_doctor(
    conn: &mut PgConnection,
    patient_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select a.doctor_id from appointments a join doctors d on d.doctor_id = a.doctor_id
          where a.patient_id = $1 and d.active
            and (a.status = 'completed' or (a.status = 'booked' and a.start_time <= $2))
          order by a.start_time desc limit 1",
    )
    .bind(patient_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Whether another type has `name` (case-insensitively).
pub async fn name_taken(
    conn: &mut PgConnection,
    name: &str,
    except: Option<i64>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from appointment_types
                         where lower(name) = lower($1) and appointment_type_id is distinct from $2)",
    )
    .bind(name)
    .bind(except)
    .fetch_one(conn)
    .await
}

/// How many types are active.
pub async fn active_count(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from appointment_types where active")
        .fetch_one(conn)
        .await
}
