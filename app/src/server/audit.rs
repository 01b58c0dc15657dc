//! The append-only audit log (HIPAA §164.312(b)): one row per read or change of a
//! patient's data by a doctor or staff member, and per sign-in, sign-out and account
//! change — written in the same transaction as the thing it records. The database chains
//! each row's SHA-256 to the previous one and refuses UPDATE and DELETE; [`verify_chain`]
//! finds the first broken link.

use sqlx::{PgConnection, PgPool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
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
    pub actor_role: &'static str,
    pub action: &'static str,
    pub patient_id: Option<i64>,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
}

pub async fn record(conn: &mut PgConnection, entry: &Entry) -> Result<(), sqlx::Error> {
    record_with_detail(conn, entry, None).await
}

/// An audit row with a detail that staff need to read back: a staff override's reason,
/// a clinic setting's old and new value. Never patient data beyond what staff typed as
/// the reason for acting.
pub async fn record_with_detail(
    conn: &mut PgConnection,
    entry: &Entry,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    // chain_seq, prev_hash and row_hash are set by the `audit_log_chain` trigger.
    sqlx::query(
        "insert into audit_log (chain_seq, actor_user_id, actor_role, action, patient_id, target, outcome,
                                request_id, detail, prev_hash, row_hash)
         values (0, $1, $2, $3, $4, $5, $6, $7, $8, ''::bytea, ''::bytea)",
    )
    .bind(entry.actor_user_id)
    .bind(entry.actor_role)
    .bind(entry.action)
    .bind(entry.patient_id)
    .bind(&entry.target)
    .bind(entry.outcome.as_str())
    .bind(&entry.request_id)
    .bind(detail.map(|d| d.chars().take(2000).collect::<String>()))
    .execute(conn)
    .await?;
    Ok(())
}

/// One read audited for each of `patient_ids` (e.g. a list of visits), in one statement:
/// the same row as [`record`] would write for each, target `patient:<id>`.
pub async fn record_reads(
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
    .bind(entry.actor_role)
    .bind(entry.action)
    .bind(entry.outcome.as_str())
    .bind(&entry.request_id)
    .bind(patient_ids)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact {
        rows: i64,
    },
    Broken {
        chain_seq: i64,
        audit_id: Option<i64>,
        problem: String,
    },
}

/// Recomputes every row's hash in chain order and checks each link, the sequence (a
/// deleted row leaves a gap) and the head (a deleted tail leaves the head ahead).
pub async fn verify_chain(pool: &PgPool) -> Result<ChainReport, sqlx::Error> {
    let broken: Option<(i64, i64, String)> = sqlx::query_as(
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
    .await?;
    if let Some((chain_seq, audit_id, problem)) = broken {
        return Ok(ChainReport::Broken {
            chain_seq,
            audit_id: Some(audit_id),
            problem,
        });
    }
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
    if head_seq != last_seq.unwrap_or(0) || !last_hash_ok {
        return Ok(ChainReport::Broken {
            chain_seq: head_seq,
            audit_id: None,
            problem: "the newest rows are missing (the chain head is ahead of the log)".to_owned(),
        });
    }
    Ok(ChainReport::Intact { rows })
}
