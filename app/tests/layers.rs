//! The one-way layering of ARCHITECTURE.md, held against the source: pages → server
//! functions (`api/`, building their calls in `request.rs`) → services (`services/`) →
//! repositories (`db/`) and `domain`, with the wire types (`wire/`) beside them. A file
//! that imports upward, a server function that skips the services, SQL outside the
//! repositories, or a service that reads the request or the clock fails here.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace folder")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, with its text (comments and `#[cfg(test)]` modules kept:
/// a test module inside a source file follows the same rules).
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// Lines of `text` that hold code (not a `//` comment).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(n, line)| (n + 1, line))
}

fn offences(files: &[(PathBuf, String)], patterns: &[&str]) -> Vec<String> {
    let root = workspace();
    let mut found = Vec::new();
    for (path, text) in files {
        for (n, line) in code_lines(text) {
            if let Some(p) = patterns.iter().find(|p| line.contains(*p)) {
                let rel = path.strip_prefix(&root).unwrap_or(path);
                found.push(format!("{}:{n}: `{p}` in {}", rel.display(), line.trim()));
            }
        }
    }
    found
}

/// The files of `app/src/` named (folders or files), with their text.
fn app_parts(parts: &[&str]) -> Vec<(PathBuf, String)> {
    let app = workspace().join("app/src");
    let mut files = Vec::new();
    for part in parts {
        let path = app.join(part);
        if path.is_dir() {
            files.extend(sources(&path));
        } else {
            let text = std::fs::read_to_string(&path).expect("a listed source file");
            files.push((path, text));
        }
    }
    files
}

#[test]
fn services_repositories_and_wire_types_never_import_upward() {
    // Below the server functions: nothing imports them, the UI, or the request layer
    // (which builds the calls the services take).
    let below = app_parts(&["services", "db", "wire", "error.rs"]);
    let found = offences(
        &below,
        &[
            "crate::api",
            "crate::pages",
            "crate::components",
            "crate::App;",
            "crate::shell",
            "crate::request",
        ],
    );
    assert!(
        found.is_empty(),
        "imports from a layer above:\n{}",
        found.join("\n")
    );
    // Repositories know nothing of the services; the error type, shared by every layer,
    // nothing of any of them.
    let mut lowest = app_parts(&["db"]);
    lowest.extend(app_parts(&["error.rs"]));
    let found = offences(&lowest, &["crate::services"]);
    assert!(
        found.is_empty(),
        "a repository imports a service:\n{}",
        found.join("\n")
    );
    // The wire types are shared by the browser and the server: nothing server-only.
    let found = offences(
        &app_parts(&["wire"]),
        &["crate::services", "crate::db", "sqlx"],
    );
    assert!(
        found.is_empty(),
        "server-only code in wire/:\n{}",
        found.join("\n")
    );
}

#[test]
fn server_functions_call_services_not_repositories() {
    // A server function parses its input, builds the call (request.rs), calls a service
    // and maps the result: it never reaches past the services to the repositories.
    let found = offences(&app_parts(&["api"]), &["crate::db", "db::", "app_state("]);
    assert!(
        found.is_empty(),
        "a server function reaches past the services:\n{}",
        found.join("\n")
    );
}

#[test]
fn sql_lives_only_in_the_repositories() {
    let root = workspace();
    let repositories = root.join("app/src/db");
    let mut files: Vec<_> = sources(&root.join("app/src"))
        .into_iter()
        .filter(|(path, _)| !path.starts_with(&repositories))
        .collect();
    // The production binary too; the data generators (devdata/) are tooling, not the
    // product, and write their made-up clinics directly.
    files.extend(sources(&root.join("server/src")));
    let found = offences(
        &files,
        &[
            "sqlx::query",
            "query_as(",
            "query_scalar(",
            "query_as::<",
            "QueryBuilder",
        ],
    );
    assert!(
        found.is_empty(),
        "SQL outside app/src/db:\n{}",
        found.join("\n")
    );
}

#[test]
fn services_and_repositories_read_neither_the_request_nor_the_clock() {
    // Everything a service needs comes in as arguments: the call (state, moment, caller,
    // request id) that the server function built, or the pool and `now`.
    // (Leptos' types, such as the options the state carries, are fine; its context is not.)
    let context = [
        "use_context",
        "expect_context",
        "provide_context",
        "leptos_axum",
        "leptos::prelude::*",
        "app_state(",
        "request_id(",
    ];
    let files = app_parts(&["services", "db"]);
    let found = offences(&files, &context);
    assert!(
        found.is_empty(),
        "a service or repository reads the request:\n{}",
        found.join("\n")
    );
    // The clock too, but for the transports: a mailbox file is named by when it is
    // written (naming, not a decision about anyone's visit).
    let transports = workspace().join("app/src/services/notify/channels.rs");
    let timed: Vec<_> = files
        .into_iter()
        .filter(|(path, _)| *path != transports)
        .collect();
    let found = offences(&timed, &["Utc::now(", "Local::now("]);
    assert!(
        found.is_empty(),
        "a service or repository reads the clock:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    // A rule that cannot fail proves nothing: each pattern is found where it must be.
    let api = app_parts(&["api"]);
    assert!(!offences(&api, &["crate::services"]).is_empty());
    assert!(!offences(&app_parts(&["db"]), &["sqlx::query"]).is_empty());
    let request = app_parts(&["request.rs"]);
    assert!(!offences(&request, &["leptos_axum"]).is_empty());
    assert!(!offences(&request, &["Utc::now("]).is_empty());
    let transports = app_parts(&["services/notify/channels.rs"]);
    assert!(!offences(&transports, &["Utc::now("]).is_empty());
}
