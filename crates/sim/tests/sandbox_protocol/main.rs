//! The sandbox's EC2 Query protocol over plain HTTP: request parsing, answer shapes, filters,
//! writes and the error XML.
//!
//! One module per part: `reads` (the answer shapes, and signed, unsigned and GET requests
//! answered alike), `errors` (EC2's codes, statuses and error XML), `search` (the filters of
//! SearchTransitGatewayRoutes), `writes` (writes change the world through its rules, and a
//! spawned sandbox stops cleanly).

#[path = "../sandbox_common/mod.rs"]
mod sandbox_common;

mod errors;
mod reads;
mod search;
mod writes;

use sandbox_common::{ec2, items, request, start, start_with, texts};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{Limits, SandboxConfig, SubnetMatch};
use tgw_ha_sim::world::lock;

const NS: &str = r#"xmlns="http://ec2.amazonaws.com/doc/2016-11-15/""#;
