//! Fault injection: throttling, failing calls, latency, a crash mid-run, an unavailable store.
//!
//! Contract: every fault is decided *before* the world is touched, so a throttled or failed
//! call changes nothing, exactly like a rejected EC2 request. Decisions are deterministic: the
//! throttle draws come from `SmallRng::seed_from_u64(seed)`, one draw per eligible call, so the
//! same seed and the same call sequence throttle the same calls.
//!
//! [`Faults`] is the configuration (plain data, the scenario file's optional `faults` key);
//! [`FaultHandle`] is the shared, run-time handle that the network's fault layer
//! ([`crate::faulty`]), the store and the sandbox consult and that a test or the demo changes
//! while the engine runs.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};
use tgw_ha_core::ids::TgwId;
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::{Clock, NetError};

/// The kind of error an injected failure returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailKind {
    /// `RequestLimitExceeded` (retryable).
    Throttled,
    /// A 5xx or a timeout (retryable).
    Unavailable,
    /// `UnauthorizedOperation` (final).
    AccessDenied,
    /// Any other 4xx (final); the code is the rule's `code`.
    Rejected,
}

/// "The next `count` calls of `op` fail with `error`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailRule {
    /// EC2 action name, e.g. `ReplaceTransitGatewayRoute`.
    pub op: String,
    #[serde(default = "one")]
    pub count: u32,
    pub error: FailKind,
    /// The EC2 error code for `rejected` (default `InvalidParameterValue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Only calls about this TGW fail (a role denied on one TGW, one broken estate among
    /// several); unset: every call of `op`. The sim's network knows the TGW of each call; the
    /// sandbox does not look, so a scoped rule never fires there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tgw: Option<TgwId>,
}

fn one() -> u32 {
    1
}

impl FailRule {
    pub fn new(op: &str, count: u32, error: FailKind) -> Self {
        FailRule {
            op: op.to_owned(),
            count,
            error,
            code: None,
            tgw: None,
        }
    }

    /// The same rule, limited to calls about `tgw`.
    pub fn on_tgw(mut self, tgw: &TgwId) -> Self {
        self.tgw = Some(tgw.clone());
        self
    }

    fn applies(&self, op: &str, tgw: Option<&TgwId>) -> bool {
        self.op == op
            && self.count > 0
            && match &self.tgw {
                None => true,
                Some(scope) => tgw == Some(scope),
            }
    }

    fn to_error(&self) -> NetError {
        let op = self.op.clone();
        let message = "injected fault".to_owned();
        match self.error {
            FailKind::Throttled => NetError::Throttled { op, message },
            FailKind::Unavailable => NetError::Unavailable { op, message },
            FailKind::AccessDenied => NetError::AccessDenied { op, message },
            FailKind::Rejected => NetError::Rejected {
                op,
                code: self
                    .code
                    .clone()
                    .unwrap_or_else(|| "InvalidParameterValue".to_owned()),
                message,
            },
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f(x: &f64) -> bool {
    *x == 0.0
}

/// The fault configuration. Every field defaults to "no fault".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Seed of the throttle draws.
    #[serde(skip_serializing_if = "is_zero")]
    pub seed: u64,
    /// Fraction (0..=1) of calls answered `RequestLimitExceeded`.
    #[serde(skip_serializing_if = "is_zero_f")]
    pub throttle_rate: f64,
    /// Operations the throttle applies to; empty: all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub throttle_ops: Vec<String>,
    /// Failures for the next calls of given operations, consumed in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fail: Vec<FailRule>,
    /// Added to every network call, on the clock in use (virtual time under a virtual clock).
    #[serde(skip_serializing_if = "is_zero")]
    pub latency_ms: u64,
    /// After this many successful moves, the next move call panics (the process dies mid-run).
    /// Fires once, then disarms, so that a restarted engine on the same world runs on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash_after_moves: Option<u64>,
    /// The state store and the lease answer `Unavailable`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub store_unavailable: bool,
    /// The state store and the lease answer `Unavailable` for these TGWs only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub store_unavailable_for: Vec<TgwId>,
}

impl Faults {
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}

/// What the network does with one call.
#[derive(Debug)]
pub(crate) enum Verdict {
    Proceed,
    Fail(NetError),
    /// Panic with this message, after every lock is released.
    Crash(String),
}

struct State {
    faults: Faults,
    rng: SmallRng,
    /// Successful moves since the crash fault was set.
    moves: u64,
}

impl State {
    fn new(faults: Faults) -> Self {
        State {
            rng: SmallRng::seed_from_u64(faults.seed),
            faults,
            moves: 0,
        }
    }
}

/// Shared run-time handle on the faults; clones share them.
#[derive(Clone)]
pub struct FaultHandle(Arc<Mutex<State>>);

impl Default for FaultHandle {
    fn default() -> Self {
        FaultHandle::new(Faults::default())
    }
}

impl std::fmt::Debug for FaultHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FaultHandle").field(&self.get()).finish()
    }
}

impl FaultHandle {
    pub fn new(faults: Faults) -> Self {
        FaultHandle(Arc::new(Mutex::new(State::new(faults))))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // An injected crash panics outside this lock, but stay usable whatever happens.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace every fault; re-seeds the throttle and resets the move count.
    pub fn set(&self, faults: Faults) {
        *self.lock() = State::new(faults);
    }

    /// No faults from now on.
    pub fn clear(&self) {
        self.set(Faults::default());
    }

    /// The current configuration (failure rules show their remaining counts).
    pub fn get(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Throttle a fraction of all calls, re-seeding the draws.
    pub fn set_throttle(&self, rate: f64, seed: u64) {
        let mut s = self.lock();
        s.faults.throttle_rate = rate;
        s.faults.seed = seed;
        s.rng = SmallRng::seed_from_u64(seed);
    }

    /// The next `count` calls of `op` fail with `error`.
    pub fn fail_next(&self, op: &str, count: u32, error: FailKind) {
        self.fail_with(FailRule::new(op, count, error));
    }

    /// Add a failure rule (e.g. one scoped to a TGW with [`FailRule::on_tgw`]).
    pub fn fail_with(&self, rule: FailRule) {
        self.lock().faults.fail.push(rule);
    }

    pub fn set_latency(&self, latency: std::time::Duration) {
        self.lock().faults.latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    }

    /// Crash at the `k+1`-th move from now.
    pub fn crash_after_moves(&self, k: u64) {
        let mut s = self.lock();
        s.faults.crash_after_moves = Some(k);
        s.moves = 0;
    }

    pub fn set_store_unavailable(&self, down: bool) {
        self.lock().faults.store_unavailable = down;
    }

    /// Successful moves since the crash fault was last set.
    pub fn moves(&self) -> u64 {
        self.lock().moves
    }

    pub fn latency(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lock().faults.latency_ms)
    }

    pub fn store_unavailable(&self) -> bool {
        self.lock().faults.store_unavailable
    }

    /// The store and lease of `tgw` (only) answer `Unavailable` while `down`.
    pub fn set_store_unavailable_for(&self, tgw: &TgwId, down: bool) {
        let mut s = self.lock();
        s.faults.store_unavailable_for.retain(|t| t != tgw);
        if down {
            s.faults.store_unavailable_for.push(tgw.clone());
        }
    }

    /// Whether the store answers `Unavailable` for `tgw`.
    pub fn store_unavailable_on(&self, tgw: &TgwId) -> bool {
        let s = self.lock();
        s.faults.store_unavailable || s.faults.store_unavailable_for.contains(tgw)
    }

    /// Decide the fate of one call of `op`. Order: a scripted failure, then the throttle, then
    /// the crash (a dead process answers nothing, but a refused call never reaches the world,
    /// so it cannot be the one that dies mid-write).
    pub(crate) fn decide(&self, op: &str) -> Verdict {
        self.decide_on(op, None)
    }

    /// [`FaultHandle::decide`] for a call about `tgw` (when the caller knows it), so that
    /// TGW-scoped rules apply.
    pub(crate) fn decide_on(&self, op: &str, tgw: Option<&TgwId>) -> Verdict {
        let mut s = self.lock();
        if let Some(i) = s.faults.fail.iter().position(|r| r.applies(op, tgw)) {
            let rule = &mut s.faults.fail[i];
            rule.count -= 1;
            let err = rule.to_error();
            if rule.count == 0 {
                s.faults.fail.remove(i);
            }
            return Verdict::Fail(err);
        }
        let eligible = s.faults.throttle_rate > 0.0
            && (s.faults.throttle_ops.is_empty() || s.faults.throttle_ops.iter().any(|o| o == op));
        if eligible {
            let draw: f64 = s.rng.r#gen();
            if draw < s.faults.throttle_rate {
                return Verdict::Fail(NetError::Throttled {
                    op: op.to_owned(),
                    message: "Request limit exceeded. (injected)".to_owned(),
                });
            }
        }
        // The crash counts route moves only (`Ec2Action::is_move`).
        if op.parse::<Ec2Action>().is_ok_and(Ec2Action::is_move)
            && let Some(k) = s.faults.crash_after_moves
            && s.moves >= k
        {
            s.faults.crash_after_moves = None;
            return Verdict::Crash(format!("injected crash after {k} moves"));
        }
        Verdict::Proceed
    }

    /// Wait out the injected latency on `clock` (virtual time under a virtual clock).
    pub(crate) async fn delay(&self, clock: &dyn Clock) {
        let latency = self.latency();
        if !latency.is_zero() {
            let d = chrono::Duration::from_std(latency).unwrap_or(chrono::Duration::MAX);
            let now = clock.now();
            clock
                .sleep_until(now.checked_add_signed(d).unwrap_or(now))
                .await;
        }
    }

    /// A move succeeded.
    pub(crate) fn count_move(&self) {
        self.lock().moves += 1;
    }
}
