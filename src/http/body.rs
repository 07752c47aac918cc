//! Response bodies produced on a blocking thread: bodies up to a few hundred
//! KB are handed to the async side once, with a Content-Length; larger ones
//! stream as chunks through a bounded channel so a 100k-object listing never
//! sits in memory whole. Where a handler's body is produced, and when it is
//! handed over, is `completion`'s.

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bytes::Bytes;
use futures_util::{stream, StreamExt};
use tokio::sync::{mpsc, oneshot};

/// What writes a streamed body into its [`Sink`].
pub type Producer = Box<dyn FnOnce(&mut Sink) + Send>;

pub(super) const CHUNK: usize = 64 * 1024;

/// Bytes held, in chunks, before the first hand-off. A body that ends
/// within them (a multiget of a hundred contacts with photos, ~400 KB)
/// crosses threads once instead of waking the async side for every chunk;
/// a larger one starts streaming with them. Chunk buffers stay below
/// glibc's mmap threshold, so they reuse heap memory rather than fault in
/// fresh pages, and a producer holds about this much (plus the channel's
/// chunks) at a time.
pub(super) const HELD: usize = 8 * CHUNK;

/// Chunks in flight between a streaming producer and the connection.
pub(super) const IN_FLIGHT: usize = 4;

/// Where a producer writes its body text.
pub struct Sink {
    buf: String,
    /// Chunks not yet handed off, while `first` is unsent.
    held: Vec<Bytes>,
    /// Told once: when the body is whole or the held chunks are full.
    first: Option<Box<dyn FnOnce(Start) + Send>>,
    tx: Option<mpsc::Sender<Bytes>>,
    /// Made where nothing may wait (`completion::complete_here`): never streams; a
    /// body beyond what is held is dropped and marked `overflowed`.
    whole_only: bool,
    overflowed: bool,
}

/// A body produced (or being produced) on a blocking thread, as the async
/// side first sees it.
pub struct Started(pub(super) Start);

pub(super) enum Start {
    /// The whole body, in chunks.
    Whole(Vec<Bytes>),
    /// The first chunks, then the rest as they are written.
    Stream(Vec<Bytes>, mpsc::Receiver<Bytes>),
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
        if self.overflowed {
            // Nothing of it will be sent: keep no chunk and make no new buffer.
            self.buf.clear();
            return;
        }
        // The next chunk's buffer starts near full size rather than growing
        // by doubling (a copy at each step); below glibc's mmap threshold.
        let next = String::with_capacity(CHUNK + CHUNK / 2);
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, next));
        if self.first.is_none() {
            if let Some(tx) = &self.tx {
                // A closed channel means the client went away; drop the rest.
                let _ = tx.blocking_send(chunk);
            }
            return;
        }
        self.held.push(chunk);
        if self.held.iter().map(Bytes::len).sum::<usize>() < HELD {
            return;
        }
        let held = std::mem::take(&mut self.held);
        if self.whole_only {
            self.overflowed = true;
        } else {
            let (tx, rx) = mpsc::channel(IN_FLIGHT);
            self.tx = Some(tx);
            self.start(Start::Stream(held, rx));
        }
    }

    fn start(&mut self, start: Start) {
        if let Some(first) = self.first.take() {
            first(start);
        }
    }

    /// Tells `first` of the whole body, unless it was dropped (`overflowed`).
    fn finish(mut self) {
        if self.overflowed {
            return;
        }
        if !self.buf.is_empty() {
            if self.first.is_some() {
                self.held.push(Bytes::from(std::mem::take(&mut self.buf)));
            } else {
                self.flush();
            }
        }
        let held = std::mem::take(&mut self.held);
        self.start(Start::Whole(held));
    }
}

/// Runs `produce` on this thread; `first` is told once, as soon as the body
/// is whole or exceeds what is held, and the rest then streams from here.
/// `whole_only`: see [`Sink`]; an overflowed body never tells `first`.
pub(super) fn run(
    whole_only: bool,
    produce: impl FnOnce(&mut Sink),
    first: impl FnOnce(Start) + Send + 'static,
) {
    let mut sink = Sink {
        buf: String::new(),
        held: Vec::new(),
        first: Some(Box::new(first)),
        tx: None,
        whole_only,
        overflowed: false,
    };
    produce(&mut sink);
    sink.finish();
}

/// Runs `produce` off the async threads and answers with what it writes.
pub async fn produce(
    status: StatusCode,
    content_type: &'static str,
    produce: Producer,
) -> HttpResponse {
    let (first_tx, first_rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        run(false, produce, move |start| {
            let _ = first_tx.send(start);
        })
    });
    match first_rx.await {
        Ok(start) => respond(status, content_type, Started(start)),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// The response for a body `completion` or [`produce`] started.
pub fn respond(status: StatusCode, content_type: &'static str, body: Started) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.content_type(content_type);
    match body.0 {
        Start::Whole(mut chunks) if chunks.len() <= 1 => {
            resp.body(chunks.pop().unwrap_or_default())
        }
        Start::Whole(chunks) => {
            let len = chunks.iter().map(|c| c.len() as u64).sum();
            resp.body(SizedStream::new(
                len,
                stream::iter(chunks.into_iter().map(Ok::<Bytes, actix_web::Error>)),
            ))
        }
        Start::Stream(held, rx) => {
            let rest = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
            resp.streaming(
                stream::iter(held)
                    .chain(rest)
                    .map(Ok::<Bytes, actix_web::Error>),
            )
        }
    }
}
