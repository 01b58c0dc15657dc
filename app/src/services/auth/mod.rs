//! Authentication and authorization: sessions, guards for server functions, the sign-in
//! and sign-up flows, and staff account management.

pub mod accounts;
pub mod flows;
pub mod invite;
pub mod password;
pub mod reset;
pub mod session;
pub mod tokens;
pub mod two_step;
