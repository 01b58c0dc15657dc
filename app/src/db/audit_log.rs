//! The audit log's rows: written through `server::audit` (in the transaction of what
//! they record), read back by the staff portal, checked link by link.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

/// One audit row. `target` names the object (e.g. `appointment:42`, `user:7`): ids only,
/// never names, emails or reasons.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor_user_id: Option<i64>,
    pub actor_role: domain::audit::AuditActor,
    pub action: domain::audit::AuditAction,
    pub patient_id: Option<i64>,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
}

/// Writes one row; the `audit_log_chain` trigger sets chain_seq, prev_hash and row_hash.
pub async fn insert(
    conn: &mut PgConnection,
    entry: &Entry,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (chain_seq, actor_user_id, actor_role, action, patient_id, target, outcome,
                                request_id, detail, prev_hash, row_hash)
         values (0, $1, $2, $3, $4, $5, $6, $7, $8, ''::bytea, ''::bytea)",
    )
    .bind(entry.actor_user_id)
    .bind(entry.actor_role.as_str())
    .bind(entry.action.as_str())
    .bind(entry.patient_id)
    .bind(&entry.target)
    .bind(entry.outcome.as_str())
    .bind(&entry.request_id)
    .bind(detail.map(|d| d.chars().take(2000).collect::<String>()))
    .execute(conn)
    .await?;
    Ok(())
}

/// The row [`insert`] writes, once for each of `patient_ids` (target `patient:<id>`), in
/// one statement.
pub async fn insert_reads(
    conn: &mut PgConnection,
    entry: &Entry,
    patient_ids: &[i64],
) -> Result<(), sqlx::Error> {
    if patient_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into audit_log (chain_seq, actor_user_id, actor_role, action, patient_id, target, outcome,
                                request_id, prev_hash, row_hash)
         select 0, $1, $2, $3, p, 'patient:' || p, $4, $5, ''::bytea, ''::bytea
         from unnest($6::bigint[]) with ordinality as t (p, n) order by n",
    )
    .bind(entry.actor_user_id)
    .bind(entry.actor_role.as_str())
    .bind(entry.action.as_str())
    .bind(entry.outcome.as_str())
    .bind(&entry.request_id)
    .bind(patient_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// The first row, in chain order, whose hash, sequence or link to the previous row does
/// not hold: (chain_seq, audit_id, what is wrong).
pub async fn first_broken_link(pool: &PgPool) -> Result<Option<(i64, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "with c as (
            select audit_id, chain_seq, prev_hash, row_hash,
                   audit_row_hash(prev_hash, chain_seq, occurred_at, actor_user_id, actor_role, action,
                                  patient_id, target, outcome, request_id, detail) as recomputed,
                   lag(row_hash) over (order by chain_seq) as previous_hash,
                   lag(chain_seq) over (order by chain_seq) as previous_seq
            from audit_log)
         select chain_seq, audit_id,
                case when recomputed <> row_hash then 'row contents do not match its hash'
                     when chain_seq <> coalesce(previous_seq, 0) + 1 then 'rows missing before this one'
                     else 'link to the previous row is broken' end
         from c
         where recomputed <> row_hash
            or chain_seq <> coalesce(previous_seq, 0) + 1
            or prev_hash <> coalesce(previous_hash, sha256(''::bytea))
         order by chain_seq
         limit 1",
    )
    .fetch_optional(pool)
    .await
}

/// The log's size and head: (rows, highest chain_seq, whether the head's hash is the
/// newest row's, the head's own chain_seq).
pub async fn chain_head(pool: &PgPool) -> Result<(i64, Option<i64>, bool, i64), sqlx::Error> {
    let (rows, last_seq, last_hash_ok): (i64, Option<i64>, bool) = sqlx::query_as(
        "select (select count(*) from audit_log),
                (select max(chain_seq) from audit_log),
                (select h.last_hash = coalesce((select row_hash from audit_log order by chain_seq desc limit 1), sha256(''::bytea))
                 from audit_chain_head h)",
    )
    .fetch_one(pool)
    .await?;
    let head_seq: i64 = sqlx::query_scalar("select last_seq from audit_chain_head")
        .fetch_one(pool)
        .await?;
    Ok((rows, last_seq, last_hash_ok, head_seq))
}

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
