//! The one error type that crosses the wire between browser and server.
//!
//! Variants are things a person can act on. Internal failures carry only a correlation id:
//! the cause is logged on the server under that id and never sent to the browser.

use domain::booking::BookingError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A submitted value is unacceptable; `field` names the form field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("We could not find what you asked for.")]
    NotFound,
    /// Deliberately vague: the same for an unknown email and a wrong password.
    #[error("That email and password do not match an account.")]
    InvalidCredentials,
    #[error("Too many attempts. Please wait a few minutes and try again.")]
    TooManyAttempts,
    /// The right password for an account whose address is not confirmed yet.
    #[error(
        "Please confirm your email address first: open the link we sent you, or ask for a new one."
    )]
    EmailNotConfirmed,
    /// A booking rule said no; the inner error says why and what to do instead.
    #[error("{0}")]
    Booking(#[from] BookingError),
    /// The request itself was malformed (bad arguments, unreadable body).
    #[error("The request could not be understood: {0}")]
    BadRequest(String),
    /// The browser could not reach the server or read its answer.
    #[error("We could not reach the clinic's server. Check your connection and try again.")]
    Unreachable,
    /// The server is up but its database is not answering (restarting, failing over,
    /// every connection busy): nothing was changed, and trying again shortly works.
    #[error("The clinic's system is briefly unavailable. Nothing was changed; please try again in a minute.")]
    Unavailable,
    #[error("Something went wrong on our side. If it keeps happening, quote reference {id}.")]
    Internal { id: String },
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// What to tell the person: the message alone (a page shows a validation error next to
    /// its field, or on its own without the field's name).
    pub fn message(&self) -> String {
        match self {
            Self::Validation { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// The HTTP status a server function answers with for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Validation { .. } | Self::BadRequest(_) => 400,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden | Self::EmailNotConfirmed => 403,
            Self::NotFound => 404,
            Self::Booking(_) => 409,
            Self::TooManyAttempts => 429,
            Self::Unreachable | Self::Unavailable => 503,
            Self::Internal { .. } => 500,
        }
    }

    /// Logs `cause` under a fresh correlation id and returns an error that shows only the id.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        tracing::error!(error.id = %id, error.cause = %cause, "internal error");
        Self::Internal { id }
    }

    /// The database cannot be reached or has no connection to spare: logged (the cause
    /// names no person), and told as [`AppError::Unavailable`].
    #[cfg(feature = "ssr")]
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error.cause = %cause, "database unavailable");
        DATABASE_UNAVAILABLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::Unavailable
    }
}

/// How often this instance found the database away since it started (for `/metrics`).
#[cfg(feature = "ssr")]
static DATABASE_UNAVAILABLE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// [`AppError::unavailable`]'s count since this instance started.
#[cfg(feature = "ssr")]
pub fn database_unavailable_count() -> u64 {
    DATABASE_UNAVAILABLE.load(std::sync::atomic::Ordering::Relaxed)
}

/// For plain HTTP routes (downloads, feeds, exports): the status of the error and its
/// message as text. Internal causes were logged with their id when the error was made.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.status_code())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            self.message(),
        )
            .into_response()
    }
}

/// Errors that mean "the database is not there right now" rather than "this request is
/// wrong": no connection within the pool's timeout, a broken or refused connection, or
/// PostgreSQL shutting down, starting up or out of connections (SQLSTATE classes 08, 57P
/// and 53300).
#[cfg(feature = "ssr")]
pub fn database_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300"),
        _ => false,
    }
}

/// Errors that a submitted value causes by itself, whatever the request: a byte sequence
/// PostgreSQL cannot store (a NUL: 22021, 22P05) or a value over its size limits (54000),
/// a string too long for its column (22001), a number or time out of range (22003,
/// 22008). They are the caller's fault, so `400`, never `500`.
#[cfg(feature = "ssr")]
pub fn value_not_storable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => e.code().is_some_and(|c| {
            matches!(
                c.as_ref(),
                "22021" | "22P05" | "54000" | "22001" | "22003" | "22008"
            )
        }),
        _ => false,
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                Self::BadRequest(msg)
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unreachable,
            #[cfg(feature = "ssr")]
            other => Self::internal(other),
            #[cfg(not(feature = "ssr"))]
            _ => Self::Unreachable,
        }
    }
}

/// Database errors: violations of the constraints that guard the booking invariants mean
/// a concurrent booker won the race, which the person can act on; anything else is ours.
/// Mapped by constraint name, never by matching message text.
impl From<domain::account::FieldError> for AppError {
    fn from(err: domain::account::FieldError) -> Self {
        Self::validation(err.field, err.message)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        let constraint = err.as_database_error().and_then(|e| e.constraint());
        match constraint {
            Some(
                "appointments_no_overlap"
                | "appointment_slots_slot_key"
                | "availability_slots_no_overlap"
                | "availability_slots_doctor_start_key",
            ) => Self::Booking(BookingError::SlotTaken {
                alternatives: Vec::new(),
            }),
            Some("appointments_patient_no_overlap") => {
                Self::Booking(BookingError::OverlapsOwnAppointment {
                    appointment_id: None,
                })
            }
            Some("users_email_key") => Self::validation(
                "email",
                "An account with this email already exists. Sign in instead.",
            ),
            _ if database_unavailable(&err) => Self::unavailable(err),
            _ if value_not_storable(&err) => {
                // The last line of defence: input checks refuse these first. The cause
                // names no value (PostgreSQL's text for these quotes no data).
                tracing::warn!(error.cause = %err, "a value the database cannot store");
                Self::BadRequest(
                    "a value sent contains characters, or is of a size, that the clinic's records cannot hold"
                        .to_owned(),
                )
            }
            _ => Self::internal(err),
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_is_away_is_a_503_not_an_internal_error() {
        for err in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            let app: AppError = err.into();
            assert_eq!(app, AppError::Unavailable);
            assert_eq!(app.status_code(), 503);
        }
        // Anything else stays an internal error with a reference only.
        let app: AppError = sqlx::Error::RowNotFound.into();
        assert!(matches!(app, AppError::Internal { .. }));
        assert_eq!(app.status_code(), 500);
        assert!(!AppError::Unavailable.to_string().contains("sqlx"));
    }
}
