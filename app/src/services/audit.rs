//! The append-only audit log (HIPAA §164.312(b)): one row per read or change of a
//! patient's data by a doctor or staff member, and per sign-in, sign-out and account
//! change — written in the same transaction as the thing it records. The database chains
//! each row's SHA-256 to the previous one and refuses UPDATE and DELETE; [`verify_chain`]
//! finds the first broken link.

use sqlx::{PgConnection, PgPool};

use crate::db;
pub use crate::db::audit_log::{Entry, Outcome};

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
    db::audit_log::insert(conn, entry, detail).await
}

/// One read audited for each of `patient_ids` (e.g. a list of visits), in one statement:
/// the same row as [`record`] would write for each, target `patient:<id>`.
pub async fn record_reads(
    conn: &mut PgConnection,
    entry: &Entry,
    patient_ids: &[i64],
) -> Result<(), sqlx::Error> {
    db::audit_log::insert_reads(conn, entry, patient_ids).await
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
    let broken = db::audit_log::first_broken_link(pool).await?;
    if let Some((chain_seq, audit_id, problem)) = broken {
        return Ok(ChainReport::Broken {
            chain_seq,
            audit_id: Some(audit_id),
            problem,
        });
    }
    let (rows, last_seq, last_hash_ok, head_seq) = db::audit_log::chain_head(pool).await?;
    if head_seq != last_seq.unwrap_or(0) || !last_hash_ok {
        return Ok(ChainReport::Broken {
            chain_seq: head_seq,
            audit_id: None,
            problem: "the newest rows are missing (the chain head is ahead of the log)".to_owned(),
        });
    }
    Ok(ChainReport::Intact { rows })
}
