//! Shared by the test binaries: moto, and the EC2 client over mocked rules.
#![allow(dead_code, reason = "each test binary uses part of it")]

pub mod ec2_mocks;
pub mod moto;
