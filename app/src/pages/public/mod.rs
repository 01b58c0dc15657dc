//! Pages anyone can see without signing in.

mod home;
mod login;
mod signup;

pub use home::HomePage;
pub use login::LoginPage;
pub use signup::SignUpPage;
