//! An in-memory Transit Gateway world that implements tgw-ha's ports, with a virtual clock and
//! fault injection.
//!
//! Contract: the sim behaves like the EC2 and state-store APIs the engine depends on, as far as
//! `AWS-FACTS.md` documents them — one static route per destination per table, replace of a
//! missing route fails, a route only points at an attachment of its table's TGW, a prefix-list
//! reference moves as one — and where AWS does not document a behaviour (what a route to a dead
//! VPN shows), the sim can play every outcome ([`resources::DeadRoutes`]). It never reads the
//! real clock unless the world has no virtual time, never sleeps for real on a virtual clock,
//! and is deterministic for a given world, fault seed and call sequence. Faults are decided
//! before the world is touched: a refused call changes nothing.
//!
//! - [`world`]: the [`World`] and its rules; [`validate`]: checks of a whole world;
//!   [`scenario`]: its JSON/TOML file;
//!   [`resources`]: the sim's own resource records.
//! - [`network`]: [`SimNetwork`], the `Network` port; [`store`]: state store, lease, notifier.
//! - [`prefix_lists`]: managed prefix lists, the routes quota and route resolution in the world;
//!   [`prefix_list_admin`]: [`SimPrefixLists`], the conversion's `PrefixListAdmin` port.
//! - [`faults`]: throttling, failures, latency, crash; [`faulty`]: [`FaultyNetwork`], those
//!   faults (and the call statistics) as a layer around any `Network`; [`gate`]: [`Gate`], a
//!   layer that holds route moves until a test opens it; [`clock`]: [`VirtualClock`].
//! - [`demo_world`](mod@demo_world): the built-in world; [`random_world`](mod@random_world):
//!   worlds for property tests.
//! - [`sim`]: [`Sim`], everything wired together.
//! - [`sandbox`]: the EC2 Query API over a world, on HTTP, for the real AWS SDK and boto3.

pub mod clock;
pub mod demo_world;
pub mod faults;
pub mod faulty;
pub mod gate;
pub mod network;
pub mod pair_world;
pub mod prefix_list_admin;
pub mod prefix_lists;
pub mod random_world;
pub mod resources;
pub mod sandbox;
pub mod scenario;
pub mod sim;
pub mod store;
pub mod validate;
pub mod world;

pub use clock::VirtualClock;
pub use demo_world::demo_world;
pub use faults::{FailKind, FailRule, FaultHandle, Faults};
pub use faulty::{CallStats, FaultLayer, FaultyNetwork};
pub use gate::Gate;
pub use network::SimNetwork;
pub use prefix_list_admin::SimPrefixLists;
pub use prefix_lists::{ListError, SimManagedPrefixList, SimPrefixListEntry};
pub use random_world::{RandomWorldParams, random_world};
pub use resources::{
    DeadRoutes, LeaseRecord, ResourceType, SimAttachment, SimPrefixListReference, SimRoute,
    SimRouteTable,
};
pub use scenario::{Format, ScenarioError};
pub use sim::Sim;
pub use store::{MemoryLease, MemoryStore, RecordingNotifier};
pub use validate::{InvalidWorld, Problem};
pub use world::{SharedWorld, World, WorldError};
