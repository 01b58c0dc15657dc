//! Clinic settings (`settings.rs`), the outbox and the audit log, staff side.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::audit::AuditAction;
use domain::schedule::local_day_bounds;
use domain::ClinicPolicy;

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, ChainReport};
use crate::services::call::{Call, Staff};
use crate::services::staff::audit_staff;
use crate::wire::staff::operations::{AuditPage, AuditRow, ChainCheck, OutboxPage, OutboxRow};

pub(crate) mod settings;

pub use settings::*;

const OUTBOX_PAGE: i64 = 50;
const STATUSES: [&str; 5] = ["pending", "sending", "sent", "dead", "superseded"];

pub async fn outbox(
    call: &Call<Staff>,
    status: Option<String>,
    page: u32,
) -> Result<OutboxPage, AppError> {
    let status = match status.as_deref().map(str::trim) {
        None | Some("") | Some("any") => None,
        Some(s) => Some(
            *STATUSES
                .iter()
                .find(|x| **x == s)
                .ok_or_else(|| AppError::validation("status", "Choose a state from the list."))?,
        ),
    };
    if page > 10_000 {
        return Err(AppError::validation(
            "page",
            "There are not that many pages.",
        ));
    }
    let state = &call.state;
    let mut rows = db::notifications::staff_list(
        &state.pool,
        status,
        OUTBOX_PAGE + 1,
        i64::from(page) * OUTBOX_PAGE,
    )
    .await?;
    let more = rows.len() as i64 > OUTBOX_PAGE;
    rows.truncate(OUTBOX_PAGE as usize);
    Ok(OutboxPage {
        counts: db::notifications::counts(&state.pool).await?,
        rows: rows
            .into_iter()
            .map(|r| OutboxRow {
                notification_id: r.notification_id,
                kind: r.kind,
                channel: r.channel,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error.map(|e| domain::text::redact_addresses(&e)),
                appointment_id: r.appointment_id,
                created_at: r.created_at,
                next_attempt_at: r.next_attempt_at,
            })
            .collect(),
        page,
        more,
    })
}

pub async fn retry(call: &Call<Staff>, notification_id: Option<i64>) -> Result<u64, AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let ids: Vec<i64> = match notification_id {
        Some(id) => vec![id],
        None => db::notifications::dead_messages(&state.pool)
            .await?
            .into_iter()
            .map(|m| m.notification_id)
            .collect(),
    };
    let queued = db::notifications::retry_dead(&state.pool, &ids, call.now).await?;
    if notification_id.is_some() && queued == 0 {
        return Err(AppError::validation(
            "notification_id",
            "Only a message that was given up on can be retried.",
        ));
    }
    let mut tx = state.pool.begin().await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::NotificationsRetry,
        None,
        notification_id.map_or_else(
            || "notifications:dead".to_owned(),
            |id| format!("notification:{id}"),
        ),
        Some(&format!("{queued} queued again")),
    )
    .await?;
    tx.commit().await?;
    Ok(queued)
}

/// What the audit page filters by.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub patient_id: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

const AUDIT_PAGE: i64 = 100;

/// The filter checked and turned into the repository's.
pub fn audit_query(
    policy: &ClinicPolicy,
    filter: &AuditFilter,
    now: DateTime<Utc>,
) -> Result<db::audit_log::Query, AppError> {
    let tz = policy.time_zone();
    let today = domain::schedule::local_date(tz, now);
    let near = |d: NaiveDate| (d - today).num_days().abs() <= 20 * 366;
    if !filter.from.is_none_or(near) || !filter.to.is_none_or(near) {
        return Err(AppError::validation(
            "from",
            "Choose dates within twenty years.",
        ));
    }
    let text = |field: &'static str, v: &Option<String>| -> Result<Option<String>, AppError> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if v.chars().count() > 100 => {
                Err(AppError::validation(field, "Type at most 100 characters."))
            }
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    Ok(db::audit_log::Query {
        patient_id: filter.patient_id,
        actor: text("actor", &filter.actor)?,
        action: text("action", &filter.action)?,
        from: filter.from.map(|d| local_day_bounds(tz, d).0),
        to: filter
            .to
            .map(|d| local_day_bounds(tz, d).1)
            .or(filter.from.map(|_| now + Duration::days(1))),
    })
}

pub async fn audit(
    call: &Call<Staff>,
    filter: AuditFilter,
    page: u32,
) -> Result<AuditPage, AppError> {
    if page > 100_000 {
        return Err(AppError::validation(
            "page",
            "There are not that many pages.",
        ));
    }
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let query = audit_query(&policy, &filter, call.now)?;
    let mut rows = db::audit_log::rows(
        &state.pool,
        &query,
        AUDIT_PAGE + 1,
        i64::from(page) * AUDIT_PAGE,
    )
    .await?;
    let more = rows.len() as i64 > AUDIT_PAGE;
    rows.truncate(AUDIT_PAGE as usize);
    Ok(AuditPage {
        rows: rows.into_iter().map(audit_row).collect(),
        page,
        more,
    })
}

pub fn audit_row(r: db::audit_log::Row) -> AuditRow {
    AuditRow {
        chain_seq: r.chain_seq,
        occurred_at: r.occurred_at,
        actor: r.actor_email.unwrap_or_else(|| "—".to_owned()),
        actor_role: r.actor_role,
        action: r.action,
        patient_id: r.patient_id,
        target: r.target,
        outcome: r.outcome,
        detail: r.detail,
    }
}

pub async fn verify_chain(call: &Call<Staff>) -> Result<ChainCheck, AppError> {
    let state = &call.state;
    Ok(match audit::verify_chain(&state.pool).await? {
        ChainReport::Intact { rows } => ChainCheck {
            intact: true,
            rows,
            broken_at: None,
            problem: None,
        },
        ChainReport::Broken {
            chain_seq, problem, ..
        } => ChainCheck {
            intact: false,
            rows: 0,
            broken_at: Some(chain_seq),
            problem: Some(problem),
        },
    })
}
