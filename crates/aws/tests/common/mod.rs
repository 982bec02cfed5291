//! Shared by the test binaries: moto, the EC2 client over mocked rules, the wire twins.
#![allow(dead_code, reason = "each test binary uses part of it")]

pub mod ec2_mocks;
pub mod moto;
pub mod wire;
