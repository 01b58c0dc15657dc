//! Builds the site the way cargo-leptos would, without needing cargo-leptos installed:
//! the `frontend` crate to wasm32, `wasm-bindgen` into `target/site/pkg/`, the stylesheet
//! and public assets beside it, then the `server` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::assets::{self, BundleFile};
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
    binary(profile, "server")
}

/// The data generators (`devdata/`): demo and benchmark clinics, never in `server`.
pub fn devdata_binary(profile: Profile) -> PathBuf {
    binary(profile, "clinic-devdata")
}

fn binary(profile: Profile, name: &str) -> PathBuf {
    let dir = match profile {
        Profile::Debug => "debug",
        Profile::Release => "release",
    };
    project_root().join("target").join(dir).join(name)
}

/// Builds the browser bundle, size-optimised whatever the server's profile: a debug wasm
/// is ten times larger and hydrates in tens of seconds on a phone. `wasm-opt` shrinks it
/// further when the project's pinned copy is installed (see [`tools::ensure_wasm_opt`]).
pub fn build_site(profile: Profile) -> Result<()> {
    // The server links the system OpenSSL (passkeys).
    tools::ensure_system_packages(&[tools::SystemPackage::OpenSsl])?;
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let wasm_opt = tools::ensure_wasm_opt()?;
    let root = project_root();

    step("building the browser bundle (frontend → wasm32, size-optimised)");
    run(
        Command::new("cargo").current_dir(&root).args([
            "build",
            "--package",
            "frontend",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ]),
        "cargo build (frontend, wasm32)",
    )?;

    let site = site_root();
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    run(
        Command::new("wasm-bindgen")
            .arg(root.join("target/wasm32-unknown-unknown/wasm-release/frontend.wasm"))
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
    let wasm = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    run(
        Command::new(&wasm_opt)
            .arg(&wasm)
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                "-o",
            ])
            .arg(&wasm),
        "wasm-opt",
    )?;
    let css = pkg.join(format!("{OUTPUT_NAME}.css"));
    std::fs::copy(root.join("style/main.css"), &css)?;
    let js = pkg.join(format!("{OUTPUT_NAME}.js"));
    let favicon = std::fs::read_to_string(root.join("public/favicon.svg"))?;
    let icon_paths: Vec<(&'static str, &'static str, PathBuf)> = assets::ICONS
        .iter()
        .map(|&(kind, stem, size, maskable)| {
            let path = pkg.join(format!("{stem}.png"));
            std::fs::write(&path, assets::render_icon(&favicon, size, maskable)?)?;
            Ok((kind, stem, path))
        })
        .collect::<Result<_>>()?;
    let mut files = vec![
        BundleFile {
            kind: "js",
            stem: OUTPUT_NAME,
            path: &js,
            extension: "js",
        },
        BundleFile {
            kind: "wasm",
            stem: OUTPUT_NAME,
            path: &wasm,
            extension: "wasm",
        },
        BundleFile {
            kind: "css",
            stem: OUTPUT_NAME,
            path: &css,
            extension: "css",
        },
    ];
    files.extend(icon_paths.iter().map(|(kind, stem, path)| BundleFile {
        kind,
        stem,
        path,
        extension: "png",
    }));
    let mut done = assets::fingerprint(&pkg, &files)?;
    let href = |done: &[assets::Fingerprinted], kind: &str| -> Result<String> {
        done.iter()
            .find(|f| f.kind == kind)
            .map(|f| format!("/pkg/{}", f.name))
            .ok_or_else(|| format!("no fingerprinted {kind} file").into())
    };
    let manifest = pkg.join("app.webmanifest");
    for (kind, ..) in assets::ICONS {
        href(&done, kind)?;
    }
    std::fs::write(
        &manifest,
        assets::web_manifest(|kind| href(&done, kind).unwrap_or_default()),
    )?;
    done.extend(assets::fingerprint(
        &pkg,
        &[BundleFile {
            kind: "webmanifest",
            stem: "app",
            path: &manifest,
            extension: "webmanifest",
        }],
    )?);
    assets::write_hash_file(&site, &done)?;
    for file in &done {
        eprintln!(
            "    {:<40} {:>8.1} KiB, {:>7.1} KiB brotli",
            file.name,
            file.raw as f64 / 1024.0,
            file.brotli as f64 / 1024.0
        );
    }
    copy_dir(&root.join("public"), &site)?;
    fill_offline_templates(&site, &done, href)?;

    step("building the server (and the data generators)");
    let mut server = Command::new("cargo");
    server
        .current_dir(&root)
        .args(["build", "--package", "server", "--package", "devdata"]);
    if profile == Profile::Release {
        server.arg("--release");
    }
    run(&mut server, "cargo build (server)")
}

/// The service worker precaches the offline page and the current bundle; its version
/// changes whenever any of them does, so browsers install the new worker and drop the
/// old caches. The offline page links the current stylesheet.
fn fill_offline_templates(
    site: &Path,
    done: &[assets::Fingerprinted],
    href: impl Fn(&[assets::Fingerprinted], &str) -> Result<String>,
) -> Result<()> {
    let offline_page = site.join("offline.html");
    let page = assets::fill_template(
        &std::fs::read_to_string(&offline_page)?,
        &[
            ("/pkg/clinic.css", href(done, "css")?),
            ("/pkg/apple-touch-icon.png", href(done, "icon-apple")?),
            ("/pkg/app.webmanifest", href(done, "webmanifest")?),
        ],
    )?;
    std::fs::write(&offline_page, &page)?;
    let mut precache = vec![
        "/offline.html".to_owned(),
        "/offline.js".to_owned(),
        "/favicon.svg".to_owned(),
    ];
    for kind in ["css", "js", "wasm", "webmanifest", "icon-192"] {
        precache.push(href(done, kind)?);
    }
    let mut version_source: Vec<u8> = done.iter().flat_map(|f| f.hash.bytes()).collect();
    version_source.extend(page.bytes());
    version_source.extend(std::fs::read(site.join("offline.js"))?);
    let worker = site.join("sw.js");
    let text = assets::fill_template(
        &std::fs::read_to_string(&worker)?,
        &[
            (
                "const VERSION = \"dev\";",
                format!(
                    "const VERSION = \"{}\";",
                    assets::content_hash(&version_source)
                ),
            ),
            (
                "const PRECACHE = [\"/offline.html\", \"/offline.js\", \"/favicon.svg\"];",
                format!("const PRECACHE = {};", serde_json::to_string(&precache)?),
            ),
        ],
    )?;
    std::fs::write(worker, text)?;
    Ok(())
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
