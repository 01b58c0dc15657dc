//! Where the app's database comes from: `DATABASE_URL` when set (nothing is started),
//! otherwise the private cluster.

use crate::pg::{Cluster, Started};
use crate::tools::{self, SystemPackage};
use crate::util::{step, Result};

pub struct Database {
    pub url: String,
    /// Set when this process started the private cluster and must stop it.
    cluster_to_stop: Option<Cluster>,
    cluster: Option<Cluster>,
}

impl Database {
    /// Uses `DATABASE_URL` if set, else starts (or reuses) the private cluster and makes
    /// sure `name` exists in it.
    pub fn open(name: &str) -> Result<Self> {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                step("using the database from DATABASE_URL (no local cluster started)");
                return Ok(Self {
                    url,
                    cluster_to_stop: None,
                    cluster: None,
                });
            }
        }
        tools::ensure_system_packages(&[SystemPackage::PostgreSql])?;
        let cluster = Cluster::locate()?;
        let started = cluster.start()?;
        cluster.ensure_database(name)?;
        let url = cluster.url(name);
        Ok(if started == Started::ByUs {
            Self {
                url,
                cluster_to_stop: Some(cluster),
                cluster: None,
            }
        } else {
            Self {
                url,
                cluster_to_stop: None,
                cluster: Some(cluster),
            }
        })
    }

    /// The private cluster, when that is what is in use.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster_to_stop.as_ref().or(self.cluster.as_ref())
    }

    /// Stops the cluster if this process started it.
    pub fn close(self) -> Result<()> {
        match self.cluster_to_stop {
            Some(cluster) => cluster.stop(),
            None => Ok(()),
        }
    }
}
