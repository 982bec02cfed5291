//! Shared by the test binaries: moto, the EC2 client over mocked rules, the wire twins, and the
//! engine's own test helpers (where routes point in a world, the checks of a restart after a
//! crash), included from the engine's tests so both crates judge a world the same way.
#![allow(dead_code, reason = "each test binary uses part of it")]

pub mod ec2_mocks;
#[path = "../../../engine/tests/common/mod.rs"]
pub mod engine;
pub mod moto;
pub mod wire;
