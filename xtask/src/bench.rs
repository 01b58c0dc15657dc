//! `cargo xtask bench`: performance figures, each measured in one run against a baseline
//! measured in the same run, printed as a table with the targets.
//!
//! - `bundle`: what a phone downloads and how soon `/book` comes alive on the throttled
//!   phone profile (1.6 Mbps, 150 ms, CPU 4× slower), first visit and repeat visit, against
//!   the same bundle served uncompressed. Targets: wasm + js ≤ 500 KB on the wire,
//!   hydrated ≤ 5 s, 0 bundle bytes on a repeat visit.

use std::process::Command;

use crate::build::{self, Profile};
use crate::database::Database;
use crate::demo_server::DemoServer;
use crate::tools::{self, SystemPackage};
use crate::util::{project_root, step, Result};

const BUNDLE_TARGET_BYTES: f64 = 500.0 * 1024.0;
const HYDRATED_TARGET_MS: f64 = 5000.0;

pub fn bench(args: &[String]) -> Result<()> {
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    if !wanted("bundle") {
        return Err(format!("unknown benchmark(s) {args:?}; available: bundle").into());
    }
    tools::ensure_system_packages(&[SystemPackage::PostgreSql, SystemPackage::Chromium])?;
    tools::ensure_node_modules()?;
    build::build_site(Profile::Debug)?;
    let database = Database::open("clinic_bench")?;
    let result = bundle(&database);
    database.close()?;
    result
}

fn bundle(database: &Database) -> Result<()> {
    step("bench: bundle delivery on a throttled phone (/book)");
    let server = DemoServer::start(database, "clinic_bench_bundle", Profile::Debug)?;
    let output = project_root().join("target/bench-bundle.json");
    let _ = std::fs::remove_file(&output);
    let status = Command::new("npx")
        .current_dir(project_root().join("end2end"))
        .args(["playwright", "test", "-c", "playwright.bench.config.ts"])
        .env("BASE_URL", server.base_url())
        .env("BENCH_OUTPUT", &output)
        .status()?;
    drop(server);
    if !status.success() {
        return Err(format!("the bundle benchmark failed ({status})").into());
    }
    let figures: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output)?)?;
    let get = |visit: &str, key: &str| figures[visit][key].as_f64().unwrap_or(f64::NAN);
    let (bundle, plain_bundle) = (
        get("cold", "bundleBytes"),
        get("uncompressed", "bundleBytes"),
    );
    let (hydrated, plain_hydrated) = (get("cold", "hydratedMs"), get("uncompressed", "hydratedMs"));
    let repeat = get("repeat", "bundleBytes");

    println!();
    println!(
        "{:<44} {:>12} {:>14} {:>8} {:>10}",
        "bundle (/book, phone profile)", "measured", "baseline", "ratio", "target"
    );
    let row =
        |what: &str, value: String, baseline: String, ratio: String, ok: bool, target: &str| {
            println!(
                "{what:<44} {value:>12} {baseline:>14} {ratio:>8} {:>10}",
                format!("{target} {}", if ok { "ok" } else { "MISSED" })
            );
        };
    row(
        "wasm + js on the wire, first visit",
        format!("{:.0} KB", bundle / 1024.0),
        format!("{:.0} KB", plain_bundle / 1024.0),
        format!("{:.2}×", bundle / plain_bundle),
        bundle <= BUNDLE_TARGET_BYTES,
        "≤ 500 KB",
    );
    row(
        "hydrated after navigation start",
        format!("{:.1} s", hydrated / 1000.0),
        format!("{:.1} s", plain_hydrated / 1000.0),
        format!("{:.2}×", hydrated / plain_hydrated),
        hydrated <= HYDRATED_TARGET_MS,
        "≤ 5 s",
    );
    row(
        "first contentful paint",
        format!("{:.1} s", get("cold", "firstPaintMs") / 1000.0),
        format!("{:.1} s", get("uncompressed", "firstPaintMs") / 1000.0),
        String::new(),
        true,
        "",
    );
    row(
        "bundle bytes on a repeat visit",
        format!("{repeat:.0} B"),
        format!("{:.0} KB", bundle / 1024.0),
        String::new(),
        repeat == 0.0,
        "0 B",
    );
    println!("(baseline: the same bundle served uncompressed, as before; repeat visit against the first)");
    Ok(())
}
