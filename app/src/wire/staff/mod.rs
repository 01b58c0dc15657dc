//! The staff portal's wire and view types.

pub mod appointments;
pub mod clinic;
pub mod doctors;
pub mod operations;
pub mod patients;
pub mod today;
pub mod visit_types;
