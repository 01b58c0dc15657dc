//! Structured logs through `tracing`. Log fields carry ids only: never names, emails,
//! visit reasons, passwords or cookies.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::{Config, LogFormat};

pub fn init(config: &Config) {
    let filter = EnvFilter::new(&config.log_filter);
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init` so tests that build several servers in one process do not panic.
    let _ = match config.log_format {
        LogFormat::Text => registry.with(fmt::layer().with_target(true)).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
}
