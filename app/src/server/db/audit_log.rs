//! Reading the audit log (writing is `server::audit`).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A filter over the audit log.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub patient_id: Option<i64>,
    /// Part of the actor's email.
    pub actor: Option<String>,
    /// The start of an action name, e.g. `appointment.`.
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub chain_seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_email: Option<String>,
    pub actor_role: String,
    pub action: String,
    pub patient_id: Option<i64>,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

/// Matching rows, newest first.
pub async fn rows(
    pool: &PgPool,
    q: &Query,
    limit: i64,
    offset: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    let actor = q.actor.as_deref().map(super::contains_pattern);
    let action = q.action.as_deref().map(|a| {
        let pattern = super::contains_pattern(a);
        // A prefix: drop the leading wildcard.
        pattern[1..].to_owned()
    });
    sqlx::query_as(
        "select l.chain_seq, l.occurred_at, u.email as actor_email, l.actor_role, l.action,
                l.patient_id, l.target, l.outcome, l.detail
         from audit_log l left join users u on u.user_id = l.actor_user_id
         where ($1::bigint is null or l.patient_id = $1)
           and ($2::text is null or u.email like $2)
           and ($3::text is null or l.action like $3)
           and ($4::timestamptz is null or l.occurred_at >= $4)
           and ($5::timestamptz is null or l.occurred_at < $5)
         order by l.chain_seq desc
         limit $6 offset $7",
    )
    .bind(q.patient_id)
    .bind(actor)
    .bind(action)
    .bind(q.from)
    .bind(q.to)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}
