//! Response bodies produced on a blocking thread: bodies up to a few hundred
//! KB are handed to the async side once, with a Content-Length; larger ones
//! stream as chunks through a bounded channel so a 100k-object listing never
//! sits in memory whole. A handler's body is produced on the same blocking
//! thread that ran the handler ([`complete`]): one trip to the pool a request.
//! A request tried on the async worker (a small multiget) makes its body
//! there only if it ends within what is held ([`complete_here`]).

use actix_web::body::SizedStream;
use actix_web::http::header::HeaderName;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bytes::Bytes;
use futures_util::{stream, StreamExt};
use tokio::sync::{mpsc, oneshot};

use super::error::DavResult;
use super::request::{Producer, Reply, ReplyBody};

const CHUNK: usize = 64 * 1024;

/// Bytes held, in chunks, before the first hand-off. A body that ends
/// within them (a multiget of a hundred contacts with photos, ~400 KB)
/// crosses threads once instead of waking the async side for every chunk;
/// a larger one starts streaming with them. Chunk buffers stay below
/// glibc's mmap threshold, so they reuse heap memory rather than fault in
/// fresh pages, and a producer holds about this much (plus the channel's
/// chunks) at a time.
const HELD: usize = 8 * CHUNK;

/// Chunks in flight between a streaming producer and the connection.
const IN_FLIGHT: usize = 4;

/// Where a producer writes its body text.
pub struct Sink {
    buf: String,
    /// Chunks not yet handed off, while `first` is unsent.
    held: Vec<Bytes>,
    /// Told once: when the body is whole or the held chunks are full.
    first: Option<Box<dyn FnOnce(Start) + Send>>,
    tx: Option<mpsc::Sender<Bytes>>,
    /// Made where nothing may wait ([`complete_here`]): never streams; a
    /// body beyond what is held is dropped and marked `overflowed`.
    whole_only: bool,
    overflowed: bool,
}

/// A body produced (or being produced) on a blocking thread, as the async
/// side first sees it.
pub struct Started(Start);

enum Start {
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
fn run(
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

/// A handler's reply whose streamed body was produced as `start`.
fn produced(
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    content_type: &'static str,
    start: Start,
) -> Reply {
    Reply {
        status,
        headers,
        body: ReplyBody::Produced {
            content_type,
            body: Started(start),
        },
    }
}

/// [`complete`] on the async worker, where nothing may wait: the body is
/// made here whole, and only if it ends within what is held. None for a
/// larger one: nothing was sent, and the caller runs the request again on
/// the blocking pool, where it may stream.
pub fn complete_here(reply: DavResult<Reply>) -> Option<DavResult<Reply>> {
    let Ok(Reply {
        status,
        headers,
        body: ReplyBody::Stream {
            content_type,
            producer,
        },
    }) = reply
    else {
        return Some(reply);
    };
    let (tx, mut rx) = oneshot::channel();
    run(true, producer, move |start| {
        let _ = tx.send(start);
    });
    let start = rx.try_recv().ok()?;
    Some(Ok(produced(status, headers, content_type, start)))
}

/// On the blocking thread that built `reply`: runs its body's producer here
/// rather than on a second trip to the pool, and hands the reply to `ready`
/// once its body is whole or starts streaming; any other reply at once.
pub fn complete(reply: DavResult<Reply>, ready: impl FnOnce(DavResult<Reply>) + Send + 'static) {
    match reply {
        Ok(Reply {
            status,
            headers,
            body:
                ReplyBody::Stream {
                    content_type,
                    producer,
                },
        }) => run(false, producer, move |start| {
            ready(Ok(produced(status, headers, content_type, start)))
        }),
        other => ready(other),
    }
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

/// The response for a body [`complete`] or [`produce`] started.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `complete` handed over, with the thread the producer ran on.
    fn completed(size: usize) -> (Reply, std::thread::ThreadId) {
        let (tx, rx) = std::sync::mpsc::channel();
        let (ran_tx, ran_rx) = std::sync::mpsc::channel();
        let reply = Reply::stream(StatusCode::MULTI_STATUS, "text/plain", move |sink| {
            ran_tx.send(std::thread::current().id()).unwrap();
            sink.push(&"x".repeat(size));
        });
        complete(Ok(reply), move |r| tx.send(r).unwrap());
        (rx.recv().unwrap().unwrap(), ran_rx.recv().unwrap())
    }

    #[test]
    fn a_small_body_is_produced_whole_on_the_handlers_thread() {
        let (reply, ran_on) = completed(1000);
        assert_eq!(ran_on, std::thread::current().id());
        assert_eq!(reply.status, StatusCode::MULTI_STATUS);
        match reply.body {
            ReplyBody::Produced {
                body: Started(Start::Whole(chunks)),
                ..
            } => assert_eq!(chunks.concat(), "x".repeat(1000).as_bytes()),
            _ => panic!("not a whole produced body"),
        }
    }

    #[test]
    fn a_body_beyond_what_is_held_streams() {
        // The producer blocks on the channel once it is full, so it runs on
        // a thread of its own here, as on the pool.
        let (tx, rx) = std::sync::mpsc::channel();
        let size = HELD + (IN_FLIGHT + 4) * CHUNK;
        let producer = std::thread::spawn(move || {
            let reply = Reply::stream(StatusCode::OK, "text/plain", move |sink| {
                let piece = "y".repeat(1024);
                for _ in 0..size / 1024 {
                    sink.push(&piece);
                }
            });
            complete(Ok(reply), move |r| tx.send(r).unwrap());
        });
        let reply = rx.recv().unwrap().unwrap();
        let ReplyBody::Produced {
            body: Started(Start::Stream(held, mut rest)),
            ..
        } = reply.body
        else {
            panic!("not a streamed body");
        };
        let mut total: usize = held.iter().map(Bytes::len).sum();
        assert!(total >= HELD && total < size);
        while let Some(chunk) = rest.blocking_recv() {
            total += chunk.len();
        }
        producer.join().unwrap();
        assert_eq!(total, size);
    }

    #[test]
    fn where_nothing_may_wait_only_a_body_within_what_is_held_is_made() {
        let make = |size: usize| {
            complete_here(Ok(Reply::stream(
                StatusCode::OK,
                "text/plain",
                move |sink| {
                    let piece = "z".repeat(1024);
                    for _ in 0..size / 1024 {
                        sink.push(&piece);
                    }
                },
            )))
        };
        match make(HELD / 2).unwrap().unwrap().body {
            ReplyBody::Produced {
                body: Started(Start::Whole(chunks)),
                ..
            } => assert_eq!(chunks.concat(), "z".repeat(HELD / 2).as_bytes()),
            _ => panic!("not a whole produced body"),
        }
        // Larger: nothing is made here (it never blocks on a channel).
        assert!(make(HELD + 4 * CHUNK).is_none());
        // A reply without a streamed body passes as it is.
        let empty = complete_here(Ok(Reply::empty(StatusCode::NO_CONTENT)));
        assert_eq!(empty.unwrap().unwrap().status, StatusCode::NO_CONTENT);
    }
}
