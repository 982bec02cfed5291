//! What the sandbox holds while it runs: the world, the run-time knobs and faults, the
//! throttling buckets and the call counters. Shared by the EC2 handler and the admin API.

use crate::faults::{FailRule, FaultHandle, Faults};
use crate::sandbox::limits::{Limiter, Limits};
use crate::world::{SharedWorld, World, lock};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// How SearchTransitGatewayRoutes says there is more than one page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchPages {
    /// `nextToken` (EC2 API models from 2026-01 on), with `additionalRoutesAvailable=true`.
    #[default]
    Token,
    /// Older EC2: `additionalRoutesAvailable=true` and no token — the rest cannot be asked for,
    /// only found by narrowing the search.
    Truncate,
}

impl std::str::FromStr for SearchPages {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "token" => Ok(SearchPages::Token),
            "truncate" => Ok(SearchPages::Truncate),
            other => Err(format!(
                "unknown search paging '{other}': expected token or truncate"
            )),
        }
    }
}

/// Whether `route-search.subnet-of-match` / `supernet-of-match` include the filter's own
/// prefix. AWS does not document it; the sandbox plays both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubnetMatch {
    /// A prefix is a subnet (and a supernet) of itself.
    #[default]
    Inclusive,
    /// Strictly smaller (larger) prefixes only: the prefix itself needs `exact-match`.
    Strict,
}

/// The knobs and faults that can change while the sandbox runs: the admin API's faults view,
/// whole. `throttle_rate`, `throttle_ops`, `seed` and `fail` are the scenario's
/// [`Faults`](crate::Faults); the others are the sandbox's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultsView {
    pub limits: Limits,
    pub latency_ms: u64,
    /// Fraction (0..=1) of calls answered HTTP 500 `InternalError`.
    pub error_rate: f64,
    /// Largest page of the paginated actions, below the request's `MaxResults`.
    pub page_size: Option<usize>,
    pub search_pages: SearchPages,
    pub subnet_match: SubnetMatch,
    /// Fraction (0..=1) of calls answered `RequestLimitExceeded` whatever the buckets say.
    pub throttle_rate: f64,
    pub throttle_ops: Vec<String>,
    pub seed: u64,
    pub fail: Vec<FailRule>,
}

/// A change to the faults (`POST /_sandbox/faults`): absent fields stay as they are.
/// `page_size: 0` removes the page size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsPatch {
    pub limits: Option<Limits>,
    pub latency_ms: Option<u64>,
    pub error_rate: Option<f64>,
    pub page_size: Option<usize>,
    pub search_pages: Option<SearchPages>,
    pub subnet_match: Option<SubnetMatch>,
    pub throttle_rate: Option<f64>,
    pub throttle_ops: Option<Vec<String>>,
    pub seed: Option<u64>,
    /// Replaces the pending failure rules.
    pub fail: Option<Vec<FailRule>>,
}

/// Calls answered, per action: all of them, those throttled (`RequestLimitExceeded`, by the
/// buckets or injected) and those that failed otherwise (any other error answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxCalls {
    pub total: u64,
    pub total_throttled: u64,
    pub total_failed: u64,
    pub calls: BTreeMap<String, u64>,
    pub throttled: BTreeMap<String, u64>,
    pub failed: BTreeMap<String, u64>,
}

impl SandboxCalls {
    pub fn calls_of(&self, action: &str) -> u64 {
        self.calls.get(action).copied().unwrap_or(0)
    }
    pub fn throttled_of(&self, action: &str) -> u64 {
        self.throttled.get(action).copied().unwrap_or(0)
    }

    pub(crate) fn record(&mut self, action: &str, throttled: bool, failed: bool) {
        self.total += 1;
        *self.calls.entry(action.to_owned()).or_default() += 1;
        if throttled {
            self.total_throttled += 1;
            *self.throttled.entry(action.to_owned()).or_default() += 1;
        } else if failed {
            self.total_failed += 1;
            *self.failed.entry(action.to_owned()).or_default() += 1;
        }
    }
}

/// The sandbox's own knobs (the rest of the faults live in the [`FaultHandle`]).
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub limits: Limits,
    pub latency_ms: u64,
    pub error_rate: f64,
    pub page_size: Option<usize>,
    pub search_pages: SearchPages,
    pub subnet_match: SubnetMatch,
}

struct Inner {
    world: SharedWorld,
    faults: FaultHandle,
    knobs: Mutex<Knobs>,
    limiter: Mutex<Limiter>,
    calls: Mutex<SandboxCalls>,
    /// Draws of the injected 5xx, seeded: the same seed fails the same calls.
    errors: Mutex<SmallRng>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shared state of one sandbox; clones share it.
#[derive(Clone)]
pub struct SandboxState(Arc<Inner>);

impl SandboxState {
    pub(crate) fn new(world: World, knobs: Knobs) -> Self {
        let faults = world.faults.clone().unwrap_or_default();
        let seed = faults.seed;
        SandboxState(Arc::new(Inner {
            world: Arc::new(Mutex::new(world)),
            faults: FaultHandle::new(faults),
            knobs: Mutex::new(knobs),
            limiter: Mutex::new(Limiter::default()),
            calls: Mutex::new(SandboxCalls::default()),
            errors: Mutex::new(SmallRng::seed_from_u64(seed)),
        }))
    }

    /// The world the sandbox serves. Lock it with [`crate::world::lock`], never across an await.
    pub fn world(&self) -> &SharedWorld {
        &self.0.world
    }

    /// The world as the scenario file shows it, with the faults in force now.
    pub fn world_snapshot(&self) -> World {
        let mut w = lock(&self.0.world).clone();
        let view = self.faults();
        let faults = Faults {
            latency_ms: view.latency_ms,
            ..self.0.faults.get()
        };
        w.faults = (!faults.is_none()).then_some(faults);
        w
    }

    /// The scenario's faults (throttle draws and scripted failures).
    pub fn sim_faults(&self) -> &FaultHandle {
        &self.0.faults
    }

    pub(crate) fn knobs(&self) -> Knobs {
        guard(&self.0.knobs).clone()
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, Limiter> {
        guard(&self.0.limiter)
    }

    /// Whether this call gets an injected 5xx.
    pub(crate) fn draw_error(&self, rate: f64) -> bool {
        rate > 0.0 && guard(&self.0.errors).r#gen::<f64>() < rate
    }

    pub fn calls(&self) -> SandboxCalls {
        guard(&self.0.calls).clone()
    }

    pub fn reset_calls(&self) {
        *guard(&self.0.calls) = SandboxCalls::default();
    }

    pub(crate) fn record_call(&self, action: &str, throttled: bool, failed: bool) {
        guard(&self.0.calls).record(action, throttled, failed);
    }

    /// Every fault and knob in force now.
    pub fn faults(&self) -> FaultsView {
        let k = self.knobs();
        let f = self.0.faults.get();
        FaultsView {
            limits: k.limits,
            latency_ms: k.latency_ms,
            error_rate: k.error_rate,
            page_size: k.page_size,
            search_pages: k.search_pages,
            subnet_match: k.subnet_match,
            throttle_rate: f.throttle_rate,
            throttle_ops: f.throttle_ops,
            seed: f.seed,
            fail: f.fail,
        }
    }

    /// Apply a change; returns the faults now in force. Rates must lie within 0..=1.
    pub fn patch_faults(&self, p: FaultsPatch) -> Result<FaultsView, String> {
        for (name, rate) in [
            ("error_rate", p.error_rate),
            ("throttle_rate", p.throttle_rate),
        ] {
            if let Some(r) = rate
                && !(0.0..=1.0).contains(&r)
            {
                return Err(format!("{name} must lie within 0 and 1, not {r}"));
            }
        }
        {
            let mut k = guard(&self.0.knobs);
            if let Some(l) = p.limits {
                if l != k.limits {
                    // Switching limits (back) on starts from full buckets, as a fresh account.
                    self.limiter().reset();
                }
                k.limits = l;
            }
            if let Some(ms) = p.latency_ms {
                k.latency_ms = ms;
            }
            if let Some(r) = p.error_rate {
                k.error_rate = r;
            }
            if let Some(n) = p.page_size {
                k.page_size = (n > 0).then_some(n);
            }
            if let Some(s) = p.search_pages {
                k.search_pages = s;
            }
            if let Some(s) = p.subnet_match {
                k.subnet_match = s;
            }
        }
        let mut f = self.0.faults.get();
        let before = f.clone();
        if let Some(r) = p.throttle_rate {
            f.throttle_rate = r;
        }
        if let Some(ops) = p.throttle_ops {
            f.throttle_ops = ops;
        }
        if let Some(s) = p.seed {
            f.seed = s;
            *guard(&self.0.errors) = SmallRng::seed_from_u64(s);
        }
        if let Some(rules) = p.fail {
            f.fail = rules;
        }
        if f != before || p.seed.is_some() {
            // Re-seeds the throttle draws from `seed`: a changed fault starts a fresh sequence.
            self.0.faults.set(f);
        }
        Ok(self.faults())
    }
}
