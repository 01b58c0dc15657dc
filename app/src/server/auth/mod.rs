//! Authentication building blocks (the sign-in flows arrive with the accounts work).

pub mod password;
