//! The staff portal's server functions (`/admin/...`). Every one of them starts with
//! `require_admin`; reads of patient data are audited like the doctors' (rule 8).

pub mod appointments;
pub mod clinic;
pub mod doctors;
pub mod family;
pub mod operations;
pub mod patients;
pub mod today;
pub mod visit_types;
pub mod waitlist;
