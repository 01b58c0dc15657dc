//! `cargo xtask run`: set everything up and serve the app with demo data.

use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::build::{self, Profile};
use crate::database::Database;
use crate::util::{project_root, run, step, terminate, two_step_key_env, Result};

pub fn run_app(args: &[String]) -> Result<()> {
    let mut profile = Profile::Debug;
    let mut port: u16 = match std::env::var("CLINIC_PORT") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("CLINIC_PORT: '{v}' is not a port number"))?,
        Err(_) => 3000,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--release" => profile = Profile::Release,
            "--port" => {
                let value = iter.next().ok_or("--port needs a number")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port: '{value}' is not a port number"))?;
            }
            other => return Err(format!("unknown option '{other}' for `cargo xtask run`").into()),
        }
    }
    let addr = std::env::var("CLINIC_ADDR").unwrap_or_else(|_| format!("127.0.0.1:{port}"));

    let database = Database::open("clinic")?;
    let result = build_and_serve(profile, &database.url, &addr);
    database.close()?;
    result
}

fn build_and_serve(profile: Profile, database_url: &str, addr: &str) -> Result<()> {
    build::build_site(profile)?;
    let server = build::server_binary(profile);
    let mut env = vec![
        ("DATABASE_URL", database_url.to_owned()),
        ("CLINIC_ADDR", addr.to_owned()),
        (
            "CLINIC_SITE_ROOT",
            build::site_root().to_string_lossy().into_owned(),
        ),
    ];
    env.extend(two_step_key_env());

    step("applying migrations and loading demo data");
    run(
        Command::new(build::devdata_binary(profile))
            .arg("seed-demo")
            .envs(env.clone()),
        "clinic-devdata seed-demo",
    )?;

    step(&format!(
        "serving Clinic Scheduler at http://{addr}/   (Ctrl-C stops it and the database)"
    ));
    let child = Command::new(&server)
        .arg("serve")
        .envs(env)
        .current_dir(project_root())
        .spawn()?;
    let pid = child.id();
    let child = Arc::new(Mutex::new(child));
    // Ctrl-C reaches the server directly (same process group); SIGTERM sent to xtask
    // alone is forwarded. Either way the server shuts down gracefully and we return.
    ctrlc::set_handler(move || terminate(pid))?;
    let status = child.lock().map_err(|_| "server handle poisoned")?.wait()?;
    if !status.success() && status.code().is_some() {
        return Err(format!("the server exited with {status}").into());
    }
    Ok(())
}
