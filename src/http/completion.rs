//! A handler's reply made ready to send: its streamed body is produced on
//! the thread that ran the handler ([`complete`], one trip to the blocking
//! pool a request), or, for a request tried on the async worker (a small
//! multiget), there, only if it ends within what is held
//! ([`complete_here`]).

use actix_web::http::header::HeaderName;
use actix_web::http::StatusCode;
use tokio::sync::oneshot;

use super::body::{run, Start, Started};
use super::error::DavResult;
use super::request::{Reply, ReplyBody};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::body::{CHUNK, HELD, IN_FLIGHT};
    use bytes::Bytes;

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
