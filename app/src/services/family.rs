//! Family accounts (issue 28): a patient with an online account (the carer) adds the
//! people they look after — each a patient record of their own, usually without a login —
//! and books and manages their visits. The booking service decides what a carer may do
//! (`booking::lock_patient_for`: a live link, read under the person's row lock); this
//! module keeps the links: adding, removing, inviting a person to their own login (their
//! first password ends the carers' access: `auth::reset`) and the person granting it again.
//!
//! Every change of a link, and every read a carer makes of a dependant's visits, writes an
//! audit row in the same transaction.

use chrono::{DateTime, Utc};
use domain::account::{Email, PersonName};
use domain::audit::{AuditAction, AuditActor};
use domain::family::{age_on, DateOfBirth, Relationship, MAX_PEOPLE};
use domain::schedule::local_date;
use sqlx::PgConnection;

use crate::db::{self, family::Ended};
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::invite;
use crate::services::call::{Call, Patient};
use crate::wire::family::{CarerView, FamilyView, PersonChoice, PersonView};

/// A person to add, as typed.
#[derive(Debug, Clone, Default)]
pub struct PersonForm {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: String,
    pub relationship: String,
    pub email: String,
    pub phone: String,
}

/// Who acts on a family link, for its audit row.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub role: AuditActor,
    pub request_id: Option<String>,
}

impl Actor {
    fn of(call: &Call<Patient>) -> Self {
        Self {
            user_id: call.who.user.user_id,
            role: AuditActor::Patient,
            request_id: call.request_id.clone(),
        }
    }

    async fn audit(
        &self,
        conn: &mut PgConnection,
        action: AuditAction,
        patient_id: i64,
        target: String,
        detail: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let entry = audit::Entry {
            actor_user_id: Some(self.user_id),
            actor_role: self.role,
            action,
            patient_id: Some(patient_id),
            target: Some(target),
            outcome: Outcome::Success,
            request_id: self.request_id.clone(),
        };
        audit::record_with_detail(conn, &entry, detail).await
    }
}

pub(crate) fn person_view(row: db::family::PersonRow, today: chrono::NaiveDate) -> PersonView {
    PersonView {
        patient_id: row.patient_id,
        age: row.date_of_birth.map(|born| age_on(born, today)),
        first_name: row.first_name,
        last_name: row.last_name,
        date_of_birth: row.date_of_birth,
        relationship: row.relationship,
        email: row.email,
        phone: row.phone,
        has_login: row.has_login,
        upcoming: row.upcoming,
    }
}

pub(crate) fn carer_view(row: db::family::CarerRow) -> CarerView {
    CarerView {
        carer_patient_id: row.carer_patient_id,
        name: format!("{} {}", row.first_name, row.last_name),
        relationship: row.relationship,
        live: row.ended_at.is_none(),
        ended_reason: row.ended_reason,
    }
}

async fn today(call: &Call<Patient>) -> Result<chrono::NaiveDate, AppError> {
    let policy = db::settings::clinic_policy(&call.state.pool).await?;
    Ok(local_date(policy.time_zone(), call.now))
}

/// The signed-in patient's family: the people they look after, and who may manage their
/// own visits (or could, before).
pub async fn mine(call: &Call<Patient>) -> Result<FamilyView, AppError> {
    let today = today(call).await?;
    let mut conn = call.state.pool.acquire().await?;
    let people = db::family::people_of(&mut conn, call.who.patient_id).await?;
    let carers = db::family::carers_of(&mut conn, call.who.patient_id).await?;
    Ok(FamilyView {
        people: people.into_iter().map(|r| person_view(r, today)).collect(),
        carers: carers.into_iter().map(carer_view).collect(),
    })
}

/// Whom the signed-in patient may book for: themselves, then the people they look after.
pub async fn booking_for(call: &Call<Patient>) -> Result<Vec<PersonChoice>, AppError> {
    let mut conn = call.state.pool.acquire().await?;
    let own = call.who.patient_id;
    let ids = db::family::family_ids(&mut conn, own).await?;
    let mut names = db::family::first_names(&mut conn, &ids).await?;
    names.sort_by_key(|(id, _)| ids.iter().position(|x| x == id));
    Ok(names
        .into_iter()
        .map(|(patient_id, first_name)| PersonChoice {
            patient_id,
            first_name,
            is_self: patient_id == own,
        })
        .collect())
}

/// A parsed [`PersonForm`].
pub(crate) struct ParsedPerson {
    first_name: PersonName,
    last_name: PersonName,
    date_of_birth: DateOfBirth,
    relationship: Relationship,
    email: Option<Email>,
    phone: Option<String>,
}

pub(crate) async fn parse_person(
    pool: &sqlx::PgPool,
    form: &PersonForm,
    now: DateTime<Utc>,
) -> Result<ParsedPerson, AppError> {
    let policy = db::settings::clinic_policy(pool).await?;
    let today = local_date(policy.time_zone(), now);
    Ok(ParsedPerson {
        first_name: PersonName::parse("first_name", &form.first_name)?,
        last_name: PersonName::parse("last_name", &form.last_name)?,
        date_of_birth: DateOfBirth::parse(&form.date_of_birth, today)?,
        relationship: Relationship::parse(&form.relationship)?,
        email: match form.email.trim() {
            "" => None,
            typed => Some(Email::parse(typed)?),
        },
        phone: crate::services::phone::as_stored(pool, &form.phone).await?,
    })
}

/// Adds a new person to `carer`'s family (a patient record of their own, with a
/// password-less account when an address was given, so messages reach them too).
pub(crate) async fn add_person_for(
    conn: &mut PgConnection,
    actor: &Actor,
    carer: i64,
    person: ParsedPerson,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    // One add at a time per carer: the count below stays true.
    if !db::users::lock_patient(conn, carer).await? {
        return Err(AppError::NotFound);
    }
    if db::family::count_of(conn, carer).await? >= MAX_PEOPLE {
        return Err(AppError::validation(
            "first_name",
            format!("One account can look after at most {MAX_PEOPLE} people; the clinic's staff can help with more."),
        ));
    }
    let user_id = match &person.email {
        Some(email) => {
            if db::patients::email_taken(conn, email.as_str()).await? {
                return Err(AppError::validation(
                    "email",
                    "This address is already used by an account here. Leave it empty (messages then come to you), or give their own address.",
                ));
            }
            Some(db::patients::insert_passwordless_user(conn, email.as_str(), now).await?)
        }
        None => None,
    };
    let patient_id = db::family::insert_person(
        conn,
        &db::family::NewPerson {
            user_id,
            first_name: person.first_name.as_str(),
            last_name: person.last_name.as_str(),
            date_of_birth: person.date_of_birth.get(),
            phone: person.phone.as_deref(),
        },
    )
    .await?;
    db::family::link(
        conn,
        carer,
        patient_id,
        person.relationship.as_str(),
        actor.user_id,
        now,
    )
    .await?;
    actor
        .audit(
            conn,
            AuditAction::FamilyAdd,
            patient_id,
            format!("carer:{carer}"),
            reason,
        )
        .await?;
    Ok(patient_id)
}

/// The signed-in patient adds someone they look after; returns the new patient's id.
pub async fn add_person(call: &Call<Patient>, form: PersonForm) -> Result<i64, AppError> {
    let person = parse_person(&call.state.pool, &form, call.now).await?;
    let mut tx = call.state.pool.begin().await?;
    let id = add_person_for(
        &mut tx,
        &Actor::of(call),
        call.who.patient_id,
        person,
        None,
        call.now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends the live link `carer` → `patient_id`, under the person's row lock (so a booking
/// for them by the carer is either before it or refused after it). Not linked: not found.
pub(crate) async fn end_link(
    conn: &mut PgConnection,
    actor: &Actor,
    carer: i64,
    patient_id: i64,
    why: Ended,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !db::users::lock_patient(conn, patient_id).await? {
        return Err(AppError::NotFound);
    }
    if !db::family::unlink(conn, carer, patient_id, why, Some(actor.user_id), now).await? {
        return Err(AppError::NotFound);
    }
    let detail = match reason {
        Some(r) => format!("{}: {r}", why.as_str()),
        None => why.as_str().to_owned(),
    };
    actor
        .audit(
            conn,
            AuditAction::FamilyUnlink,
            patient_id,
            format!("carer:{carer}"),
            Some(&detail),
        )
        .await?;
    Ok(())
}

/// The carer stops looking after `patient_id`. Their record and visit history stay with
/// the clinic; booked visits stay booked (the person's own contact, if any, still hears).
pub async fn remove_person(call: &Call<Patient>, patient_id: i64) -> Result<(), AppError> {
    let mut tx = call.state.pool.begin().await?;
    end_link(
        &mut tx,
        &Actor::of(call),
        call.who.patient_id,
        patient_id,
        Ended::Removed,
        None,
        call.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signed-in patient takes a carer's access to their visits away.
pub async fn revoke_carer(call: &Call<Patient>, carer: i64) -> Result<(), AppError> {
    let mut tx = call.state.pool.begin().await?;
    end_link(
        &mut tx,
        &Actor::of(call),
        carer,
        call.who.patient_id,
        Ended::Revoked,
        None,
        call.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signed-in patient lets a former carer manage their visits again (only someone who
/// was linked to them before; anyone else is "not found").
pub async fn regrant_carer(call: &Call<Patient>, carer: i64) -> Result<(), AppError> {
    let own = call.who.patient_id;
    let mut tx = call.state.pool.begin().await?;
    if !db::users::lock_patient(&mut tx, own).await? {
        return Err(AppError::NotFound);
    }
    let Some(former) = db::family::latest_link(&mut tx, carer, own).await? else {
        return Err(AppError::NotFound);
    };
    let carer_row = db::patients::by_id(&mut tx, carer)
        .await?
        .ok_or(AppError::NotFound)?;
    if !carer_row.has_password {
        return Err(AppError::validation(
            "carer",
            "They no longer have an online account here.",
        ));
    }
    let actor = Actor::of(call);
    if db::family::link(
        &mut tx,
        carer,
        own,
        &former.relationship,
        actor.user_id,
        call.now,
    )
    .await?
    {
        actor
            .audit(
                &mut tx,
                AuditAction::FamilyLink,
                own,
                format!("carer:{carer}"),
                Some("granted again by the patient"),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Invites a person to their own login: to the address given now (stored as their
/// account's), or to the one already on file. On their first password the carers' access
/// ends ([`own_login`]).
pub(crate) async fn invite_person_to_login(
    conn: &mut PgConnection,
    actor: &Actor,
    patient_id: i64,
    email: Option<Email>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !db::users::lock_patient(conn, patient_id).await? {
        return Err(AppError::NotFound);
    }
    let row = db::patients::by_id(conn, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.has_password {
        return Err(AppError::validation(
            "email",
            format!("{} has their own login already.", row.first_name),
        ));
    }
    let user_id = match (row.user_id, email) {
        (Some(user_id), None) => user_id,
        (Some(_), Some(email)) if row.email.as_deref() == Some(email.as_str()) => {
            row.user_id.unwrap_or_default()
        }
        (Some(_), Some(_)) => {
            return Err(AppError::validation(
                "email",
                format!(
                    "The invitation goes to {}, the address on file for {}.",
                    row.email.as_deref().unwrap_or("the address"),
                    row.first_name
                ),
            ))
        }
        (None, None) => {
            return Err(AppError::validation(
                "email",
                format!(
                    "Give {}'s own email address for the invitation.",
                    row.first_name
                ),
            ))
        }
        (None, Some(email)) => {
            if db::patients::email_taken(conn, email.as_str()).await? {
                return Err(AppError::validation(
                    "email",
                    "This address is already used by an account here: give their own address.",
                ));
            }
            let user_id = db::patients::insert_passwordless_user(conn, email.as_str(), now).await?;
            db::family::attach_user(conn, patient_id, user_id).await?;
            user_id
        }
    };
    if !invite::send_invitation(conn, user_id, now).await? {
        return Err(AppError::validation(
            "email",
            "Several invitations went out in the last hour; try again later.",
        ));
    }
    actor
        .audit(
            conn,
            AuditAction::FamilyInvite,
            patient_id,
            format!("patient:{patient_id}"),
            None,
        )
        .await?;
    Ok(())
}

/// The carer invites someone they look after to a login of their own.
pub async fn invite_person(
    call: &Call<Patient>,
    patient_id: i64,
    email: String,
) -> Result<(), AppError> {
    let email = match email.trim() {
        "" => None,
        typed => Some(Email::parse(typed)?),
    };
    let mut tx = call.state.pool.begin().await?;
    // Only someone they look after now; anyone else is "not found".
    if !db::family::cares_for(&mut tx, call.who.patient_id, patient_id).await? {
        return Err(AppError::NotFound);
    }
    invite_person_to_login(&mut tx, &Actor::of(call), patient_id, email, call.now).await?;
    tx.commit().await?;
    Ok(())
}
