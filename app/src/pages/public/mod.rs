//! Pages anyone can see without signing in.

mod home;

pub use home::HomePage;
