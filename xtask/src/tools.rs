//! Installs the build and test tools a fresh machine lacks, pinned to versions known to
//! work offline here (see shared/TOOLCHAIN.md), and skips whatever is already present.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, output, project_root, run, step, which, Result};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Debian packages this project needs, found by a file they install.
pub enum SystemPackage {
    PostgreSql,
    Chromium,
    /// The system OpenSSL that passkeys' webauthn-rs links (headers and pkg-config).
    OpenSsl,
}

impl SystemPackage {
    fn present(&self) -> bool {
        match self {
            Self::PostgreSql => postgres_bin_dir().is_some(),
            Self::Chromium => Path::new("/usr/bin/chromium").exists(),
            Self::OpenSsl => {
                Path::new("/usr/include/openssl/ssl.h").exists() && which("pkg-config").is_some()
            }
        }
    }
    fn apt_names(&self) -> &'static [&'static str] {
        match self {
            Self::PostgreSql => &["postgresql", "postgresql-contrib"],
            Self::Chromium => &["chromium"],
            Self::OpenSsl => &["libssl-dev", "pkg-config"],
        }
    }
}

/// Installs missing Debian packages with apt-get (as root), or explains what to install.
pub fn ensure_system_packages(wanted: &[SystemPackage]) -> Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|p| !p.present())
        .flat_map(|p| p.apt_names().iter().copied())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !util::is_root() {
        return Err(format!(
            "missing system packages: {}; install them with `sudo apt-get install -y {}`",
            missing.join(", "),
            missing.join(" ")
        )
        .into());
    }
    step(&format!(
        "installing system packages: {}",
        missing.join(" ")
    ));
    run(
        Command::new("apt-get").args(["update", "-q"]),
        "apt-get update",
    )?;
    run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get install",
    )
}

/// The newest installed PostgreSQL server's bin folder (Debian layout), version 15 or later.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (version >= 15 && bin.join("initdb").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

pub fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    step("adding the wasm32 target");
    run(
        Command::new("rustup").args(["target", "add", WASM_TARGET]),
        "rustup target add",
    )
}

/// The `wasm-bindgen` crate version in Cargo.lock; the CLI must match it exactly.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(project_root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(version.trim_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

pub fn ensure_wasm_bindgen() -> Result<()> {
    let wanted = locked_wasm_bindgen_version()?;
    let found = which("wasm-bindgen")
        .and_then(|bin| output(Command::new(bin).arg("--version")))
        .unwrap_or_default();
    if found.split_whitespace().nth(1) == Some(wanted.as_str()) {
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {wanted} (once per machine, a few minutes)"
    ));
    // Not `--locked`: its lockfile pins a crate version the registry no longer has.
    run(
        Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]),
        "cargo install wasm-bindgen-cli",
    )
}

/// `npm ci` in end2end/ when node_modules is missing or older than the lockfile.
pub fn ensure_node_modules() -> Result<()> {
    npm_ci(&project_root().join("end2end"), "Playwright")
}

/// `wasm-opt` from the binaryen version pinned in `tools/package.json` (npm's build: the
/// Debian package's older one produces wasm that fails to hydrate). Returns its path.
pub fn ensure_wasm_opt() -> Result<PathBuf> {
    let dir = project_root().join("tools");
    npm_ci(&dir, "wasm-opt (binaryen)")?;
    Ok(dir.join("node_modules/.bin/wasm-opt"))
}

/// Lighthouse, pinned in `tools/lighthouse/package.json` (12.2.3: 13.x needs Node 22).
/// Returns its command-line script (run with `node`).
pub fn ensure_lighthouse() -> Result<PathBuf> {
    let dir = project_root().join("tools/lighthouse");
    npm_ci(&dir, "Lighthouse")?;
    Ok(dir.join("node_modules/lighthouse/cli/index.js"))
}

/// `npm ci` in `dir` unless its node_modules is at least as new as its lockfile.
fn npm_ci(dir: &Path, what: &str) -> Result<()> {
    if which("npm").is_none() {
        return Err("npm is missing; install Node.js 20+ (`apt-get install -y nodejs npm`)".into());
    }
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => i.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    step(&format!("installing {what} (npm ci in {})", dir.display()));
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            // Never download Playwright's own browsers: Debian's chromium is used.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
        "npm ci",
    )
}
