//! `idloom-server`: fenced snowflakes and Leaf segments over HTTP.
//!
//! Start-up: read the settings, create the namespace and the counters if
//! missing, open the segments, lease a node, listen (the first line on
//! stdout is `listening on ADDRESS`). SIGTERM or SIGINT: /readyz turns red,
//! the listener closes, requests in flight finish (for at most `drain-ms`),
//! the generator stops and the node is released with its high-water, so
//! the next holder starts at once.

mod app;
mod backend;
mod config;
mod metrics;
mod routes;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("IDLOOM_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let config = match config::Config::from_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("idloom-server: {}: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("idloom-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idloom-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM or SIGINT, whichever comes first.
async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn serve(config: config::Config) -> Result<(), String> {
    let listen = config.listen;
    let drain = Duration::from_millis(config.drain_ms);
    let metrics = Arc::new(metrics::Metrics::new());
    let app = app::start(config, metrics).await.map_err(|e| format!("{}: {e}", e.code()))?;
    let app = Arc::new(app);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("listen on {listen}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {bound}");
        let _ = out.flush();
    }
    tracing::info!(
        target: "idloom_server",
        "listening on {bound}: namespace {} node {} epoch {}, {} segment(s), engine {}",
        app.config.namespace,
        app.live.lease().node(),
        app.live.lease().epoch(),
        app.live.tags.len(),
        app.engine
    );
    // When the lease is lost, app.rs's supervisor leases a node again;
    // meanwhile the snowflake routes answer 503 and /readyz is red.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, routes::router(app.clone())).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    let mut server = tokio::spawn(async move { server.await });
    tokio::select! {
        _ = shutdown_signal() => {}
        r = &mut server => return Err(format!("the server stopped: {r:?}")),
    }
    tracing::info!(target: "idloom_server", "shutting down: draining for at most {} ms", drain.as_millis());
    app.live.draining.store(true, Ordering::Release);
    let _ = stop_tx.send(());
    if tokio::time::timeout(drain, &mut server).await.is_err() {
        server.abort();
        tracing::warn!(target: "idloom_server", "requests still in flight after {} ms were cut", drain.as_millis());
    }
    let lease = app.live.lease();
    match lease.release().await {
        Ok(Some(high_water)) => {
            tracing::info!(target: "idloom_server", "released node {} at high-water {high_water}", lease.node())
        }
        Ok(None) => tracing::info!(target: "idloom_server", "the lease had already ended: nothing to release"),
        Err(e) => tracing::warn!(target: "idloom_server", "release failed ({e}): the node is free after its TTL"),
    }
    Ok(())
}
