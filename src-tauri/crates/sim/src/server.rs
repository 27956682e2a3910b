//! Starting and stopping the server (`Simulator`, `SimHandle`), and the per-connection wrapper that lets a
//! `reset` fault send a TCP RST.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::data::Dataset;
use crate::fault::Fault;
use crate::log::LoggedRequest;
use crate::state::Sim;
use crate::{control, gateway};

/// Shared between a connection's IO and the handlers serving it.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    /// Set by a `reset` fault: the connection refuses to write and closes with SO_LINGER 0 (RST).
    pub reset: AtomicBool,
}

/// The connect-info handlers extract to reach their connection's control.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo(pub Arc<ConnControl>);

impl std::ops::Deref for ConnInfo {
    type Target = ConnControl;
    fn deref(&self) -> &ConnControl {
        &self.0
    }
}

/// A TCP stream that can be told to die with a reset.
#[derive(Debug)]
pub(crate) struct SimIo {
    stream: TcpStream,
    control: Arc<ConnControl>,
}

impl SimIo {
    fn reset_requested(&self) -> bool {
        self.control.reset.load(Ordering::SeqCst)
    }
}

fn reset_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "conexão reiniciada (falha simulada)")
}

impl AsyncRead for SimIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.reset_requested() {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.reset_requested() {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset_requested() {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Drop for SimIo {
    fn drop(&mut self) {
        if self.reset_requested() {
            // Closing with a zero linger sends RST instead of FIN.
            let _ = self.stream.set_zero_linger();
        }
    }
}

/// The loopback listener, yielding `SimIo`s.
#[derive(Debug)]
pub(crate) struct SimListener(TcpListener);

impl Listener for SimListener {
    type Io = SimIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SimIo, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (SimIo { stream, control: Arc::default() }, addr);
                }
                // Per-connection errors (aborted handshakes) are not fatal; anything else (out of file
                // descriptors) gets a short pause before retrying.
                Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => {}
                Err(e) => {
                    tracing::warn!("simulador: accept falhou: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, SimListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        ConnInfo(stream.io().control.clone())
    }
}

/// Entry point: `Simulator::start(addr, config)`.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `addr` (use `127.0.0.1:0` for a random loopback port), loads the embedded data and serves both
    /// gateways under one root until [`SimHandle::shutdown`]. Must be called inside a tokio runtime; the server
    /// runs as a task of that runtime and keeps running if the handle is dropped.
    pub async fn start(addr: SocketAddr, config: SimConfig) -> io::Result<SimHandle> {
        let config = config.validated().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let data = Dataset::embedded().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (control_routes, cors) = (config.control_routes, config.cors);
        let sim = Arc::new(Sim::new(config, data));
        let control = if control_routes { control::router() } else { control::disabled() };
        let mut app: Router = control.fallback(gateway::handle).with_state(sim.clone());
        if !cors {
            app = app.layer(axum::middleware::map_response(control::strip_cors));
        }
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<ConnInfo>();
            let served = axum::serve(SimListener(listener), service)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!("simulador encerrado com erro: {e}");
            }
        });
        tracing::debug!("simulador SERPRO/Conecta em http://{local}");
        Ok(SimHandle {
            inner: Arc::new(HandleInner {
                addr: local,
                sim,
                stop: Mutex::new(Some(stop_tx)),
                task: Mutex::new(Some(task)),
            }),
        })
    }
}

#[derive(Debug)]
struct HandleInner {
    addr: SocketAddr,
    sim: Arc<Sim>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A running simulator. Cheap to clone; every clone controls the same server.
#[derive(Debug, Clone)]
pub struct SimHandle {
    inner: Arc<HandleInner>,
}

impl SimHandle {
    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:PORT`: the gateway root; SERPRO and Conecta paths are both served under it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// The configuration in force.
    pub fn config(&self) -> &SimConfig {
        &self.inner.sim.config
    }

    /// Every gateway call answered so far (oldest first; control calls excluded).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.sim.requests()
    }

    pub fn clear_requests(&self) {
        self.inner.sim.clear_requests();
    }

    /// Queues a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.inner.sim.push_fault(fault);
    }

    /// Faults still waiting for a call.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.inner.sim.pending_faults()
    }

    pub fn clear_faults(&self) {
        self.inner.sim.clear_faults();
    }

    /// Every token issued so far expires now (the next API call with one gets 401).
    pub fn expire_tokens(&self) {
        self.inner.sim.expire_tokens();
    }

    /// Calls counted per API (quota key → count), e.g. `{"consulta-cpf-df/v1": 3}`.
    pub fn usage(&self) -> BTreeMap<String, u64> {
        self.inner.sim.usage()
    }

    /// The largest number of API calls (token calls and preflights excluded) the simulator was serving at the same
    /// time since start or the last [`reset`](Self::reset): what a client's concurrency limit is checked against.
    /// Set `SimConfig::latency_ms` so calls last long enough to overlap.
    pub fn max_in_flight(&self) -> usize {
        self.inner.sim.max_in_flight()
    }

    /// Back to the just-started state: log, faults, tokens, quota, rate limiter and lookup counters.
    pub fn reset(&self) {
        self.inner.sim.reset();
    }

    /// Stops accepting, lets in-flight calls finish (up to 2 s), then stops. Other clones become inert.
    pub async fn shutdown(self) {
        let stop = self.inner.stop.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = self.inner.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut task) = task
            && tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}
