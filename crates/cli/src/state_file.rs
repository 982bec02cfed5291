//! A local JSON file as the state store and lease, for operators who run the CLI against AWS
//! without the DynamoDB table (`--state-file PATH`). One writer at a time on one machine: the
//! lease lives in the file, and writes replace the file atomically (write, then rename). To
//! share the ledger with the deployed function, use `--table` instead.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::lease::{LeaseBook, LeaseRecord};
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::ports::{Lease, StateStore, StoreError, Versioned};

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileContent {
    #[serde(default)]
    tgws: BTreeMap<TgwId, Stored>,
    #[serde(default)]
    leases: BTreeMap<TgwId, LeaseRecord>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    version: u64,
    state: TgwState,
}

pub struct FileStore {
    path: PathBuf,
    // Serialises this process's read-modify-write cycles.
    lock: Mutex<()>,
}

impl FileStore {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    fn read(&self) -> Result<FileContent, StoreError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                StoreError::Other(format!(
                    "state file {} is not valid: {e}; fix or move it aside",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileContent::default()),
            Err(e) => Err(StoreError::Unavailable(format!(
                "cannot read state file {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn write(&self, content: &FileContent) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("tmp");
        let text = serde_json::to_string_pretty(content)
            .map_err(|e| StoreError::Other(format!("cannot encode state: {e}")))?;
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot write state file {}: {e}",
                    self.path.display()
                ))
            })
    }

    fn update<T>(
        &self,
        f: impl FnOnce(&mut FileContent) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut content = self.read()?;
        let out = f(&mut content)?;
        self.write(&content)?;
        Ok(out)
    }
}

#[async_trait]
impl StateStore for FileStore {
    async fn load(&self, tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        let content = self.read()?;
        Ok(match content.tgws.get(tgw) {
            Some(s) => Versioned {
                value: s.state.clone(),
                version: s.version,
            },
            None => Versioned {
                value: TgwState::default(),
                version: 0,
            },
        })
    }

    async fn save(&self, tgw: &TgwId, expected: u64, state: &TgwState) -> Result<u64, StoreError> {
        self.update(|c| {
            let cur = c.tgws.get(tgw).map(|s| s.version).unwrap_or(0);
            if cur != expected {
                return Err(StoreError::Conflict {
                    tgw: tgw.clone(),
                    expected,
                });
            }
            c.tgws.insert(
                tgw.clone(),
                Stored {
                    version: cur + 1,
                    state: state.clone(),
                },
            );
            Ok(cur + 1)
        })
    }
}

/// By core's one lease rule ([`tgw_ha_core::lease`]), as the memory store and DynamoDB.
#[async_trait]
impl Lease for FileStore {
    async fn acquire(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: std::time::Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.update(|c| Ok(c.leases.acquire_lease(tgw, owner, ttl, now)))
    }

    async fn renew(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: std::time::Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.update(|c| Ok(c.leases.renew_lease(tgw, owner, ttl, now)))
    }

    async fn release(&self, tgw: &TgwId, owner: &str) -> Result<(), StoreError> {
        self.update(|c| {
            c.leases.release_lease(tgw, owner);
            Ok(())
        })
    }
}
