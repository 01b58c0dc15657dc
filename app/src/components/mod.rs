pub mod auth;
pub mod doctor_directory;
pub mod form;
pub mod layout;
