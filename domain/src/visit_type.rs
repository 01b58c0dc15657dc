//! Visit types as the clinic defines them (issue 27): how many slots the visit takes, a
//! buffer of the doctor's time after it, who may book it (patients online, or staff
//! only), and which doctors offer it. What a booking needs from a type is a [`Need`]:
//! how many consecutive slots of one doctor, and among which doctors.

use serde::{Deserialize, Serialize};

use crate::slot_index::Doctors;

/// Most intake questions a type asks.
pub const MAX_QUESTIONS: usize = 5;
/// Longest slot run a type may take, visit and buffer together (the schema's limit).
pub const MAX_TOTAL_SLOTS: i32 = 16;
/// Longest buffer, in slots.
pub const MAX_BUFFER_SLOTS: i32 = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitType {
    pub id: i64,
    pub name: String,
    /// Slots of the visit itself.
    pub slot_count: i32,
    /// Slots of the doctor's time booked after the visit.
    pub buffer_slots: i32,
    pub active: bool,
    /// Patients may book it themselves; otherwise only staff.
    pub online: bool,
    /// `None`: every active doctor offers it. `Some`: only these, ascending.
    pub doctors: Option<Vec<i64>>,
    /// Shown before booking ("bring your vaccination card").
    pub note: Option<String>,
    pub questions: Vec<IntakeQuestion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeQuestion {
    /// 1-based, the order asked.
    pub position: i32,
    pub prompt: String,
    pub kind: QuestionKind,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuestionKind {
    Text,
    YesNo,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Text => "text",
            QuestionKind::YesNo => "yes_no",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(QuestionKind::Text),
            "yes_no" => Some(QuestionKind::YesNo),
            _ => None,
        }
    }
}

/// What taking a time needs: `slots` consecutive open slots of one doctor among `among`
/// (`None`: any active doctor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The visit's slots; the run taken is `visit + buffer`.
    pub visit: i32,
    pub buffer: i32,
    pub among: Option<Vec<i64>>,
}

impl Need {
    /// Slots of one doctor taken: the visit and its buffer.
    pub fn slots(&self) -> i32 {
        self.visit + self.buffer
    }

    /// The index's filter for these doctors.
    pub fn doctors(&self) -> Doctors<'_> {
        match self.among.as_deref() {
            None => Doctors::All,
            Some([one]) => Doctors::One(*one),
            Some(ids) => Doctors::Among(ids),
        }
    }

    /// Any of the doctors at all (a type nobody offers, or a chosen doctor who does not
    /// offer it, has no times).
    pub fn anyone(&self) -> bool {
        self.among.as_ref().is_none_or(|ids| !ids.is_empty())
    }

    /// A plain need over every doctor (tools, tests).
    pub fn slots_of_anyone(visit: i32) -> Self {
        Need {
            visit,
            buffer: 0,
            among: None,
        }
    }
}

impl VisitType {
    /// Whether `doctor_id` offers this type (an active doctor: the caller knows).
    pub fn offered_by(&self, doctor_id: i64) -> bool {
        self.doctors
            .as_ref()
            .is_none_or(|ids| ids.binary_search(&doctor_id).is_ok())
    }

    /// What booking it needs: among its doctors, or only `chosen` (nobody, when the
    /// chosen doctor does not offer it).
    pub fn need(&self, chosen: Option<i64>) -> Need {
        let among = match chosen {
            Some(d) if self.offered_by(d) => Some(vec![d]),
            Some(_) => Some(Vec::new()),
            None => self.doctors.clone(),
        };
        Need {
            visit: self.slot_count,
            buffer: self.buffer_slots,
            among,
        }
    }
}

/// Why a staff member's visit type is refused, by field.
pub fn validate(
    name: &str,
    slot_count: i32,
    buffer_slots: i32,
    note: Option<&str>,
    questions: &[IntakeQuestion],
) -> Result<(), (&'static str, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err((
            "name",
            "A visit type needs a name of 1 to 60 characters.".into(),
        ));
    }
    if !(1..=MAX_TOTAL_SLOTS).contains(&slot_count) {
        return Err((
            "slot_count",
            format!("A visit takes from 1 to {MAX_TOTAL_SLOTS} slots."),
        ));
    }
    if !(0..=MAX_BUFFER_SLOTS).contains(&buffer_slots) {
        return Err((
            "buffer",
            format!("A buffer takes at most {MAX_BUFFER_SLOTS} slots."),
        ));
    }
    if slot_count + buffer_slots > MAX_TOTAL_SLOTS {
        return Err((
            "buffer",
            format!("The visit and its buffer together take at most {MAX_TOTAL_SLOTS} slots."),
        ));
    }
    if note.is_some_and(|n| n.chars().count() > 300) {
        return Err(("note", "Please keep the note under 300 characters.".into()));
    }
    if questions.len() > MAX_QUESTIONS {
        return Err((
            "questions",
            format!("A visit type asks at most {MAX_QUESTIONS} questions."),
        ));
    }
    for q in questions {
        let n = q.prompt.trim().chars().count();
        if n == 0 || n > 200 {
            return Err((
                "questions",
                "Each question needs 1 to 200 characters.".into(),
            ));
        }
    }
    Ok(())
}

/// Minutes rounded up to whole slots of `slot_minutes`.
pub fn minutes_to_slots(minutes: i64, slot_minutes: i64) -> i64 {
    if minutes <= 0 || slot_minutes <= 0 {
        0
    } else {
        (minutes + slot_minutes - 1) / slot_minutes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(doctors: Option<Vec<i64>>) -> VisitType {
        VisitType {
            id: 3,
            name: "Vaccination".into(),
            slot_count: 1,
            buffer_slots: 1,
            active: true,
            online: true,
            doctors,
            note: None,
            questions: Vec::new(),
        }
    }

    #[test]
    fn a_need_is_among_the_types_doctors_or_only_the_chosen_one() {
        let all = t(None);
        assert_eq!(all.need(None).among, None);
        assert_eq!(all.need(Some(9)).among, Some(vec![9]));
        assert_eq!(all.need(None).slots(), 2);
        let some = t(Some(vec![2, 5]));
        assert!(some.offered_by(5) && !some.offered_by(4));
        assert_eq!(some.need(None).doctors(), Doctors::Among(&[2, 5]));
        assert_eq!(some.need(Some(5)).doctors(), Doctors::One(5));
        let nobody = some.need(Some(4));
        assert!(!nobody.anyone());
        assert_eq!(nobody.doctors(), Doctors::Among(&[]));
    }

    #[test]
    fn minutes_round_up_to_slots() {
        assert_eq!(minutes_to_slots(0, 15), 0);
        assert_eq!(minutes_to_slots(1, 15), 1);
        assert_eq!(minutes_to_slots(15, 15), 1);
        assert_eq!(minutes_to_slots(16, 15), 2);
        assert_eq!(minutes_to_slots(-5, 15), 0);
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(validate(" ", 1, 0, None, &[]).unwrap_err().0, "name");
        assert_eq!(validate("X", 0, 0, None, &[]).unwrap_err().0, "slot_count");
        assert_eq!(validate("X", 10, 8, None, &[]).unwrap_err().0, "buffer");
        assert!(validate("X", 8, 8, Some("Bring your card"), &[]).is_ok());
    }
}
