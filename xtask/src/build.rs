//! Builds the site the way cargo-leptos would, without needing cargo-leptos installed:
//! the `frontend` crate to wasm32, `wasm-bindgen` into `target/site/pkg/`, the stylesheet
//! and public assets beside it, then the `server` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools;
use crate::util::{project_root, run, step, Result};

/// Must match `server::OUTPUT_NAME`: the server links `/pkg/clinic.js` and `clinic_bg.wasm`.
pub const OUTPUT_NAME: &str = "clinic";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Debug,
    Release,
}

pub fn site_root() -> PathBuf {
    project_root().join("target/site")
}

pub fn server_binary(profile: Profile) -> PathBuf {
    let dir = match profile {
        Profile::Debug => "debug",
        Profile::Release => "release",
    };
    project_root().join("target").join(dir).join("server")
}

pub fn build_site(profile: Profile) -> Result<()> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let root = project_root();

    step("building the browser bundle (frontend → wasm32)");
    let mut wasm = Command::new("cargo");
    wasm.current_dir(&root).args([
        "build",
        "--package",
        "frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    let wasm_dir = match profile {
        Profile::Debug => "debug",
        Profile::Release => {
            wasm.args(["--profile", "wasm-release"]);
            "wasm-release"
        }
    };
    run(&mut wasm, "cargo build (frontend, wasm32)")?;

    let pkg = site_root().join("pkg");
    std::fs::create_dir_all(&pkg)?;
    run(
        Command::new("wasm-bindgen")
            .arg(
                root.join("target/wasm32-unknown-unknown")
                    .join(wasm_dir)
                    .join("frontend.wasm"),
            )
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                OUTPUT_NAME,
                "--out-dir",
            ])
            .arg(&pkg),
        "wasm-bindgen",
    )?;
    std::fs::copy(
        root.join("style/main.css"),
        pkg.join(format!("{OUTPUT_NAME}.css")),
    )?;
    copy_dir(&root.join("public"), &site_root())?;

    step("building the server");
    let mut server = Command::new("cargo");
    server
        .current_dir(&root)
        .args(["build", "--package", "server"]);
    if profile == Profile::Release {
        server.arg("--release");
    }
    run(&mut server, "cargo build (server)")
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
