//! The wire and view types of `api::staff::today`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use crate::wire::staff::appointments::StaffAppointment;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One doctor's booked and offered slots over a span (blocked time and holidays are
/// not offered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorUse {
    pub doctor_id: i64,
    pub name: String,
    pub booked: i64,
    pub offered: i64,
}

impl DoctorUse {
    /// Booked ÷ offered, in whole percent (0 when nothing was offered).
    pub fn percent(&self) -> i64 {
        if self.offered == 0 {
            0
        } else {
            (self.booked * 100 + self.offered / 2) / self.offered
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodayView {
    pub date: NaiveDate,
    pub time_zone: String,
    pub generated_at: DateTime<Utc>,
    /// Today's visits in time order (all states).
    pub visits: Vec<StaffAppointment>,
    /// Doctors working today, busiest first.
    pub today_use: Vec<DoctorUse>,
    /// Doctors working this week (Monday to Sunday), busiest first.
    pub week_use: Vec<DoctorUse>,
    /// Visits that ended in the last 30 days: marked no-show, and marked at all.
    pub no_shows_30d: i64,
    pub outcomes_30d: i64,
    pub attention_open: i64,
    /// Messages given up on, or retrying after a failure.
    pub messages_failing: i64,
    /// The waitlist's last 30 days: freed times re-filled, days gained.
    pub waitlist: crate::wire::waitlist::WaitlistFigures,
    /// "Call these": tomorrow's visits the patient has not confirmed, patients with
    /// earlier no-shows first.
    pub call_list: Vec<CallRow>,
    /// Visits held in the last 30 days: confirmed share, and no-shows of the confirmed
    /// and of the others.
    pub confirmation: ConfirmationFigures,
}

/// One visit to call about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRow {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub phone: Option<String>,
    pub start: DateTime<Utc>,
    pub doctor_name: String,
    pub earlier_no_shows: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationFigures {
    /// Visits held (marked completed or no-show).
    pub marked: i64,
    /// Of those, confirmed by the patient beforehand.
    pub confirmed: i64,
    pub no_show_confirmed: i64,
    pub no_show_unconfirmed: i64,
}
