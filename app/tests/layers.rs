//! The one-way layering of ARCHITECTURE.md, held against the source: pages → server
//! functions (`api/`) → services → repositories (`server/db/`) and `domain`, with the wire
//! types (`wire/`) beside them. A file that imports upward, SQL outside the repositories,
//! or a context-free service that reads the request's context or the clock fails here.

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

#[test]
fn services_repositories_and_wire_types_never_import_upward() {
    let app = workspace().join("app/src");
    let mut files = sources(&app.join("server"));
    files.extend(sources(&app.join("wire")));
    let found = offences(
        &files,
        &[
            "crate::api",
            "crate::pages",
            "crate::components",
            "crate::App;",
            "crate::shell",
        ],
    );
    assert!(
        found.is_empty(),
        "imports from a layer above:\n{}",
        found.join("\n")
    );
    // The wire types are shared by the browser and the server: nothing server-only.
    let found = offences(&sources(&app.join("wire")), &["crate::server", "sqlx"]);
    assert!(
        found.is_empty(),
        "server-only code in wire/:\n{}",
        found.join("\n")
    );
}

#[test]
fn sql_lives_only_in_the_repositories() {
    let root = workspace();
    let repositories = root.join("app/src/server/db");
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
        "SQL outside app/src/server/db:\n{}",
        found.join("\n")
    );
}

#[test]
fn context_free_services_read_neither_the_request_nor_the_clock() {
    let server = workspace().join("app/src/server");
    // The services (files or folders) that already take everything they need as arguments (`now`, the
    // acting user with the request id, the store). The adapters that read the session
    // (patient.rs, doctor.rs, profile.rs, visits.rs, staff/, auth/) are not listed yet.
    let context_free = [
        "booking",
        "availability",
        "schedule.rs",
        "blocks.rs",
        "reassignment.rs",
        "audit.rs",
        "counters.rs",
        "notify/mod.rs",
        "notify/render.rs",
        "notify/deliver.rs",
    ];
    let mut files = Vec::new();
    for listed in context_free {
        let path = server.join(listed);
        if path.is_dir() {
            files.extend(sources(&path));
        } else {
            let text = std::fs::read_to_string(&path).expect("a listed service");
            files.push((path, text));
        }
    }
    files.extend(sources(&server.join("db")));
    let found = offences(
        &files,
        &[
            "use_context",
            "expect_context",
            "leptos_axum",
            "leptos::",
            "guard::",
            "app_state(",
            "request_id(",
            "Utc::now(",
        ],
    );
    assert!(
        found.is_empty(),
        "a context-free service reads the request or the clock:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    // A rule that cannot fail proves nothing: each pattern is found where it must be.
    let root = workspace();
    let api = sources(&root.join("app/src/api"));
    assert!(!offences(&api, &["crate::server"]).is_empty());
    let db = sources(&root.join("app/src/server/db"));
    assert!(!offences(&db, &["sqlx::query"]).is_empty());
    let guard = sources(&root.join("app/src/server/auth"));
    assert!(!offences(&guard, &["leptos_axum"]).is_empty());
}
