//! A response body read from an open object file a chunk at a time, with
//! the file's length as Content-Length. Each chunk is read on the blocking
//! pool (a disk read never stalls an async worker) and no thread is held
//! between chunks, so a slow client costs one chunk of memory, not a thread.

use actix_web::body::SizedStream;
use actix_web::web;
use bytes::Bytes;
use futures_util::stream::{self, Stream};

use crate::store::OpenObject;

/// Bytes read per chunk. Actix copies each chunk into the connection's
/// write buffer, which it fills up to 32 KiB before writing and keeps while
/// the connection idles (up to 128 KiB): chunks of 32 KiB keep it under
/// 64 KiB, where one 100 KB body sent whole grows it to the body's size.
/// Smaller chunks cost more hops to the blocking pool (16 KiB gave
/// 15-25% fewer GET/s in the contacts bench than whole bodies; 32 KiB none).
const CHUNK: usize = 32 * 1024;

/// The body of `object`, exactly its length when opened.
pub fn sized(
    object: OpenObject,
) -> SizedStream<impl Stream<Item = Result<Bytes, actix_web::Error>>> {
    let len = object.len();
    let chunks = stream::try_unfold(object, |mut object| async move {
        let (object, chunk) = web::block(move || {
            let chunk = object.next_chunk(CHUNK);
            (object, chunk)
        })
        .await?;
        match chunk {
            Ok(Some(bytes)) => Ok(Some((Bytes::from(bytes), object))),
            Ok(None) => Ok(None),
            Err(e) => {
                // The client sees the connection close before the length.
                tracing::warn!("sending an object: {e}");
                Err(e.into())
            }
        }
    });
    SizedStream::new(len, chunks)
}
