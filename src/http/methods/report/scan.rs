//! The candidate loop shared by calendar-query and addressbook-query: names
//! come from the collection's index a batch at a time, each batch is read
//! and filtered on a few threads, and its matches are written in name order
//! before the next batch, so a large collection streams in bounded memory.

use std::cell::Cell;
use std::ops::ControlFlow;

use crate::store::{Collection, ObjectMeta};

/// Candidates per batch: results stream after each batch, memory stays bounded.
const BATCH: usize = 64;
/// Below this many candidates a thread is not worth starting.
const MIN_PER_THREAD: usize = 8;

/// One candidate: its name and indexed metadata.
pub type Candidate = (String, ObjectMeta);

/// Runs `eval` over the candidates (`single` alone, or every object whose
/// metadata passes `keep`) and hands each batch's results, in name order,
/// to `emit`; once `emit` breaks no further candidate is read.
pub fn scan<T: Send>(
    cal: &Collection,
    single: Option<Candidate>,
    keep: impl Fn(&ObjectMeta) -> bool,
    eval: impl Fn(&[Candidate]) -> Vec<T> + Sync,
    mut emit: impl FnMut(Vec<T>) -> ControlFlow<()>,
) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let stopped = Cell::new(false);
    let mut run = |batch: &mut Vec<Candidate>| {
        if stopped.get() || batch.is_empty() {
            batch.clear();
            return;
        }
        // Each candidate costs a file read and a parse: spread a batch over
        // the cores, then emit its matches in name order.
        let per = batch.len().div_ceil(threads).max(MIN_PER_THREAD);
        let found: Vec<T> = std::thread::scope(|s| {
            let parts: Vec<_> = batch
                .chunks(per)
                .map(|part| s.spawn(|| eval(part)))
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        batch.clear();
        stopped.set(emit(found).is_break());
    };
    let mut batch = Vec::with_capacity(BATCH);
    match single {
        Some(one) => batch.push(one),
        None => {
            let listed = cal.each_object(
                |m| !stopped.get() && keep(m),
                |name, meta| {
                    batch.push((name, meta));
                    if batch.len() >= BATCH {
                        run(&mut batch);
                    }
                },
            );
            if let Err(e) = listed {
                tracing::warn!("query over {}: {e}", cal.dir().display());
            }
        }
    }
    run(&mut batch);
}
