//! Wiring of the notification channels from configuration, and the development mailbox
//! page (`/dev/mailbox`, served only when no SMTP server is configured).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use app::services::notify::channels::{Channels, Mailer, WebhookSms};
use app::services::notify::render::LinkBase;
use app::services::state::AppState;
use axum::extract::{Path as UrlPath, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use domain::role::Role;
use http::{header, StatusCode};
use tower_sessions::Session;

use crate::config::Config;

/// Builds the delivery channels; a bad value stops start-up naming the variable.
pub fn channels(config: &Config) -> Result<Channels, String> {
    let mailer = match &config.smtp_url {
        Some(url) => Mailer::smtp(url).map_err(|e| format!("CLINIC_SMTP_URL: {e}"))?,
        None => Mailer::Mailbox(config.mailbox_dir.clone()),
    };
    let from = config.mail_from.parse().map_err(|e| {
        format!(
            "CLINIC_MAIL_FROM: '{}' is not a mailbox: {e}",
            config.mail_from
        )
    })?;
    let sms = config.sms_webhook.as_ref().map(|(url, token)| {
        Arc::new(WebhookSms {
            url: url.clone(),
            token: token.clone(),
            client: reqwest_client(),
        }) as Arc<dyn app::services::notify::channels::SmsSender>
    });
    let links = LinkBase(
        config
            .public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.addr)),
    );
    Ok(Channels {
        mailer,
        from,
        sms,
        links,
    })
}

fn reqwest_client() -> app::services::notify::channels::HttpClient {
    app::services::notify::channels::HttpClient::new()
}

/// The development mailbox: a list of the messages written to the mailbox folder. The
/// messages name patients and their visit times, so only a signed-in admin sees them; the
/// routes sit behind the same middleware as every page (headers, request ids, sessions).
pub fn mailbox_routes(dir: PathBuf) -> Router<AppState> {
    let dir = Arc::new(dir);
    let list_dir = dir.clone();
    Router::new()
        .route(
            "/dev/mailbox",
            get(move |State(state): State<AppState>, session: Session| {
                let dir = list_dir.clone();
                async move {
                    match admin_only(&state, &session).await {
                        Ok(()) => list(&state, &dir).await.into_response(),
                        Err(refused) => refused,
                    }
                }
            }),
        )
        .route(
            "/dev/mailbox/{file}",
            get(
                move |State(state): State<AppState>,
                      session: Session,
                      UrlPath(file): UrlPath<String>| {
                    let dir = dir.clone();
                    async move {
                        match admin_only(&state, &session).await {
                            Ok(()) => show(&dir, &file).await,
                            Err(refused) => refused,
                        }
                    }
                },
            ),
        )
}

/// Anonymous visitors are sent to sign in; anyone but an admin is told there is nothing.
async fn admin_only(state: &AppState, session: &Session) -> Result<(), Response> {
    match app::services::auth::session::load(state, session, chrono::Utc::now()).await {
        Ok(Some(user)) if user.role == Role::Admin => Ok(()),
        Ok(Some(_)) => Err((StatusCode::NOT_FOUND, "Not found.").into_response()),
        Ok(None) => Err(Redirect::to("/login?next=/dev/mailbox").into_response()),
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
    }
}

fn header_value(message: &str, name: &str) -> String {
    message
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn list(state: &AppState, dir: &Path) -> Html<String> {
    let mut rows = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Ok(text) = tokio::fs::read_to_string(entry.path()).await {
                rows.push((
                    name,
                    header_value(&text, "To"),
                    header_value(&text, "Subject"),
                    header_value(&text, "Date"),
                ));
            }
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0));
    let items: String = rows
        .iter()
        .map(|(file, to, subject, date)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><a href=\"/dev/mailbox/{}\">{}</a></td></tr>",
                escape(date),
                escape(to),
                escape(file),
                escape(subject)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development mailbox</title>\
         <link rel=\"stylesheet\" href=\"{}\"></head><body><main>\
         <h1>Development mailbox</h1><p>No SMTP server is configured (CLINIC_SMTP_URL), so messages are \
         written to {} and listed here. Newest first.</p>\
         <table class=\"accounts\"><thead><tr><th>Date</th><th>To</th><th>Subject</th></tr></thead><tbody>{items}</tbody></table>\
         </main></body></html>",
        app::stylesheet_href(&state.leptos_options),
        escape(&dir.display().to_string())
    ))
}

/// One message. The name is checked before anything touches the file system: only
/// plain `name.eml` files in the mailbox folder itself.
async fn show(dir: &Path, file: &str) -> Response {
    let safe = file.ends_with(".eml")
        && !file.starts_with('.')
        && file.len() <= 200
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !safe {
        return (StatusCode::NOT_FOUND, "No such message.").into_response();
    }
    match tokio::fs::read_to_string(dir.join(file)).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "No such message.").into_response(),
    }
}
