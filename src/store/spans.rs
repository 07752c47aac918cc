//! A compact, name-ordered copy of every object's time span, so that a
//! time-range query tests 6 bytes per object in a contiguous array instead of
//! walking the index's ~100-byte entries (and boxed periodic summaries) to
//! find the few that can overlap its window.
//!
//! The copy is cut into chunks of consecutive names, each keyed by a lower
//! bound of its names, so keeping it in step with one PUT or DELETE costs a
//! walk of one chunk, not of the whole index. It only ever widens spans: the
//! full decision is still taken on the index entry of every object it offers.

use std::collections::BTreeMap;
use std::ops::Bound::{self, Excluded, Included, Unbounded};

use crate::query::Span;

use super::entry::ObjectMeta;
use super::objects::settle;
use super::registry::Collection;
use super::Result;

/// Objects per chunk after a rebuild or a split; a chunk splits at twice this.
/// Small enough that an update's walk is short, large enough that the chunk
/// keys (one name each) cost well under a byte per object.
const CHUNK: usize = 64;

/// An object's span rounded outward to whole hours: `[lo, lo + hours]` hours
/// since the epoch contains the span. `hours == u16::MAX` (with `lo ==
/// i32::MIN`) means unbounded or unknown, which every window may overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
struct Coarse {
    lo: i32,
    hours: u16,
}

const HOUR: i64 = 3600;

impl Coarse {
    const ANY: Coarse = Coarse {
        lo: i32::MIN,
        hours: u16::MAX,
    };

    fn of(span: Span) -> Coarse {
        let Span::Bounded(lo, hi) = span else {
            return Coarse::ANY;
        };
        let lo_h = lo.div_euclid(HOUR);
        let hi_h = hi.div_euclid(HOUR) + i64::from(hi.rem_euclid(HOUR) != 0);
        match (i32::try_from(lo_h), u16::try_from(hi_h - lo_h)) {
            (Ok(lo), Ok(hours)) if lo != i32::MIN && hours != u16::MAX => Coarse { lo, hours },
            _ => Coarse::ANY,
        }
    }

    /// Whether the span may overlap `[start, end)` (never false when
    /// [`Span::overlaps`] is true).
    fn may_overlap(self, start: i64, end: i64) -> bool {
        if self == Coarse::ANY {
            return true;
        }
        let lo = i64::from(self.lo) * HOUR;
        let hi = (i64::from(self.lo) + i64::from(self.hours)) * HOUR;
        start < hi && end > lo
    }
}

/// The coarse spans of one collection's objects, in name order.
#[derive(Debug, Default)]
pub struct Spans {
    /// Chunk key (a name no greater than any name of the chunk; "" for the
    /// first) to the coarse spans of the objects named from it up to the
    /// next key, in name order.
    chunks: BTreeMap<String, Vec<Coarse>>,
}

type Objects = BTreeMap<String, ObjectMeta>;

/// The names from `key` up to (excluding) the chunk key after it.
fn chunk_range<'a>(
    objects: &'a Objects,
    key: &str,
    next: Option<&str>,
) -> std::collections::btree_map::Range<'a, String, ObjectMeta> {
    let upper = next.map_or(Unbounded, Excluded);
    objects.range::<str, (Bound<&str>, Bound<&str>)>((Included(key), upper))
}

impl Spans {
    /// Builds the copy anew from all of `objects`.
    pub fn rebuild(&mut self, objects: &Objects) {
        self.chunks.clear();
        let mut key = String::new();
        let mut chunk = Vec::with_capacity(CHUNK);
        for (name, meta) in objects {
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                self.chunks
                    .insert(std::mem::replace(&mut key, name.clone()), full);
            }
            chunk.push(Coarse::of(meta.info.span()));
        }
        if !chunk.is_empty() {
            self.chunks.insert(key, chunk);
        }
    }

    /// The key of the chunk that holds (or would hold) `name`.
    fn key_of(&self, name: &str) -> Option<&String> {
        self.chunks
            .range::<str, _>((Unbounded, Included(name)))
            .next_back()
            .map(|(k, _)| k)
    }

    /// The position of `name` within its chunk: how many objects lie between
    /// the chunk key and it.
    fn position(objects: &Objects, key: &str, name: &str) -> usize {
        objects
            .range::<str, (Bound<&str>, Bound<&str>)>((Included(key), Excluded(name)))
            .count()
    }

    /// Records `name` (already in `objects`) with `meta`; `replaced` when it
    /// was in `objects` before.
    pub fn placed(&mut self, objects: &Objects, name: &str, meta: &ObjectMeta, replaced: bool) {
        let coarse = Coarse::of(meta.info.span());
        let key = self.key_of(name).cloned().unwrap_or_default();
        let pos = Self::position(objects, &key, name);
        let chunk = self.chunks.entry(key.clone()).or_default();
        match chunk.get_mut(pos) {
            Some(c) if replaced => *c = coarse,
            _ => chunk.insert(pos.min(chunk.len()), coarse),
        }
        if chunk.len() >= 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            let first = objects
                .range::<str, _>((Included(key.as_str()), Unbounded))
                .nth(CHUNK)
                .map(|(n, _)| n.clone());
            match first {
                Some(first) => {
                    self.chunks.insert(first, tail);
                }
                // Out of step with `objects` (never expected): start over.
                None => self.rebuild(objects),
            }
        }
    }

    /// Forgets `name`, which has just left `objects`.
    pub fn removed(&mut self, objects: &Objects, name: &str) {
        let Some(key) = self.key_of(name).cloned() else {
            return;
        };
        let pos = Self::position(objects, &key, name);
        let Some(chunk) = self.chunks.get_mut(&key) else {
            return;
        };
        if pos < chunk.len() {
            chunk.remove(pos);
        }
        // An empty chunk goes; the one before it now covers its names. The
        // first chunk keeps its key "" so that every name has a chunk.
        if chunk.is_empty() && !key.is_empty() {
            self.chunks.remove(&key);
        }
    }

    /// Visits, in name order from `from` on, the objects whose span may
    /// overlap `[start, end)`, a whole chunk at a time, until `visit` says
    /// enough or `budget` objects were looked at. Returns the name to resume
    /// from, or `None` at the end.
    pub fn walk(
        &self,
        objects: &Objects,
        from: &str,
        (start, end): (i64, i64),
        budget: usize,
        mut visit: impl FnMut(&String, &ObjectMeta) -> bool,
    ) -> Option<String> {
        let first = self.key_of(from).map_or("", String::as_str);
        let mut keys = self
            .chunks
            .range::<str, _>((Included(first), Unbounded))
            .peekable();
        let mut looked = 0;
        while let Some((key, chunk)) = keys.next() {
            let next = keys.peek().map(|(k, _)| k.as_str());
            let mut more = true;
            for (i, (name, meta)) in chunk_range(objects, key, next).enumerate() {
                looked += 1;
                // A name missing from the chunk (never expected) is offered.
                let may = chunk.get(i).is_none_or(|c| c.may_overlap(start, end));
                if may && name.as_str() >= from {
                    more &= visit(name, meta);
                }
            }
            if !more || looked >= budget {
                return next.map(str::to_string);
            }
        }
        None
    }

    /// Whether the copy matches `objects` exactly (for tests).
    #[cfg(test)]
    fn matches(&self, objects: &Objects) -> bool {
        let keys: Vec<&String> = self.chunks.keys().collect();
        let mut seen = 0;
        for (i, (key, chunk)) in self.chunks.iter().enumerate() {
            let next = keys.get(i + 1).map(|k| k.as_str());
            let want: Vec<Coarse> = chunk_range(objects, key, next)
                .map(|(_, m)| Coarse::of(m.info.span()))
                .collect();
            if &want != chunk || (i == 0 && !key.is_empty()) {
                return false;
            }
            seen += want.len();
        }
        seen == objects.len()
    }
}

impl Collection {
    /// Like `each_object`, but only objects whose indexed span may overlap
    /// the `window` `[start, end)` are offered to `keep`: a week at 100k
    /// objects tests a compact copy of the spans instead of every entry.
    pub fn each_object_in(
        &self,
        window: Option<(i64, i64)>,
        keep: impl Fn(&ObjectMeta) -> bool,
        mut f: impl FnMut(String, ObjectMeta),
    ) -> Result<()> {
        let Some(window) = window else {
            return self.each_object(keep, f);
        };
        const PAGE: usize = 512;
        let mut from = String::new();
        loop {
            let (page, next, pending) = {
                let state = self.locked()?;
                let mut page = Vec::new();
                let index = &state.index;
                let next = index
                    .spans
                    .walk(&index.objects, &from, window, PAGE * 8, |n, m| {
                        if keep(m) {
                            page.push((n.clone(), m.clone()));
                        }
                        page.len() < PAGE
                    });
                (page, next, state.log.pending())
            };
            settle(pending)?;
            for (name, meta) in page {
                f(name, meta);
            }
            match next {
                Some(n) => from = n,
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::entry::{FileStamp, IndexedInfo};
    use super::super::etag::Etag;
    use super::super::index::Index;
    use super::*;

    fn meta(span: Span) -> ObjectMeta {
        ObjectMeta {
            etag: Etag::of_bytes(b"x"),
            stamp: FileStamp {
                size: 0,
                mtime_ns: 0,
                ino: 0,
            },
            info: IndexedInfo::Calendar {
                uid_hash: 0,
                component: crate::ical::ComponentKind::Event,
                span,
                exact: None,
            },
            seq: 0,
        }
    }

    /// A small deterministic generator (xorshift), so failures repeat.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn span_of(r: &mut Rng) -> Span {
        match r.below(10) {
            0 => Span::Unbounded,
            1 => Span::Unknown,
            _ => {
                let lo = 1_700_000_000 + r.below(400 * 86_400) as i64 - 200 * 86_400;
                Span::Bounded(lo, lo + 1 + r.below(5 * 86_400) as i64)
            }
        }
    }

    #[test]
    fn coarse_spans_only_widen() {
        let mut r = Rng(7);
        for _ in 0..20_000 {
            let span = span_of(&mut r);
            let c = Coarse::of(span);
            let start = 1_700_000_000 + r.below(400 * 86_400) as i64 - 200 * 86_400;
            let end = start + r.below(3 * 86_400) as i64;
            if span.overlaps(start, end) {
                assert!(c.may_overlap(start, end), "{span:?} {start} {end}");
            }
        }
        for far in [
            Span::Bounded(i64::MIN / 4, 0),
            Span::Bounded(0, i64::MAX / 4),
            Span::Bounded(-5, 5),
        ] {
            assert!(Coarse::of(far).may_overlap(-1, 1));
        }
        assert_eq!(std::mem::size_of::<Coarse>(), 6);
        // Not everything is a candidate: a span a day away is not.
        let c = Coarse::of(Span::Bounded(86_400, 90_000));
        assert!(!c.may_overlap(0, 3_600));
        assert!(c.may_overlap(86_000, 86_401));
    }

    /// Random puts, replacements, removals and batches keep the copy exactly
    /// in step with the index, and a windowed walk (paged at random points)
    /// offers every object whose span overlaps, in name order.
    #[test]
    fn stays_in_step_and_walks_every_overlap() {
        let mut r = Rng(42);
        let mut idx = Index::default();
        for round in 0..3000 {
            let name = format!("n{:04}.ics", r.below(1500));
            match r.below(10) {
                0..=5 => {
                    idx.put_object(name, meta(span_of(&mut r)));
                }
                6..=8 => {
                    idx.take_object(&name);
                }
                _ => {
                    let mut batch: Vec<_> = (0..r.below(40))
                        .map(|_| {
                            let n = format!("n{:04}.ics", r.below(1500));
                            (n, meta(span_of(&mut r)))
                        })
                        .collect();
                    idx.add_objects(&mut batch);
                }
            }
            assert!(idx.spans.matches(&idx.objects), "round {round}");
            if round % 100 == 0 {
                let start = 1_700_000_000 + r.below(400 * 86_400) as i64 - 200 * 86_400;
                let window = (start, start + 7 * 86_400);
                let want: Vec<&String> = idx
                    .objects
                    .iter()
                    .filter(|(_, m)| m.info.span().overlaps(window.0, window.1))
                    .map(|(n, _)| n)
                    .collect();
                let mut got = Vec::new();
                let mut offered = 0;
                let mut from = String::new();
                loop {
                    let page = r.below(50) as usize + 1;
                    let mut n = 0;
                    let next = idx.spans.walk(&idx.objects, &from, window, 200, |name, m| {
                        offered += 1;
                        if m.info.span().overlaps(window.0, window.1) {
                            got.push(name.clone());
                        }
                        n += 1;
                        n < page
                    });
                    match next {
                        Some(k) => from = k,
                        None => break,
                    }
                }
                let got: Vec<&String> = got.iter().collect();
                assert_eq!(got, want, "round {round}");
                assert!(offered < idx.objects.len() || idx.objects.len() < 100);
            }
        }
        assert!(idx.spans.chunks.len() > 3);
    }
}
