//! Socket layer: our own accept loop over hyper so the fake can drop a single connection
//! without answering, close the listener (down) and re-bind the same port (up).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{watch, Notify};
use tower_service::Service;

/// Lets a handler kill the connection its request arrived on.
#[derive(Clone)]
pub(crate) struct ConnHandle(Arc<Notify>);

impl ConnHandle {
    pub(crate) fn kill(&self) {
        self.0.notify_one();
    }
}

/// Binds 127.0.0.1:`port` with SO_REUSEADDR (so a port can be re-bound right after down).
pub(crate) fn bind(port: u16) -> std::io::Result<TcpListener> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves one accepted connection until it ends, is killed, or the epoch changes (down).
fn spawn_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut epoch: watch::Receiver<u64>,
) {
    tokio::spawn(async move {
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let handle = ConnHandle(kill.clone());
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(handle.clone());
            let mut router = router.clone();
            async move {
                let req = req.map(Body::new);
                Ok::<_, Infallible>(router.call(req).await.unwrap_or_else(|e| match e {}))
            }
        });
        let conn = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), svc);
        tokio::select! {
            _ = conn => {}
            _ = kill.notified() => {}
            _ = epoch.changed() => {}
        }
        // Dropping `conn` here closes the socket without a response.
    });
}

/// Accepts while up; on down closes the listener and every connection; on up re-binds `port`.
pub(crate) async fn supervise(
    first: TcpListener,
    port: u16,
    router: Router,
    mut up: watch::Receiver<bool>,
    epoch_tx: Arc<watch::Sender<u64>>,
) {
    let mut listener = Some(first);
    loop {
        let l = match listener.take() {
            Some(l) => l,
            None => {
                while !*up.borrow_and_update() {
                    if up.changed().await.is_err() {
                        return;
                    }
                }
                let mut attempt = 0;
                loop {
                    match bind(port) {
                        Ok(l) => break l,
                        Err(_) if attempt < 100 => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(_) => return,
                    }
                }
            }
        };
        loop {
            tokio::select! {
                res = l.accept() => {
                    if let Ok((stream, _)) = res {
                        spawn_connection(stream, router.clone(), epoch_tx.subscribe());
                    }
                }
                changed = up.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*up.borrow_and_update() {
                        break;
                    }
                }
            }
        }
        drop(l);
        epoch_tx.send_modify(|e| *e += 1);
    }
}

/// Plain accept loop (control listener): never goes down.
pub(crate) async fn serve_plain(
    listener: TcpListener,
    router: Router,
    epoch_tx: Arc<watch::Sender<u64>>,
) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            spawn_connection(stream, router.clone(), epoch_tx.subscribe());
        }
    }
}
