//! The sandbox: an HTTP server speaking the EC2 Query API over a sim [`World`], so that the
//! real AWS SDK (tgw-ha's `Ec2Network`), boto3 or the AWS CLI can be pointed at it with an
//! endpoint URL and exercised with no AWS account.
//!
//! Contract:
//! - **Protocol.** `POST /` with a form-encoded body (`Action`, `Version=2016-11-15`, filters
//!   as `Filter.N.Name`/`Filter.N.Value.M`, ids as `X.N`, `MaxResults`, `NextToken`); `GET /?…`
//!   is read the same way. Signatures are never verified: signed and unsigned requests are
//!   answered alike. Answers are EC2's XML (root `{Action}Response` in the 2016-11-15
//!   namespace, `requestId`, `item` lists, lower-camel names from the API model) with an
//!   `x-amzn-RequestId` header; errors are EC2's error XML
//!   (`<Response><Errors><Error><Code>…`) with EC2's codes and statuses: 400 for client
//!   errors (`InvalidRoute.NotFound`, `InvalidRouteTableID.NotFound`,
//!   `InvalidTransitGatewayAttachmentID.NotFound`, `RouteAlreadyExists`, `MissingParameter`,
//!   `InvalidParameterValue`, `InvalidAction`, …), 503 `RequestLimitExceeded`, 500
//!   `InternalError` for injected failures, 412 `DryRunOperation`.
//! - **Actions** ([`actions`]): DescribeVpnConnections, DescribeTransitGatewayAttachments,
//!   DescribeTransitGatewayRouteTables, SearchTransitGatewayRoutes,
//!   GetTransitGatewayPrefixListReferences, Replace/Create/DeleteTransitGatewayRoute,
//!   ModifyTransitGatewayPrefixListReference, CreateTags/DeleteTags (VPN connections),
//!   Create/Describe/Modify/DeleteManagedPrefixList, GetManagedPrefixListEntries,
//!   Create/DeleteTransitGatewayPrefixListReference ([`crate::prefix_lists`]). Writes
//!   go through the world's mutators: the TGW's rules hold and a refused write changes nothing.
//!   Unknown filters are refused, as EC2 does.
//! - **Limits and faults** ([`limits`], [`SandboxConfig`], `POST /_sandbox/faults`): EC2's
//!   token buckets per action on the real clock (`Limits::Aws`: mutating 50 burst 5/s,
//!   non-mutating 100 burst 20/s), added latency, injected 5xx (`error_rate`), the scenario's
//!   throttle draws and scripted failures, the page size, and how a route search pages
//!   ([`SearchPages`]: `nextToken`, or older EC2's `additionalRoutesAvailable` with no token).
//!   A throttled or failed request changes nothing. The scenario faults `crash_after_moves` and
//!   `store_unavailable` concern the engine's process and store, not EC2: the sandbox ignores
//!   them.
//! - **Time** ([`time`]): the real clock. A world with a virtual `now` is rebased to the real
//!   clock when the sandbox starts (every timestamp keeps its age relative to `now`, and `now`
//!   is dropped); "advancing the clock" ages every timestamp of the world instead, since
//!   clients read the real clock.
//! - **Admin API** ([`admin`]): `/_sandbox/world`, `/tunnels`, `/clock`, `/faults`, `/calls`.
//!
//! Files: [`query`] parses requests, [`xml`] writes answers, [`actions`] runs them, [`paging`]
//! pages them, [`limits`] throttles, [`state`] holds what is shared, [`server`] is the EC2
//! endpoint, [`admin`] the admin API.

pub mod actions;
pub mod admin;
pub mod cidr;
pub mod error;
pub mod limits;
pub mod paging;
pub mod query;
pub mod server;
pub mod state;
pub mod time;
pub mod xml;

pub use error::ApiError;
pub use limits::Limits;
pub use state::{FaultsPatch, FaultsView, SandboxCalls, SandboxState, SearchPages, SubnetMatch};

use crate::validate::InvalidWorld;
use crate::world::{SharedWorld, World};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use state::Knobs;
use std::future::Future;
use std::net::SocketAddr;

/// How to run a sandbox. [`SandboxConfig::new`] takes the latency and seed from the world's
/// `faults` and throttles like EC2 (`Limits::Aws`).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub world: World,
    pub limits: Limits,
    /// Added to every EC2 call, for real.
    pub latency_ms: u64,
    /// Fraction (0..=1) of EC2 calls answered 500 `InternalError`.
    pub error_rate: f64,
    /// Largest page of the paginated actions (below each request's `MaxResults`); `None`: 1000.
    pub page_size: Option<usize>,
    pub search_pages: SearchPages,
    pub subnet_match: SubnetMatch,
}

impl SandboxConfig {
    pub fn new(world: World) -> Self {
        let latency_ms = world.faults.as_ref().map_or(0, |f| f.latency_ms);
        SandboxConfig {
            world,
            limits: Limits::Aws,
            latency_ms,
            error_rate: 0.0,
            page_size: None,
            search_pages: SearchPages::Token,
            subnet_match: SubnetMatch::Inclusive,
        }
    }

    /// The built-in demo world (`tgw-ha sandbox` with no `--world`).
    pub fn demo() -> Self {
        SandboxConfig::new(crate::demo_world::demo_world())
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = ms;
        self
    }

    pub fn error_rate(mut self, rate: f64) -> Self {
        self.error_rate = rate;
        self
    }

    pub fn page_size(mut self, size: Option<usize>) -> Self {
        self.page_size = size;
        self
    }

    pub fn search_pages(mut self, pages: SearchPages) -> Self {
        self.search_pages = pages;
        self
    }

    pub fn subnet_match(mut self, m: SubnetMatch) -> Self {
        self.subnet_match = m;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("sandbox world: {0}")]
    InvalidWorld(#[from] InvalidWorld),
    #[error("sandbox configuration: {0}")]
    Config(String),
    #[error("sandbox server: {0}")]
    Serve(#[from] std::io::Error),
}

/// The sandbox's state for `config`: the world rebased to the real clock, faults armed.
pub fn state(config: SandboxConfig) -> Result<SandboxState, SandboxError> {
    let SandboxConfig {
        mut world,
        limits,
        latency_ms,
        error_rate,
        page_size,
        search_pages,
        subnet_match,
    } = config;
    world.validate()?;
    if !(0.0..=1.0).contains(&error_rate) {
        return Err(SandboxError::Config(format!(
            "error_rate must lie within 0 and 1, not {error_rate}"
        )));
    }
    if page_size == Some(0) {
        return Err(SandboxError::Config("page_size must be at least 1".into()));
    }
    time::rebase(&mut world, time::real_now());
    Ok(SandboxState::new(
        world,
        Knobs {
            limits,
            latency_ms,
            error_rate,
            page_size,
            search_pages,
            subnet_match,
        },
    ))
}

/// The sandbox's routes: EC2 at `/`, the admin API under `/_sandbox/`.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/", get(server::ec2).post(server::ec2))
        .route(
            "/_sandbox/world",
            get(admin::get_world)
                .put(admin::put_world)
                .layer(DefaultBodyLimit::max(256 << 20)),
        )
        .route("/_sandbox/tunnels", post(admin::post_tunnels))
        .route("/_sandbox/clock", post(admin::post_clock))
        .route(
            "/_sandbox/faults",
            get(admin::get_faults).post(admin::post_faults),
        )
        .route(
            "/_sandbox/calls",
            get(admin::get_calls).delete(admin::delete_calls),
        )
        .fallback(admin::not_found)
        .with_state(state)
}

/// Connections waiting to be accepted (see [`bind`]).
const LISTEN_BACKLOG: u32 = 1024;

/// Listen on `listen` (port 0: any free port) with `config`. Nothing is served until
/// [`Sandbox::serve`] (or [`Sandbox::spawn`]).
pub async fn bind(listen: SocketAddr, config: SandboxConfig) -> Result<Sandbox, SandboxError> {
    let state = state(config)?;
    let bind_error = |source| SandboxError::Bind {
        addr: listen,
        source,
    };
    let socket = if listen.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(bind_error)?;
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(listen).map_err(bind_error)?;
    // A backlog for a burst: clients (a failover's 50 writes, a test's 150) connect at once, and
    // the usual 128 would drop the excess SYNs, which the kernel resends a second later.
    let listener = socket.listen(LISTEN_BACKLOG).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    Ok(Sandbox {
        listener,
        state,
        addr,
    })
}

/// A bound sandbox, not yet serving.
pub struct Sandbox {
    listener: tokio::net::TcpListener,
    state: SandboxState,
    addr: SocketAddr,
}

impl Sandbox {
    /// The address it listens on (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the endpoint URL to give an SDK.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// The world it serves, shared: a test may change it directly (never across an await).
    pub fn world(&self) -> &SharedWorld {
        self.state.world()
    }

    /// Serve until the process ends.
    pub async fn serve(self) -> Result<(), SandboxError> {
        self.serve_until(std::future::pending()).await
    }

    /// Serve until `shutdown` completes; requests in flight are finished first.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SandboxError> {
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }

    /// Serve on a task of the current tokio runtime; stopped by [`RunningSandbox::stop`] or
    /// when the handle is dropped.
    pub fn spawn(self) -> RunningSandbox {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let addr = self.addr;
        let state = self.state.clone();
        let task = tokio::spawn(self.serve_until(async {
            let _ = rx.await;
        }));
        RunningSandbox {
            addr,
            state,
            shutdown: Some(tx),
            task,
        }
    }
}

/// A sandbox serving on a task.
pub struct RunningSandbox {
    addr: SocketAddr,
    state: SandboxState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), SandboxError>>,
}

impl RunningSandbox {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    pub fn world(&self) -> &SharedWorld {
        self.state.world()
    }

    /// Stop accepting, finish the requests in flight, and return how serving ended.
    pub async fn stop(mut self) -> Result<(), SandboxError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(SandboxError::Config(format!("sandbox task ended: {e}"))),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
