//! Message texts. Clinic name and contact, date, time and zone, appointment type and
//! doctor — and never the visit reason or any other clinical detail.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use domain::booking::AppointmentStatus;
use domain::ics::{self, IcsMethod};
use domain::notify::NotificationKind;

use crate::db::notifications::MessageContext;

/// One message, ready for a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sms: String,
    /// (METHOD, iCalendar text)
    pub ics: Option<(&'static str, String)>,
}

/// Where links in messages point (e.g. `https://clinic.example.org`).
#[derive(Debug, Clone)]
pub struct LinkBase(pub String);

/// The three one-action links of a confirmation or reminder (see `services::visit_links`):
/// their tokens, made when the message is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitLinkTokens {
    pub confirm: String,
    pub cancel: String,
    pub move_time: String,
}

/// "Monday, March 1, 2027 at 9:00 AM CET".
pub fn when(tz: Tz, start: DateTime<Utc>) -> String {
    let local = start.with_timezone(&tz);
    format!(
        "{} at {} {}",
        local.format("%A, %B %-d, %Y"),
        local.format("%-I:%M %p"),
        local.format("%Z")
    )
}

/// A line as HTML: escaped, with each `http(s)://` link a real link (mail clients that do
/// not find links themselves still show them as links).
fn linked_html(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let (link, tail) = match word.strip_suffix(['.', ',']) {
                Some(trimmed) => (trimmed, &word[trimmed.len()..]),
                None => (word, ""),
            };
            if link.starts_with("https://") || link.starts_with("http://") {
                let href = escape_html(link);
                format!("<a href=\"{href}\">{href}</a>{}", escape_html(tail))
            } else {
                escape_html(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `None` when there is nothing true to say any more (the message is then superseded),
/// e.g. a reminder for an appointment that was cancelled since it was queued.
/// `secret` is the query of a message's one-time link (`token=…`, and for a new
/// patient's confirmation also `&next=…`).
/// `visit_links`: the one-action links of a message about a booked visit (confirmations
/// and reminders carry them when the sender made them).
pub fn render(
    kind: NotificationKind,
    ctx: &MessageContext,
    appointment_id: Option<i64>,
    secret: Option<&str>,
    links: &LinkBase,
    visit_links: Option<&VisitLinkTokens>,
    now: DateTime<Utc>,
) -> Option<Rendered> {
    use NotificationKind::*;
    let tz: Tz = ctx.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let hello = format!("Hello {},", ctx.first_name.as_deref().unwrap_or("there"));
    let contact = format!(
        "{}\n{}\n{} · {}",
        ctx.clinic_name, ctx.clinic_address, ctx.clinic_phone, ctx.clinic_email
    );
    let manage = format!("{}/appointments", links.0.trim_end_matches('/'));
    let freeze_hours = i64::from(ctx.change_freeze_minutes) / 60;

    let appointment = match (
        appointment_id,
        ctx.start_time,
        ctx.end_time,
        ctx.appointment_status
            .as_deref()
            .and_then(AppointmentStatus::parse),
    ) {
        (Some(id), Some(start), Some(end), Some(status)) => Some((id, start, end, status)),
        _ => None,
    };
    // "I'll be there" / "Cancel this visit" / "Find another time": in the messages that
    // carry them, about a visit that is booked.
    let answer: Vec<String> = match (visit_links, appointment, kind) {
        (
            Some(t),
            Some((_, _, _, AppointmentStatus::Booked)),
            AppointmentBooked
            | AppointmentRescheduled
            | AppointmentReassigned
            | AppointmentReminder
            | AppointmentSecondReminder,
        ) => {
            let base = links.0.trim_end_matches('/');
            vec![
                format!("I'll be there: {base}/visit/confirm?token={}", t.confirm),
                format!("Cancel this visit: {base}/visit/cancel?token={}", t.cancel),
                format!("Find another time: {base}/visit/move?token={}", t.move_time),
            ]
        }
        _ => Vec::new(),
    };
    let (mut subject, mut lines, ics_method): (String, Vec<String>, Option<IcsMethod>) = match (kind, appointment) {
        (AccountWelcome, _) => (
            format!("Welcome to {}", ctx.clinic_name),
            vec![
                format!("Your account at {} is ready.", ctx.clinic_name),
                format!("Book, change or cancel visits online at {}.", links.0),
            ],
            None,
        ),
        (PasswordChanged, _) => (
            "Your password was changed".to_owned(),
            vec![
                "The password of your account was just changed, and your other devices were signed out.".to_owned(),
                format!("If this was not you, call us right away at {}.", ctx.clinic_phone),
            ],
            None,
        ),
        // Without its token (a dead message retried later) the link cannot be rebuilt:
        // the person asks for a new one.
        (PasswordReset, _) => (
            format!("Reset your password at {}", ctx.clinic_name),
            vec![
                "Someone (hopefully you) asked to reset the password of your account.".to_owned(),
                format!(
                    "Choose a new password here within 30 minutes: {}/reset-password?{}",
                    links.0.trim_end_matches('/'),
                    secret?
                ),
                "The link works once. If you did not ask for it, ignore this email: your password stays as it is.".to_owned(),
            ],
            None,
        ),
        (EmailVerification, _) => (
            format!("Confirm your email address for {}", ctx.clinic_name),
            vec![
                format!("Welcome to {}! One step is left before you can book online.", ctx.clinic_name),
                format!(
                    "Confirm your email address here within 24 hours: {}/verify-email?{}",
                    links.0.trim_end_matches('/'),
                    secret?
                ),
                "If you did not create an account, ignore this email and nothing happens.".to_owned(),
            ],
            None,
        ),
        (AccountInvitation, _) => (
            format!("Book and manage your visits at {} online", ctx.clinic_name),
            vec![
                format!("{} has recorded you as a patient. You can now see and manage your appointments online.", ctx.clinic_name),
                format!(
                    "Choose a password here within 7 days: {}/welcome?{}",
                    links.0.trim_end_matches('/'),
                    secret?
                ),
                "The link works once. You do not need an account: you can always call us instead.".to_owned(),
            ],
            None,
        ),
        (TwoStepOn, _) => (
            "Two-step sign-in is on".to_owned(),
            vec![
                "Two-step sign-in was just turned on for your account: signing in now also asks for a code from your authenticator app. Your other devices were signed out.".to_owned(),
                "Keep your recovery codes somewhere safe: each one signs you in once if you lose your phone.".to_owned(),
                format!("If this was not you, call us right away at {}.", ctx.clinic_phone),
            ],
            None,
        ),
        (TwoStepOff, _) => (
            "Two-step sign-in was turned off".to_owned(),
            vec![
                "Two-step sign-in was just turned off for your account (by you, or by the clinic at your request), and your devices were signed out.".to_owned(),
                format!("You can turn it on again on your account page: {}/account.", links.0.trim_end_matches('/')),
                format!("If this was not you, call us right away at {}.", ctx.clinic_phone),
            ],
            None,
        ),
        (PasskeyAdded, _) => (
            "A passkey was added to your account".to_owned(),
            vec![
                "A passkey was just added to your account: it signs you in on its own, with your device's screen lock. Your other devices were signed out.".to_owned(),
                format!("You can see and remove your passkeys on your account page: {}/account/two-step.", links.0.trim_end_matches('/')),
                format!("If this was not you, call us right away at {}.", ctx.clinic_phone),
            ],
            None,
        ),
        (PasskeyRemoved, _) => (
            "A passkey was removed from your account".to_owned(),
            vec![
                "A passkey was just removed from your account, and your other devices were signed out.".to_owned(),
                format!("If this was not you, call us right away at {}.", ctx.clinic_phone),
            ],
            None,
        ),
        (SignupAttempt, _) => (
            format!("Someone tried to sign up at {} with your address", ctx.clinic_name),
            vec![
                "Someone tried to create an account with this email address, which already has one.".to_owned(),
                format!("To sign in, go to {}/login.", links.0.trim_end_matches('/')),
                format!(
                    "Forgot your password? Choose a new one at {}/forgot-password.",
                    links.0.trim_end_matches('/')
                ),
                "If this was not you, you can ignore this email: your account has not changed.".to_owned(),
            ],
            None,
        ),
        // Sent only while the offer is open; an offer taken or expired before its message
        // left is not news any more.
        (WaitlistOffer, _) => {
            let (Some(start), Some(end), Some(expires), Some(true)) =
                (ctx.offer_start, ctx.offer_end, ctx.offer_expires_at, ctx.offer_open)
            else {
                return None;
            };
            if expires <= now {
                return None;
            }
            let until = expires.with_timezone(&tz);
            (
                format!("An earlier time is free: {}", when(tz, start)),
                vec![
                    format!("A time you were waiting for is free: {}.", when(tz, start)),
                    format!(
                        "{} ({} minutes) with {}.",
                        ctx.offer_type_name.as_deref().unwrap_or("Appointment"),
                        (end - start).num_minutes(),
                        ctx.offer_doctor_name.as_deref().unwrap_or("one of our doctors")
                    ),
                    format!(
                        "To take it, open {}/offer?{} before {} — whoever takes it first gets it.",
                        links.0.trim_end_matches('/'),
                        secret?,
                        until.format("%-I:%M %p %Z, %B %-d")
                    ),
                    "If you already have a visit, taking this time moves it there. You stay on the waitlist if you let it go.".to_owned(),
                ],
                None,
            )
        }
        // Said by the SMS reply path itself (the number and words are in the row).
        (SmsReply, _) => return None,
        (_, None) => return None,
        (AppointmentReminder | AppointmentSecondReminder, Some((_, start, _, status))) if status != AppointmentStatus::Booked || start <= now => return None,
        // The second reminder is only for visits the patient has not confirmed.
        (AppointmentSecondReminder, _) if ctx.confirmed == Some(true) => return None,
        (kind, Some((_, start, end, status))) => {
            let at = when(tz, start);
            let minutes = (end - start).num_minutes();
            let visit = format!(
                "{} ({minutes} minutes) with {}",
                ctx.type_name.as_deref().unwrap_or("Appointment"),
                ctx.doctor_name.as_deref().unwrap_or("your doctor")
            );
            let change = format!(
                "To change or cancel, visit {manage} up to {freeze_hours} hours before, or call {}.",
                ctx.clinic_phone
            );
            let answer = answer.clone();
            match (kind, status) {
                (_, AppointmentStatus::Cancelled) | (AppointmentCancelled, _) => (
                    format!("Cancelled: your appointment on {}", start.with_timezone(&tz).format("%B %-d")),
                    vec![format!("Your appointment on {at} is cancelled."), format!("To book again, visit {}/book.", links.0)],
                    Some(IcsMethod::Cancel),
                ),
                (AppointmentBooked, _) => (
                    format!("Booked: {at}"),
                    [vec![format!("Your appointment is booked for {at}."), visit, change], answer].concat(),
                    Some(IcsMethod::Request),
                ),
                (AppointmentRescheduled, _) => (
                    format!("Moved: your appointment is now {at}"),
                    [vec![format!("Your appointment has moved to {at}."), visit, change], answer].concat(),
                    Some(IcsMethod::Request),
                ),
                (AppointmentReassigned, _) => (
                    format!("Update: your appointment on {}", start.with_timezone(&tz).format("%B %-d")),
                    [vec![format!("Your appointment on {at} is now with another doctor."), visit, change], answer].concat(),
                    Some(IcsMethod::Request),
                ),
                (AppointmentNeedsAttention, _) => (
                    format!("We need to rearrange your appointment on {}", start.with_timezone(&tz).format("%B %-d")),
                    vec![
                        format!("Your doctor is no longer available for your appointment on {at}."),
                        format!("Our staff will contact you to find a new time, or call us at {}.", ctx.clinic_phone),
                    ],
                    None,
                ),
                (AppointmentReminder | AppointmentSecondReminder, _) => (
                    format!("Reminder: {at}"),
                    [
                        vec![format!("This is a reminder of your appointment on {at}."), visit, change],
                        answer,
                    ]
                    .concat(),
                    Some(IcsMethod::Request),
                ),
                (
                    AccountWelcome | PasswordChanged | PasswordReset | EmailVerification
                    | SignupAttempt | AccountInvitation | TwoStepOn | TwoStepOff | PasskeyAdded
                    | PasskeyRemoved | WaitlistOffer | SmsReply,
                    _,
                ) => unreachable!("handled above"),
            }
        }
    };

    // A carer's copy names whom the visit is for (first name only; the first line is also
    // what a text says).
    let for_whom = ctx
        .for_first_name
        .as_deref()
        .filter(|_| appointment.is_some() || kind == WaitlistOffer);
    if let Some(name) = for_whom {
        subject = format!("{subject} (for {name})");
        if let Some(first) = lines.first_mut() {
            *first = format!("For {name}: {first}");
        }
    }
    let text = format!("{hello}\n\n{}\n\n{contact}\n", lines.join("\n\n"));
    let html = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif\"><p>{}</p>{}<hr><p>{}</p></body></html>",
        escape_html(&hello),
        lines.iter().map(|l| format!("<p>{}</p>", linked_html(l))).collect::<String>(),
        escape_html(&contact).replace('\n', "<br>")
    );
    // A text says the first line; an offer's also carries its link (the third line); a
    // confirmation's or reminder's also what a reply does and its three links.
    let first = lines.first().map(String::as_str).unwrap_or_default();
    let sms = if kind == WaitlistOffer {
        format!(
            "{}: {}",
            ctx.clinic_name,
            [0, 2]
                .iter()
                .filter_map(|&i| lines.get(i).map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        )
    } else if answer.is_empty() {
        format!("{}: {first}", ctx.clinic_name)
    } else if matches!(kind, AppointmentReminder | AppointmentSecondReminder) {
        // Replies act on the visit inside the reminder window: only a reminder says so.
        format!(
            "{}: {first} Reply C to confirm or X to cancel. {}",
            ctx.clinic_name,
            answer.join(" ")
        )
    } else {
        format!("{}: {first} {}", ctx.clinic_name, answer.join(" "))
    };
    let ics = match (ics_method, appointment) {
        (Some(method), Some((id, start, end, _))) => {
            let description = format!(
                "{}With {}. To change or cancel, call {}.",
                for_whom.map(|n| format!("For {n}. ")).unwrap_or_default(),
                ctx.doctor_name.as_deref().unwrap_or("your doctor"),
                ctx.clinic_phone
            );
            let visit = ics::ClinicVisit {
                appointment_id: id,
                sequence: ctx.ics_sequence.unwrap_or(0),
                start,
                end,
                clinic_name: &ctx.clinic_name,
                clinic_address: &ctx.clinic_address,
                clinic_email: &ctx.clinic_email,
                description: &description,
            };
            let name = if method == IcsMethod::Cancel {
                "CANCEL"
            } else {
                "REQUEST"
            };
            Some((name, ics::render_visit(&visit, method, now)))
        }
        _ => None,
    };
    Some(Rendered {
        subject,
        text,
        html,
        sms,
        ics,
    })
}

#[cfg(test)]
mod tests {
    use super::linked_html;

    #[test]
    fn links_in_a_line_become_links_and_the_rest_stays_escaped() {
        assert_eq!(
            linked_html("I'll be there: https://c.example/visit/confirm?token=a_b-1"),
            "I'll be there: <a href=\"https://c.example/visit/confirm?token=a_b-1\">https://c.example/visit/confirm?token=a_b-1</a>"
        );
        assert_eq!(
            linked_html("Book at http://c.example/book. Or <call>."),
            "Book at <a href=\"http://c.example/book\">http://c.example/book</a>. Or &lt;call&gt;."
        );
        assert_eq!(
            linked_html("\"https://x\" & more"),
            "&quot;https://x&quot; &amp; more"
        );
    }
}
