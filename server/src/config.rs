//! Typed configuration, read once from the environment at start-up. Every variable has
//! a local default except the database; a bad value stops start-up with a message that
//! names the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: PostgreSQL connection string (may hold a password, hence secret).
    pub database_url: SecretString,
    /// `DATABASE_READ_URL`: a streaming replica for reads that may be a moment old
    /// (public listings); unset = everything on `DATABASE_URL`.
    pub database_read_url: Option<SecretString>,
    /// `CLINIC_DB_MAX_CONNECTIONS`: pool size per server instance.
    pub db_max_connections: u32,
    /// `CLINIC_ADDR`: where to listen.
    pub addr: SocketAddr,
    /// `CLINIC_SITE_ROOT`: folder with the built site (`pkg/` holds the wasm bundle and CSS).
    pub site_root: PathBuf,
    /// `CLINIC_LOG`: tracing filter, e.g. `info` or `server=debug,sqlx=warn`.
    pub log_filter: String,
    /// `CLINIC_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `CLINIC_SECURE_COOKIES`: served over HTTPS (directly or behind a TLS proxy): the
    /// session cookie becomes `__Host-` prefixed and `Secure`, and HSTS is sent.
    pub secure_cookies: bool,
    /// `CLINIC_PUBLIC_ORIGIN`: e.g. `https://clinic.example.org`; state-changing requests
    /// must come from it. Unset: the request's own `Host` is the expected origin.
    pub public_origin: Option<String>,
    /// `CLINIC_SESSION_IDLE_MINUTES` (30) and `CLINIC_SESSION_ABSOLUTE_HOURS` (12).
    pub session_idle: chrono::Duration,
    pub session_absolute: chrono::Duration,
    /// `CLINIC_TRUST_FORWARDED_FOR`: behind a reverse proxy that sets X-Forwarded-For.
    pub trust_forwarded_for: bool,
    /// `CLINIC_SMTP_URL`: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`. Unset: mail goes to `mailbox_dir`.
    pub smtp_url: Option<SecretString>,
    /// `CLINIC_MAIL_FROM`: the sender, e.g. `Riverside Clinic <no-reply@clinic.example.org>`.
    pub mail_from: String,
    /// `CLINIC_MAILBOX_DIR` (`.data/mailbox`): the development mailbox without SMTP.
    pub mailbox_dir: PathBuf,
    /// `CLINIC_SMS_WEBHOOK_URL` and `CLINIC_SMS_WEBHOOK_TOKEN`: SMS gateway; unset = no SMS.
    pub sms_webhook: Option<(String, SecretString)>,
    /// `CLINIC_SMS_WEBHOOK_SECRET`: the secret the SMS gateway signs inbound texts with
    /// (`POST /sms/inbound`, at least 24 characters); unset = no inbound endpoint (404).
    pub sms_inbound_secret: Option<SecretString>,
    /// `CLINIC_AVAILABILITY_INDEX` (`on`): read open times from this instance's in-memory
    /// index; `off` reads them from PostgreSQL (the benchmark's comparison).
    pub availability_index: bool,
    /// `CLINIC_METRICS_TOKEN`: `GET /metrics` answers only with this bearer token (at
    /// least 24 characters); unset = no metrics endpoint (404).
    pub metrics_token: Option<SecretString>,
    /// `CLINIC_MFA_KEY`: the key (32 bytes, base64) that seals two-step sign-in secrets.
    /// Every instance of one clinic needs the same. Unset: the key in
    /// `CLINIC_MFA_KEY_FILE` (default `.data/mfa.key`), made on first start.
    pub two_step_key: Option<app::services::auth::two_step::TwoStepKey>,
    pub two_step_key_file: PathBuf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration variable {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn bad(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url = get("DATABASE_URL").ok_or_else(|| {
            bad(
                "DATABASE_URL",
                "is not set; `cargo xtask run` starts a private PostgreSQL and sets it, \
                 or point it at your database (postgres://user:password@host:5432/clinic)",
            )
        })?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(bad(
                "DATABASE_URL",
                "must start with postgres:// or postgresql://",
            ));
        }

        let database_read_url = match get("DATABASE_READ_URL") {
            None => None,
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Some(SecretString::from(url))
            }
            Some(_) => {
                return Err(bad(
                    "DATABASE_READ_URL",
                    "must start with postgres:// or postgresql://",
                ))
            }
        };

        let db_max_connections = match get("CLINIC_DB_MAX_CONNECTIONS") {
            None => 10,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| {
                    bad(
                        "CLINIC_DB_MAX_CONNECTIONS",
                        format!("'{v}' is not a number from 1 to 500"),
                    )
                })?,
        };

        let addr = match get("CLINIC_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            Some(v) => v.trim().parse().map_err(|_| {
                bad(
                    "CLINIC_ADDR",
                    format!("'{v}' is not an address such as 127.0.0.1:3000"),
                )
            })?,
        };

        let site_root =
            PathBuf::from(get("CLINIC_SITE_ROOT").unwrap_or_else(|| "target/site".into()));

        let log_filter = get("CLINIC_LOG").unwrap_or_else(|| "info,sqlx=warn".into());
        tracing_subscriber::EnvFilter::try_new(&log_filter).map_err(|e| {
            bad(
                "CLINIC_LOG",
                format!("'{log_filter}' is not a valid filter: {e}"),
            )
        })?;

        let log_format = match get("CLINIC_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(bad(
                    "CLINIC_LOG_FORMAT",
                    format!("'{other}' is not 'text' or 'json'"),
                ))
            }
        };

        let flag = |var: &'static str| match get(var).as_deref().map(str::trim) {
            None | Some("false" | "0" | "no") => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some(other) => Err(bad(var, format!("'{other}' is not true or false"))),
        };
        let secure_cookies = flag("CLINIC_SECURE_COOKIES")?;
        let trust_forwarded_for = flag("CLINIC_TRUST_FORWARDED_FOR")?;
        let availability_index = match get("CLINIC_AVAILABILITY_INDEX").as_deref().map(str::trim) {
            None | Some("on" | "true" | "1" | "yes") => true,
            Some("off" | "false" | "0" | "no") => false,
            Some(other) => {
                return Err(bad(
                    "CLINIC_AVAILABILITY_INDEX",
                    format!("'{other}' is not on or off"),
                ))
            }
        };
        let public_origin = match get("CLINIC_PUBLIC_ORIGIN") {
            None => None,
            Some(v) => {
                let v = v.trim().trim_end_matches('/').to_owned();
                let scheme_ok = v.starts_with("https://") || v.starts_with("http://");
                if !scheme_ok || v.splitn(4, '/').nth(3).is_some() {
                    return Err(bad(
                        "CLINIC_PUBLIC_ORIGIN",
                        format!("'{v}' is not an origin such as https://clinic.example.org"),
                    ));
                }
                Some(v)
            }
        };
        let whole_number =
            |var: &'static str, default: i64, max: i64| -> Result<i64, ConfigError> {
                match get(var) {
                    None => Ok(default),
                    Some(v) => v
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (1..=max).contains(n))
                        .ok_or_else(|| {
                            bad(var, format!("'{v}' is not a whole number from 1 to {max}"))
                        }),
                }
            };
        let session_idle =
            chrono::Duration::minutes(whole_number("CLINIC_SESSION_IDLE_MINUTES", 30, 24 * 60)?);
        let session_absolute =
            chrono::Duration::hours(whole_number("CLINIC_SESSION_ABSOLUTE_HOURS", 12, 7 * 24)?);

        let smtp_url = get("CLINIC_SMTP_URL").map(|v| v.trim().to_owned());
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(bad(
                    "CLINIC_SMTP_URL",
                    "must start with smtp:// or smtps://",
                ));
            }
        }
        let mail_from = get("CLINIC_MAIL_FROM")
            .unwrap_or_else(|| "Clinic Scheduler <no-reply@clinic-scheduler.local>".into());
        if !mail_from.contains('@') {
            return Err(bad(
                "CLINIC_MAIL_FROM",
                format!("'{mail_from}' is not an email address"),
            ));
        }
        let mailbox_dir =
            PathBuf::from(get("CLINIC_MAILBOX_DIR").unwrap_or_else(|| ".data/mailbox".into()));
        let sms_webhook = match (
            get("CLINIC_SMS_WEBHOOK_URL"),
            get("CLINIC_SMS_WEBHOOK_TOKEN"),
        ) {
            (None, None) => None,
            (Some(url), Some(token))
                if url.starts_with("https://") || url.starts_with("http://") =>
            {
                Some((url.trim().to_owned(), SecretString::from(token)))
            }
            (Some(_), Some(_)) => {
                return Err(bad("CLINIC_SMS_WEBHOOK_URL", "must be an http(s) URL"))
            }
            (Some(_), None) => {
                return Err(bad(
                    "CLINIC_SMS_WEBHOOK_TOKEN",
                    "is required with CLINIC_SMS_WEBHOOK_URL",
                ))
            }
            (None, Some(_)) => {
                return Err(bad(
                    "CLINIC_SMS_WEBHOOK_URL",
                    "is required with CLINIC_SMS_WEBHOOK_TOKEN",
                ))
            }
        };

        let sms_inbound_secret = match get("CLINIC_SMS_WEBHOOK_SECRET") {
            None => None,
            Some(secret) if secret.trim().chars().count() >= 24 => {
                Some(SecretString::from(secret.trim().to_owned()))
            }
            Some(_) => {
                return Err(bad(
                    "CLINIC_SMS_WEBHOOK_SECRET",
                    "must be at least 24 characters",
                ))
            }
        };

        let metrics_token = match get("CLINIC_METRICS_TOKEN") {
            None => None,
            Some(token) if token.trim().chars().count() >= 24 => {
                Some(SecretString::from(token.trim().to_owned()))
            }
            Some(_) => {
                return Err(bad(
                    "CLINIC_METRICS_TOKEN",
                    "must be at least 24 characters (e.g. `openssl rand -hex 24`)",
                ))
            }
        };

        let two_step_key = match get("CLINIC_MFA_KEY") {
            None => None,
            Some(text) => Some(
                app::services::auth::two_step::TwoStepKey::from_base64(&text)
                    .map_err(|e| bad("CLINIC_MFA_KEY", e))?,
            ),
        };
        let two_step_key_file =
            PathBuf::from(get("CLINIC_MFA_KEY_FILE").unwrap_or_else(|| ".data/mfa.key".into()));

        Ok(Self {
            two_step_key,
            two_step_key_file,
            metrics_token,
            smtp_url: smtp_url.map(SecretString::from),
            mail_from,
            mailbox_dir,
            sms_webhook,
            sms_inbound_secret,
            secure_cookies,
            public_origin,
            session_idle,
            session_absolute,
            trust_forwarded_for,
            availability_index,
            database_url: SecretString::from(database_url),
            database_read_url,
            db_max_connections,
            addr,
            site_root,
            log_filter,
            log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_read_replica_url_is_optional_and_checked() {
        assert!(parse(&[DB]).unwrap().database_read_url.is_none());
        assert_eq!(
            parse(&[DB, ("DATABASE_READ_URL", "mysql://replica/clinic")])
                .unwrap_err()
                .var,
            "DATABASE_READ_URL"
        );
        assert!(
            parse(&[DB, ("DATABASE_READ_URL", "postgres://replica:5432/clinic")])
                .unwrap()
                .database_read_url
                .is_some()
        );
    }

    #[test]
    fn a_metrics_token_must_be_long() {
        assert!(parse(&[DB]).unwrap().metrics_token.is_none());
        assert_eq!(
            parse(&[DB, ("CLINIC_METRICS_TOKEN", "short")])
                .unwrap_err()
                .var,
            "CLINIC_METRICS_TOKEN"
        );
        let long = "0123456789abcdef01234567";
        use secrecy::ExposeSecret;
        let token = parse(&[DB, ("CLINIC_METRICS_TOKEN", long)])
            .unwrap()
            .metrics_token;
        assert_eq!(
            token.map(|t| t.expose_secret().to_owned()).as_deref(),
            Some(long)
        );
    }

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://clinic@localhost/clinic");

    #[test]
    fn defaults_apply_when_only_the_database_is_given() {
        let config = parse(&[DB]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.db_max_connections, 10);
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.site_root, PathBuf::from("target/site"));
    }

    #[test]
    fn missing_database_is_named() {
        assert_eq!(parse(&[]).unwrap_err().var, "DATABASE_URL");
        assert_eq!(
            parse(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(
            parse(&[DB, ("CLINIC_ADDR", "localhost")]).unwrap_err().var,
            "CLINIC_ADDR"
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_DB_MAX_CONNECTIONS", "0")])
                .unwrap_err()
                .var,
            "CLINIC_DB_MAX_CONNECTIONS"
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_LOG_FORMAT", "xml")]).unwrap_err().var,
            "CLINIC_LOG_FORMAT"
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_LOG", "info,[[")]).unwrap_err().var,
            "CLINIC_LOG"
        );
    }

    #[test]
    fn security_settings_parse_and_name_bad_values() {
        let config = parse(&[DB]).unwrap();
        assert!(!config.secure_cookies);
        assert_eq!(
            (config.session_idle, config.session_absolute),
            (chrono::Duration::minutes(30), chrono::Duration::hours(12))
        );
        let config = parse(&[
            DB,
            ("CLINIC_SECURE_COOKIES", "true"),
            ("CLINIC_PUBLIC_ORIGIN", "https://clinic.example.org/"),
        ])
        .unwrap();
        assert!(config.secure_cookies);
        assert_eq!(
            config.public_origin.as_deref(),
            Some("https://clinic.example.org")
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_SECURE_COOKIES", "maybe")])
                .unwrap_err()
                .var,
            "CLINIC_SECURE_COOKIES"
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_PUBLIC_ORIGIN", "clinic.org")])
                .unwrap_err()
                .var,
            "CLINIC_PUBLIC_ORIGIN"
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_PUBLIC_ORIGIN", "https://x.org/path")])
                .unwrap_err()
                .var,
            "CLINIC_PUBLIC_ORIGIN"
        );
        assert_eq!(
            parse(&[DB, ("CLINIC_SESSION_IDLE_MINUTES", "0")])
                .unwrap_err()
                .var,
            "CLINIC_SESSION_IDLE_MINUTES"
        );
    }

    #[test]
    fn the_database_url_is_not_printed_by_debug() {
        let config = parse(&[("DATABASE_URL", "postgres://u:hunter2@db/clinic")]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
