//! The client of the timed single requests (queries, multigets, syncs):
//! one HTTP/1.1 connection driven on the calling thread. reqwest's blocking
//! client hands each request to a runtime thread of its own and waits for
//! the answer there: two thread wake-ups a request, which on this VM cost
//! about as much as a small multiget takes the server, and were counted as
//! the server's time. The same client times every server.

use super::*;

use bytes::Bytes;

use super::throughput::{connect, exchange, target, Sender, Target, REQUEST_TIMEOUT};

pub(crate) struct Direct {
    rt: tokio::runtime::Runtime,
    target: Target,
    /// The open connection, while the server keeps it.
    conn: Option<Sender>,
}

impl Direct {
    /// A client of `url` sending XML bodies.
    pub(crate) fn new(url: &str) -> Res<Direct> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Direct {
            rt,
            target: target(url, XML)?,
            conn: None,
        })
    }

    /// One request to the URL. A connection the server closed after its
    /// last answer (Radicale closes each) is opened again, and a kept one
    /// that fails before the answer is tried once more on a new one.
    pub(crate) fn send(&mut self, method: &str, depth: Option<&str>, body: &str) -> Res<Reply> {
        let m = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let body = Bytes::copy_from_slice(body.as_bytes());
        let (target, conn) = (&self.target, &mut self.conn);
        self.rt.block_on(async move {
            let mut fresh = conn.is_none();
            loop {
                let req = target.request(&m, &target.path, depth, Some(body.clone()))?;
                let mut c = match conn.take() {
                    Some(c) => c,
                    None => connect(&target.addr).await?,
                };
                let answer = tokio::time::timeout(REQUEST_TIMEOUT, exchange(&mut c, req))
                    .await
                    .map_err(|_| format!("{method} {}: no answer", target.path))?;
                match answer {
                    Ok((status, bytes, keep)) => {
                        if keep {
                            *conn = Some(c);
                        }
                        let body = String::from_utf8_lossy(&bytes).into_owned();
                        return Ok(Reply { status, body });
                    }
                    Err(_) if !fresh => fresh = true,
                    Err(e) => return Err(format!("{method} {}: {e}", target.path)),
                }
            }
        })
    }
}
