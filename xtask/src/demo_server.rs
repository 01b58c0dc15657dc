//! A built server on a free port against a fresh database with the demo clinic, for the
//! Playwright suite and the benchmarks. Stopped (SIGTERM) when dropped.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::build::{self, Profile};
use crate::database::Database;
use crate::util::{
    free_port, project_root, run, terminate, two_step_key_env, wait_for_http_ok, Result,
};

pub struct DemoServer {
    child: Child,
    pub port: u16,
    /// The database it serves (tests move time along through SQL).
    pub database_url: String,
    pub log_path: PathBuf,
    /// Where its mail is written (one `.eml` file per message), unless `env` said otherwise.
    pub mailbox: PathBuf,
}

impl DemoServer {
    /// Recreates `db_name` (on the private cluster), loads the demo data and serves it.
    pub fn start(database: &Database, db_name: &str, profile: Profile) -> Result<Self> {
        let url = match database.cluster() {
            Some(cluster) => {
                cluster.recreate_database(db_name)?;
                cluster.url(db_name)
            }
            None => database.url.clone(),
        };
        run(
            Command::new(build::devdata_binary(profile))
                .arg("seed-demo")
                .env("DATABASE_URL", &url)
                .env("CLINIC_SITE_ROOT", build::site_root())
                .envs(two_step_key_env())
                .stdout(Stdio::null()),
            "clinic-devdata seed-demo",
        )?;
        Self::serve(&url, db_name, profile, &[])
    }

    /// Serves the database at `url` as it is (`name` names the log file); `env` adds or
    /// overrides settings.
    pub fn serve(url: &str, name: &str, profile: Profile, env: &[(&str, &str)]) -> Result<Self> {
        let port = free_port()?;
        let log_path = project_root().join(format!("target/{name}-server.log"));
        let log = File::create(&log_path)?;
        // Its own mailbox unless told otherwise: a bench's thousands of confirmations must
        // not land in the development mailbox that `cargo xtask run` and the browser
        // tests read.
        let mailbox = project_root().join(format!("target/{name}-mailbox"));
        if !env.iter().any(|(k, _)| *k == "CLINIC_MAILBOX_DIR") {
            let _ = std::fs::remove_dir_all(&mailbox);
        }
        let child = Command::new(build::server_binary(profile))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("CLINIC_ADDR", format!("127.0.0.1:{port}"))
            .env("CLINIC_SITE_ROOT", build::site_root())
            .env("CLINIC_MAILBOX_DIR", &mailbox)
            .envs(two_step_key_env())
            .envs(env.iter().copied())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let started = Self {
            child,
            port,
            database_url: url.to_owned(),
            log_path,
            mailbox,
        };
        if !wait_for_http_ok(port, "/readyz", Duration::from_secs(120)) {
            return Err(format!(
                "the server did not become ready; see {}",
                started.log_path.display()
            )
            .into());
        }
        Ok(started)
    }

    /// `kill -9`: no shutdown, no goodbye (the failure drills).
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        terminate(self.child.id());
        let _ = self.child.wait();
    }
}
