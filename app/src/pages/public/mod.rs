//! Pages anyone can see without signing in.

mod home;
mod login;
mod offer;
mod password_reset;
mod signup;
mod verify_email;
mod visit_link;

pub use home::HomePage;
pub use login::LoginPage;
pub use offer::{OfferLeftPage, OfferPage, OfferTakenPage};
pub use password_reset::{ForgotPasswordPage, ResetPasswordPage, WelcomePage};
pub use signup::SignUpPage;
pub use verify_email::VerifyEmailPage;
pub use visit_link::{VisitDonePage, VisitLinkPage};
