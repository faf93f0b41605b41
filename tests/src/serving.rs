//! Serving a clinic server app over HTTPS on a free local port, for stories and end-to-end tests.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use mamori_server::http::{self, App, Backend};

/// Serves `app` with the certificate `mamori server init` made in `dir` (whose fingerprint must be
/// `pin`) on a free port of 127.0.0.1, until the runtime stops. Call inside the runtime.
pub async fn serve<S: Backend>(app: Arc<App<S>>, dir: &Path, pin: &[u8; 32]) -> SocketAddr {
    let (tls, loaded) = http::tls::server_config(dir).expect("tls");
    assert_eq!(*pin, loaded, "the fingerprint printed at init is the one served");
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let served = http::serve(app, "127.0.0.1:0".parse().expect("addr"), tls, move |addr| {
            let _ = tx.send(addr);
        });
        if let Err(error) = served.await {
            eprintln!("test server stopped: {error}");
        }
    });
    rx.await.expect("the server bound a port")
}
