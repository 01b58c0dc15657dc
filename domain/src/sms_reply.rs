//! What a patient's text back to the clinic asks for. One word, as carriers and patients
//! write it: case, spaces and a trailing full stop or exclamation mark do not matter.
//!
//! - `C`, `Y`, `YES`, `CONFIRM`: "I'll be there".
//! - `X`, `CANCEL`: cancel (asked back once: a second `X` within the window cancels).
//! - `STOP` and the usual opt-out words (`STOPALL`, `UNSUBSCRIBE`, `END`, `QUIT`, `OPTOUT`,
//!   `REVOKE`): no more texts to this number. `CANCEL`, an opt-out word for some carriers,
//!   means cancelling the visit here (the clinic's texts say so).
//! - `START`, `UNSTOP`: texts again.
//! - `HELP`, `INFO` and anything else: the help text.

use chrono::Duration;

/// A second `X` cancels within this time of the first; later it asks again.
pub const CANCEL_CONFIRM_WINDOW: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Confirm,
    Cancel,
    Stop,
    Start,
    Help,
}

impl Reply {
    pub fn parse(text: &str) -> Self {
        let word = text
            .trim()
            .trim_end_matches(['.', '!'])
            .trim()
            .to_ascii_uppercase();
        match word.as_str() {
            "C" | "Y" | "YES" | "CONFIRM" => Self::Confirm,
            "X" | "CANCEL" => Self::Cancel,
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "END" | "QUIT" | "OPTOUT" | "OPT OUT"
            | "REVOKE" => Self::Stop,
            "START" | "UNSTOP" => Self::Start,
            _ => Self::Help,
        }
    }

    /// The name kept for what an inbound text did (never its words).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Cancel => "cancel",
            Self::Stop => "stop",
            Self::Start => "start",
            Self::Help => "help",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reply::*;
    use super::*;

    #[test]
    fn words_as_people_type_them() {
        for (text, reply) in [
            ("C", Confirm),
            (" yes ", Confirm),
            ("Yes!", Confirm),
            ("confirm.", Confirm),
            ("x", Cancel),
            ("CANCEL", Cancel),
            ("Stop", Stop),
            ("stopall", Stop),
            ("unsubscribe", Stop),
            ("end", Stop),
            ("Quit", Stop),
            ("START", Start),
            ("unstop", Start),
            ("HELP", Help),
            ("what time is my visit?", Help),
            ("", Help),
            ("C C", Help),
            ("stop please", Help),
        ] {
            assert_eq!(Reply::parse(text), reply, "{text:?}");
        }
    }
}
