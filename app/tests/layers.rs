//! The one-way layering of ARCHITECTURE.md, held against the source: pages → server
//! functions (`api/`, building their calls in `request.rs`) → services (`services/`) →
//! repositories (`db/`) and `domain`, with the wire types (`wire/`) beside them. A file
//! that imports upward, a server function that skips the services, SQL outside the
//! repositories, a service that reads the request or the clock, or files that import
//! each other round a circle fail here.

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

/// The modules a file names through `crate::` paths (`use crate::a::b::C;`,
/// `crate::a::f()`, one level of `crate::{a, b::c}`), as files of `app/src` (the longest
/// prefix of the path that is a module file). The crate root (`lib.rs`, which re-exports
/// `AppError` and mounts the app) is left out.
fn crate_imports(app: &Path, text: &str) -> std::collections::BTreeSet<PathBuf> {
    let module_file = |segments: &[&str]| -> Option<PathBuf> {
        (1..=segments.len()).rev().find_map(|n| {
            let base = segments[..n].iter().collect::<PathBuf>();
            let file = app.join(&base).with_extension("rs");
            let folder = app.join(&base).join("mod.rs");
            [file, folder].into_iter().find(|p| p.is_file())
        })
    };
    let path_at = |rest: &str| -> Vec<String> {
        rest.split("::")
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|s| !s.is_empty())
            .collect()
    };
    let mut found = std::collections::BTreeSet::new();
    for (_, line) in code_lines(text) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let mut paths = Vec::new();
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                paths.extend(inner.split(',').map(|p| path_at(p.trim())));
            } else {
                paths.push(path_at(rest));
            }
            for path in paths {
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                if let Some(file) = module_file(&segments) {
                    found.insert(file);
                }
            }
        }
    }
    found
}

#[test]
fn no_file_imports_itself_round_a_circle() {
    // Files that import each other, however far round, cannot be read top to bottom.
    let app = workspace().join("app/src");
    let files = sources(&app);
    let edges: std::collections::BTreeMap<PathBuf, std::collections::BTreeSet<PathBuf>> = files
        .iter()
        .map(|(path, text)| {
            let mut to = crate_imports(&app, text);
            to.remove(path);
            (path.clone(), to)
        })
        .collect();
    // Tarjan's strongly connected components.
    struct Walk<'a> {
        edges: &'a std::collections::BTreeMap<PathBuf, std::collections::BTreeSet<PathBuf>>,
        index: std::collections::HashMap<&'a PathBuf, usize>,
        low: std::collections::HashMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: std::collections::HashSet<&'a PathBuf>,
        circles: Vec<Vec<&'a PathBuf>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, node: &'a PathBuf) {
        let n = walk.index.len();
        walk.index.insert(node, n);
        walk.low.insert(node, n);
        walk.stack.push(node);
        walk.on_stack.insert(node);
        for next in walk.edges.get(node).into_iter().flatten() {
            if !walk.edges.contains_key(next) {
                continue;
            }
            if !walk.index.contains_key(next) {
                visit(walk, next);
                let low = walk.low[node].min(walk.low[next]);
                walk.low.insert(node, low);
            } else if walk.on_stack.contains(next) {
                let low = walk.low[node].min(walk.index[next]);
                walk.low.insert(node, low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut circle = Vec::new();
            while let Some(top) = walk.stack.pop() {
                walk.on_stack.remove(top);
                circle.push(top);
                if top == node {
                    break;
                }
            }
            if circle.len() > 1 {
                walk.circles.push(circle);
            }
        }
    }
    let mut walk = Walk {
        edges: &edges,
        index: Default::default(),
        low: Default::default(),
        stack: Vec::new(),
        on_stack: Default::default(),
        circles: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node) {
            visit(&mut walk, node);
        }
    }
    let root = workspace();
    let described: Vec<String> = walk
        .circles
        .iter()
        .map(|circle| {
            circle
                .iter()
                .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
                .collect::<Vec<_>>()
                .join(" ⇄ ")
        })
        .collect();
    assert!(
        described.is_empty(),
        "import circles:\n{}",
        described.join("\n")
    );
    // The walk sees imports at all: the server functions import the services.
    let api_booking = app.join("api/booking.rs");
    assert!(edges[&api_booking].contains(&app.join("services/patient.rs")));
}
