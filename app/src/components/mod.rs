pub mod auth;
pub mod doctor_directory;
pub mod focus;
pub mod form;
pub mod layout;
pub mod password;
pub mod roving;
pub mod time;
