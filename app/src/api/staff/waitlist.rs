//! The waitlist, staff side: who waits, the record, adding a caller, taking someone off,
//! and the waitlist's settings.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::waitlist::{
    JoinForm, StaffWaitlistRow, StaffWaitlistView, WaitlistFigures, WaitlistSettingsForm,
};

/// Everyone waiting (longest first), the last 30 days' record and the settings.
#[server(prefix = "/api", endpoint = "staff_waitlist")]
pub async fn staff_waitlist() -> Result<StaffWaitlistView, AppError> {
    request::respond(async { staff::waitlist::list(&request::as_staff().await?).await }.await)
}

/// Puts a patient (say, a caller) on the waitlist with the same limits a patient gives.
#[server(prefix = "/api", endpoint = "staff_join_waitlist")]
pub async fn staff_join_waitlist(
    patient_id: i64,
    #[server(flatten)] form: JoinForm,
) -> Result<i64, AppError> {
    request::respond(
        async {
            let entry = staff::waitlist::add(&request::as_staff().await?, patient_id, form).await?;
            request::redirect("/admin/waitlist");
            Ok(entry)
        }
        .await,
    )
}

/// Takes someone off the waitlist.
#[server(prefix = "/api", endpoint = "staff_leave_waitlist")]
pub async fn staff_leave_waitlist(waitlist_entry_id: i64) -> Result<(), AppError> {
    request::respond(
        async {
            staff::waitlist::remove(&request::as_staff().await?, waitlist_entry_id).await?;
            request::redirect("/admin/waitlist");
            Ok(())
        }
        .await,
    )
}

/// Saves the waitlist's settings; each bad value is named. Returns what changed.
#[server(prefix = "/api", endpoint = "update_waitlist_settings")]
pub async fn update_waitlist_settings(
    #[server(flatten)] form: WaitlistSettingsForm,
) -> Result<Vec<String>, AppError> {
    request::respond(
        async {
            let changes =
                staff::waitlist::update_settings(&request::as_staff().await?, form).await?;
            request::redirect("/admin/waitlist");
            Ok(changes)
        }
        .await,
    )
}
