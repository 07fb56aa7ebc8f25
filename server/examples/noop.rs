//! The baseline `scripts/bench server` measures idloom-server against: the
//! same HTTP stack (axum 0.8 with the server's features, hyper underneath)
//! on the same runtime (multi-thread tokio, built the same way), answering a
//! constant text body on one route. A route's requests per second divided by
//! this one's is what the store, the generator and the answer's encoding cost.
//!
//!     cargo run --release -p idloom-server --example noop -- --listen 127.0.0.1:0
//!
//! Prints `listening on ADDRESS` first on stdout, as the server does, and
//! answers `GET /noop` with `1` (text/plain, as Leaf's routes answer one ID).

use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--listen" => args.next(),
            _ => arg.strip_prefix("--listen=").map(str::to_string),
        };
        match value.as_deref().map(str::parse::<SocketAddr>) {
            Some(Ok(addr)) => listen = addr,
            _ => {
                eprintln!("noop: usage: noop [--listen ADDRESS:PORT] (got {arg:?})");
                return ExitCode::from(2);
            }
        }
    }
    // The server's runtime: tokio::runtime::Builder::new_multi_thread().enable_all().
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("noop: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("noop: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr) -> Result<(), String> {
    let app = Router::new().route(
        "/noop",
        get(|| async { (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain;charset=UTF-8")], "1") }),
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("listen on {listen}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {bound}");
        let _ = out.flush();
    }
    axum::serve(listener, app).await.map_err(|e| format!("the server stopped: {e}"))
}
