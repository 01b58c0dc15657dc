//! The wire and view types of `api::staff::visit_types`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use domain::visit_type::VisitType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitTypesView {
    /// The clinic's slot length: a type's lengths are whole slots of it.
    pub slot_minutes: i64,
    /// Every type, retired ones last.
    pub types: Vec<VisitType>,
    /// Every active doctor: (id, name, specialty).
    pub doctors: Vec<(i64, String, String)>,
}

/// A question as typed in the form (an empty prompt: no question).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    pub prompt: String,
    /// "text" or "yes_no".
    #[serde(default)]
    pub kind: String,
    /// A checkbox: present when ticked.
    pub required: Option<String>,
}

/// A new or changed visit type as typed (numbers as text, so each bad one is named).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitTypeForm {
    /// None: a new type.
    pub appointment_type_id: Option<i64>,
    pub name: String,
    /// The visit's length in slots.
    pub slot_count: String,
    /// The buffer after it, minutes (rounded up to whole slots).
    #[serde(default)]
    pub buffer_minutes: String,
    /// Checkbox: patients may book it online.
    pub online: Option<String>,
    /// Checkbox: every doctor offers it (else only `doctors`).
    pub all_doctors: Option<String>,
    pub doctors: Option<Vec<i64>>,
    pub note: Option<String>,
    pub questions: Option<Vec<QuestionForm>>,
    /// "preview": say what saving would change and touch, without saving.
    pub intent: Option<String>,
}

/// What saving did, or (a preview) would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitTypeOutcome {
    pub saved: bool,
    pub appointment_type_id: Option<i64>,
    /// `field: old → new` for each change.
    pub changes: Vec<String>,
    /// What it touches: upcoming visits, waiting patients.
    pub effects: Vec<String>,
}
