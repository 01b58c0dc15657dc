pub mod doctor_directory;
pub mod layout;
