//! Delivery channels: email over SMTP (lettre) or, with no SMTP server configured, a local
//! mailbox folder for development; SMS through a webhook behind a trait.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::services::notify::render::{LinkBase, Rendered};

pub type SendResult = Result<(), String>;

/// The HTTP client the SMS webhook uses (re-exported so the server need not name reqwest).
pub type HttpClient = reqwest::Client;

/// Where email goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development: each message is written to this folder as an `.eml` file.
    Mailbox(PathBuf),
}

impl Mailer {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465` (TLS).
    pub fn smtp(url: &SecretString) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map(|builder| Self::Smtp(builder.build()))
            .map_err(|e| format!("bad SMTP URL: {e}"))
    }

    pub async fn send(&self, message: Message) -> SendResult {
        match self {
            Self::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Self::Mailbox(dir) => {
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
                    Uuid::new_v4().simple()
                );
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::write(dir.join(name), message.formatted())
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// An SMS to one phone number; `message_id` lets the gateway drop a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub to: String,
    pub body: String,
    pub message_id: Uuid,
}

/// Any SMS gateway.
pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, sms: &'a Sms) -> Pin<Box<dyn Future<Output = SendResult> + Send + 'a>>;
}

/// Posts `{"to", "body", "message_id"}` as JSON to a URL with a bearer token and an
/// `Idempotency-Key` header; any 2xx answer is success.
pub struct WebhookSms {
    pub url: String,
    pub token: SecretString,
    pub client: reqwest::Client,
}

impl SmsSender for WebhookSms {
    fn send<'a>(&'a self, sms: &'a Sms) -> Pin<Box<dyn Future<Output = SendResult> + Send + 'a>> {
        Box::pin(async move {
            let body =
                serde_json::json!({ "to": sms.to, "body": sms.body, "message_id": sms.message_id });
            let response = self
                .client
                .post(&self.url)
                .bearer_auth(self.token.expose_secret())
                .header("Idempotency-Key", sms.message_id.to_string())
                .json(&body)
                .timeout(std::time::Duration::from_secs(15))
                .send()
                .await
                .map_err(|e| format!("SMS webhook unreachable: {}", e.without_url()))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!("SMS webhook answered {}", response.status()))
            }
        })
    }
}

/// Everything the delivery worker sends with.
#[derive(Clone)]
pub struct Channels {
    pub mailer: Mailer,
    pub from: Mailbox,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub links: LinkBase,
}

impl Channels {
    /// Builds the email; its Message-ID is the notification's stable id.
    pub fn email(
        &self,
        to: &str,
        message_id: Uuid,
        rendered: &Rendered,
    ) -> Result<Message, String> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| "recipient address is not valid".to_owned())?;
        let domain = self.from.email.domain().to_owned();
        let body = MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .message_id(Some(format!("<{message_id}@{domain}>")));
        let message = match &rendered.ics {
            Some((method, ics)) => {
                let content_type =
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                        .map_err(|e| e.to_string())?;
                let attachment =
                    Attachment::new("appointment.ics".to_owned()).body(ics.clone(), content_type);
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))
            }
            None => builder.multipart(body),
        };
        message.map_err(|e| e.to_string())
    }
}
