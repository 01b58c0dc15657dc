//! The wire and view types of `api::doctor`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use chrono::{DateTime, NaiveDate, Utc};
use domain::booking::AppointmentStatus;
use domain::bounded::BoundedDate;
use serde::{Deserialize, Serialize};

/// The weekly-hours form as posted: from which day, and one line of times per weekday
/// ("09:00-12:00, 13:00-17:00"; empty for a day off). Every field is text or a date, so
/// it travels flattened into the server function's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursForm {
    pub from: BoundedDate,
    pub monday: String,
    pub tuesday: String,
    pub wednesday: String,
    pub thursday: String,
    pub friday: String,
    pub saturday: String,
    pub sunday: String,
}

impl HoursForm {
    /// The form from a start day and the lines, Monday first.
    pub fn from_lines(from: BoundedDate, lines: [String; 7]) -> Self {
        let [monday, tuesday, wednesday, thursday, friday, saturday, sunday] = lines;
        Self {
            from,
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        }
    }

    /// The lines, Monday first.
    pub fn lines(self) -> [String; 7] {
        [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
    }
}

/// A block or leave as typed into the form: the clinic's local dates and times; without
/// times, whole days (leave).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockForm {
    pub from_date: NaiveDate,
    pub to_date: Option<NaiveDate>,
    pub from_time: Option<String>,
    pub to_time: Option<String>,
    pub note: Option<String>,
}

impl BlockForm {
    /// The form from the server function's fields (dates already bounded).
    pub fn new(
        from_date: BoundedDate,
        to_date: Option<BoundedDate>,
        from_time: Option<String>,
        to_time: Option<String>,
        note: Option<String>,
    ) -> Self {
        Self {
            from_date: from_date.get(),
            to_date: to_date.map(BoundedDate::get),
            from_time,
            to_time,
            note,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotState {
    Free,
    /// A patient is confirming it right now.
    Held,
    Booked {
        appointment_id: i64,
        patient_name: String,
        type_name: String,
        status: AppointmentStatus,
        /// The patient confirmed they will come ("I'll be there").
        confirmed: bool,
    },
    Blocked {
        note: Option<String>,
    },
    Holiday,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub state: SlotState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorDay {
    pub date: NaiveDate,
    pub slots: Vec<CalendarSlot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCalendar {
    pub week_start: NaiveDate,
    pub today: NaiveDate,
    /// Today's booked visits, whichever week is shown.
    pub today_visits: Vec<CalendarSlot>,
    pub time_zone: String,
    pub days: Vec<DoctorDay>,
    pub prev_week: NaiveDate,
    pub next_week: NaiveDate,
}

/// What a block did, or would do, to booked visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockOutcome {
    /// Visits handed to another doctor at the same time.
    pub moved: u32,
    /// Visits waiting for staff (inside the change freeze, or nobody free).
    pub queued: u32,
}

/// The doctor's weekly hours as they edit them: one line of text per weekday, Monday
/// first (`09:00-12:00, 13:00-17:00`; empty: not working).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursView {
    pub today: NaiveDate,
    pub time_zone: String,
    pub slot_minutes: i64,
    /// In effect today.
    pub lines: [String; 7],
    /// Changes already set for later dates, each with the week from then on.
    pub planned: Vec<PlannedHours>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedHours {
    pub from: NaiveDate,
    pub lines: [String; 7],
}

/// What new hours change (or, previewed, would change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursOutcome {
    pub from: NaiveDate,
    pub days: Vec<domain::hours::DayChange>,
    pub replaced_plans: Vec<NaiveDate>,
    pub added: u64,
    pub removed: u64,
    pub moved: u32,
    pub queued: u32,
}
