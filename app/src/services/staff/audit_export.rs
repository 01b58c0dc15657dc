//! The audit rows of the audit page's filter as CSV, for staff only (served by the
//! binary at `GET /admin/audit.csv?…`). The export itself is audited.

use domain::audit::{AuditAction, AuditActor};
use domain::bounded::BoundedDate;
use serde::Deserialize;

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::call::{Call, Staff};
use crate::services::staff::operations::{audit_query, audit_row, AuditFilter};

/// At most this many rows in one file (narrow the filter for more).
const MAX_ROWS: i64 = 50_000;

/// The query string as typed: bad values are answered with a message, not a 500.
#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    pub patient_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn parse<T: std::str::FromStr>(field: &str, value: &Option<String>) -> Result<Option<T>, String> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("{field}: not a valid value")),
    }
}

/// One CSV field: quoted when needed; a leading `=`, `+`, `-` or `@` is defused so a
/// spreadsheet does not run it as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The export's filter from the query string, or a message naming the bad value.
pub fn filter(params: &ExportParams) -> Result<AuditFilter, String> {
    Ok(AuditFilter {
        patient_id: parse::<i64>("patient_id", &params.patient_id)?,
        actor: params.actor.clone(),
        action: params.action.clone(),
        from: parse::<BoundedDate>("from", &params.from)?.map(BoundedDate::get),
        to: parse::<BoundedDate>("to", &params.to)?.map(BoundedDate::get),
    })
}

/// The audit rows of `filter` as CSV (at most [`MAX_ROWS`]); the export is audited.
pub async fn csv(call: &Call<Staff>, filter: &AuditFilter) -> Result<String, AppError> {
    let (state, user) = (&call.state, &call.who.user);
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let query = audit_query(&policy, filter, call.now)?;
    let rows = db::audit_log::rows(&state.pool, &query, MAX_ROWS, 0).await?;
    let mut out = String::from(
        "chain_seq,occurred_at,actor,actor_role,action,patient_id,target,outcome,detail\n",
    );
    for row in rows.into_iter().map(audit_row) {
        let cells = [
            row.chain_seq.to_string(),
            row.occurred_at.to_rfc3339(),
            row.actor,
            row.actor_role,
            row.action,
            row.patient_id.map(|p| p.to_string()).unwrap_or_default(),
            row.target.unwrap_or_default(),
            row.outcome,
            row.detail.unwrap_or_default(),
        ];
        out.push_str(&cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    let mut tx = state.pool.begin().await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(user.user_id),
            actor_role: AuditActor::Admin,
            action: AuditAction::AuditExport,
            patient_id: filter.patient_id,
            target: None,
            outcome: Outcome::Success,
            request_id: call.request_id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1"), "'-1");
    }
}
