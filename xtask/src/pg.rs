//! The project's private PostgreSQL cluster: data under `.data/pg/` (git-ignored), its own
//! port on 127.0.0.1 and its own socket folder, so it never clashes with a system server.
//! Initialised on first use and reused afterwards. As root, the server runs as the
//! `postgres` user (PostgreSQL refuses to run as root).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::tools::postgres_bin_dir;
use crate::util::{self, output, project_root, run, step, Result};

/// Default port: far from 5432 so a system PostgreSQL can keep running.
const DEFAULT_PORT: u16 = 54329;

pub struct Cluster {
    bin: PathBuf,
    /// `.data/pg`: owned by the user the server runs as; holds `data/` and `server.log`.
    home: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

/// Whether [`Cluster::start`] started the server or found it already running (then
/// whoever started it stops it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    ByUs,
    AlreadyRunning,
}

impl Cluster {
    pub fn locate() -> Result<Self> {
        let bin = postgres_bin_dir()
            .ok_or("PostgreSQL 15+ server binaries not found under /usr/lib/postgresql")?;
        let port = match std::env::var("CLINIC_PG_PORT") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("CLINIC_PG_PORT: '{v}' is not a port number"))?,
            Err(_) => DEFAULT_PORT,
        };
        Ok(Self {
            bin,
            home: project_root().join(".data/pg"),
            port,
            as_postgres_user: util::is_root(),
        })
    }

    /// A throwaway cluster for the failure drills (`crate::drills`): `target/drill-pg`,
    /// the private cluster's port + 1, initialised afresh each time (and [`Self::remove`]d).
    pub fn for_drills() -> Result<Self> {
        let mut cluster = Self::locate()?;
        cluster.home = project_root().join("target/drill-pg");
        cluster.port += 1;
        cluster.stop()?;
        cluster.remove();
        Ok(cluster)
    }

    /// A streaming standby of this cluster (`target/drill-standby`, this port + 1), made
    /// with `pg_basebackup -R` and started: the read replica of the drills.
    pub fn standby(&self) -> Result<Self> {
        let standby = Self {
            bin: self.bin.clone(),
            home: project_root().join("target/drill-standby"),
            port: self.port + 1,
            as_postgres_user: self.as_postgres_user,
        };
        standby.stop()?;
        standby.remove();
        standby.make_home()?;
        run(
            standby
                .server_tool("pg_basebackup")
                .args(self.connection_args())
                .arg("-D")
                .arg(standby.data_dir())
                .args(["-R", "-X", "stream", "-c", "fast"]),
            "pg_basebackup",
        )?;
        let conf = standby.data_dir().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&format!(
            "\n# standby of the drill cluster\nport = {}\nunix_socket_directories = '{}'\nhot_standby = on\n",
            standby.port,
            standby.data_dir().display()
        ));
        std::fs::write(&conf, text)?;
        standby.start()?;
        Ok(standby)
    }

    /// Creates the cluster's folder, owned by the user the server runs as.
    fn make_home(&self) -> Result<()> {
        std::fs::create_dir_all(&self.home)?;
        if self.as_postgres_user {
            run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&self.home),
                "chown of the cluster folder",
            )?;
        }
        Ok(())
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }

    fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.home.join("server.log")
    }

    /// A command for a server-side tool (initdb, pg_ctl), run as `postgres` when we are root.
    fn server_tool(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres_user {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        }
    }

    /// A client tool (psql, createdb) connecting over TCP as the `postgres` role.
    fn client_tool(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(tool));
        cmd.args(self.connection_args());
        cmd
    }

    /// Over TCP to this cluster as the `postgres` role.
    fn connection_args(&self) -> [String; 6] {
        [
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ]
        .map(str::to_owned)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn init_if_needed(&self) -> Result<()> {
        if self.data_dir().join("PG_VERSION").exists() {
            return Ok(());
        }
        step(&format!(
            "creating the private PostgreSQL cluster in {}",
            self.home.display()
        ));
        self.make_home()?;
        if self.as_postgres_user {
            let reachable = Command::new("runuser")
                .args(["-u", "postgres", "--", "test", "-w"])
                .arg(&self.home)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                return Err(format!(
                    "the `postgres` user cannot write {}: a parent folder is closed to other users. \
                     Clone the project somewhere others can enter, or set DATABASE_URL to your own database.",
                    self.home.display()
                )
                .into());
            }
        }
        // Trust auth is acceptable only because the cluster listens on loopback alone and
        // holds development data; production uses DATABASE_URL with real credentials.
        run(
            self.server_tool("initdb")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
                .stdout(Stdio::null()),
            "initdb",
        )?;
        let settings = format!(
            "\n# Clinic Scheduler private cluster\nport = {}\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nmax_connections = 300\nsynchronous_commit = off\n",
            self.port,
            self.data_dir().display()
        );
        let conf = self.data_dir().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&settings);
        std::fs::write(&conf, text)?;
        Ok(())
    }

    pub fn is_running(&self) -> bool {
        self.data_dir().join("PG_VERSION").exists()
            && self
                .server_tool("pg_ctl")
                .arg("status")
                .arg("-D")
                .arg(self.data_dir())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    }

    pub fn start(&self) -> Result<Started> {
        self.init_if_needed()?;
        if self.is_running() {
            return Ok(Started::AlreadyRunning);
        }
        step(&format!("starting PostgreSQL on 127.0.0.1:{}", self.port));
        let status = self
            .server_tool("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "60"])
            .stdout(Stdio::null())
            // Own process group: a Ctrl-C in the terminal reaches our server and xtask,
            // which then stops PostgreSQL in order, instead of killing it mid-write.
            .process_group(0)
            .status()?;
        if !status.success() {
            let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            return Err(format!(
                "PostgreSQL did not start (port {} taken? set CLINIC_PG_PORT). Last log lines:\n{}",
                self.port,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
            .into());
        }
        Ok(Started::ByUs)
    }

    pub fn stop(&self) -> Result<()> {
        if !self.is_running() {
            return Ok(());
        }
        step("stopping PostgreSQL");
        run(
            self.server_tool("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w"])
                .stdout(Stdio::null()),
            "pg_ctl stop",
        )
    }

    pub fn ensure_database(&self, name: &str) -> Result<()> {
        let exists = output(
            self.client_tool("psql")
                .args(["-d", "postgres", "-tAc"])
                .arg(format!(
                    "select 1 from pg_database where datname = '{name}'"
                )),
        )
        .is_some_and(|out| out.trim() == "1");
        if exists {
            return Ok(());
        }
        run(self.client_tool("createdb").arg(name), "createdb")
    }

    pub fn recreate_database(&self, name: &str) -> Result<()> {
        run(
            self.client_tool("dropdb")
                .args(["--if-exists", "--force"])
                .arg(name),
            "dropdb",
        )?;
        run(self.client_tool("createdb").arg(name), "createdb")
    }

    /// An interactive psql session on `database`.
    pub fn psql(&self, database: &str) -> Command {
        let mut cmd = self.client_tool("psql");
        cmd.args(["-d", database]);
        cmd
    }
}
