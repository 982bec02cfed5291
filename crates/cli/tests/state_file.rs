//! The state file (`--state-file`) against the one conformance suite of the persistence ports,
//! as the memory store and DynamoDB run it.
#![cfg(feature = "aws")]

use std::sync::Arc;
use tgw_ha::state_file::FileStore;
use tgw_ha_engine::conformance;

#[tokio::test]
async fn state_file_conforms() {
    let dir = std::env::temp_dir().join(format!("tgw-ha-state-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("state.json");
    let _ = std::fs::remove_file(&path);
    let file = Arc::new(FileStore::new(path.clone()));
    conformance::store_and_lease(file.clone(), file, "tgw-0conf").await;
    // A second process reading the same file sees what the first wrote.
    let again = FileStore::new(path);
    let v = tgw_ha_engine::ports::StateStore::load(
        &again,
        &tgw_ha_core::ids::TgwId::new("tgw-0confcas"),
    )
    .await
    .expect("load");
    assert_eq!(v.version, 2);
    let _ = std::fs::remove_dir_all(&dir);
}
