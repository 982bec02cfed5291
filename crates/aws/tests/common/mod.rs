//! Shared by the test binaries that run against moto.
#![allow(dead_code, reason = "each test binary uses part of it")]

pub mod moto;
