//! Response bodies produced on a blocking thread: small ones are sent with a
//! Content-Length, large ones stream as chunks through a bounded channel so a
//! 100k-object listing never sits in memory whole.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bytes::Bytes;
use futures_util::stream;
use tokio::sync::{mpsc, oneshot};

const CHUNK: usize = 64 * 1024;

/// Where a producer writes its body text.
pub struct Sink {
    buf: String,
    first: Option<oneshot::Sender<Start>>,
    tx: Option<mpsc::Sender<Bytes>>,
}

enum Start {
    Whole(String),
    Stream(mpsc::Receiver<Bytes>),
}

impl Sink {
    pub fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        if self.buf.len() >= CHUNK {
            self.flush();
        }
    }

    /// The buffer to write the next piece into directly (no copy through
    /// [`push`](Self::push)); what came before is sent once it is a chunk.
    pub fn buffer(&mut self) -> &mut String {
        if self.buf.len() >= CHUNK {
            self.flush();
        }
        &mut self.buf
    }

    fn flush(&mut self) {
        if let Some(first) = self.first.take() {
            let (tx, rx) = mpsc::channel(4);
            self.tx = Some(tx);
            let _ = first.send(Start::Stream(rx));
        }
        // The next chunk's buffer starts near full size rather than growing
        // by doubling (a copy at each step); below glibc's mmap threshold.
        let next = String::with_capacity(CHUNK + CHUNK / 2);
        let chunk = std::mem::replace(&mut self.buf, next);
        if let Some(tx) = &self.tx {
            // A closed channel means the client went away; drop the rest.
            let _ = tx.blocking_send(Bytes::from(chunk));
        }
    }

    fn finish(mut self) {
        match self.first.take() {
            Some(first) => {
                let _ = first.send(Start::Whole(std::mem::take(&mut self.buf)));
            }
            None if !self.buf.is_empty() => self.flush(),
            None => {}
        }
    }
}

/// Runs `produce` off the async threads and answers with what it writes.
pub async fn produce<F>(status: StatusCode, content_type: &'static str, produce: F) -> HttpResponse
where
    F: FnOnce(&mut Sink) + Send + 'static,
{
    let (first_tx, first_rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let mut sink = Sink {
            buf: String::new(),
            first: Some(first_tx),
            tx: None,
        };
        produce(&mut sink);
        sink.finish();
    });
    let mut resp = HttpResponse::build(status);
    resp.content_type(content_type);
    match first_rx.await {
        Ok(Start::Whole(body)) => resp.body(body),
        Ok(Start::Stream(rx)) => resp.streaming(stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|b| (Ok::<Bytes, actix_web::Error>(b), rx))
        })),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
