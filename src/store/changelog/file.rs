//! The change log on disk, in the cache directory: a header (`davdir-log`,
//! id, floor, earlier epochs) and one `seq<TAB>name` line per change,
//! appended and synced before the change is acknowledged, rewritten whole
//! when it grows or when its file was replaced behind the server's back.

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::super::durable::TempFile;
use super::super::index::Index;
use super::ChangeLog;

impl ChangeLog {
    /// Loads the log at `file` into `index` (each present object gets its
    /// change number) or starts a new one (new id) when it is missing or
    /// unreadable.
    pub fn open(file: Option<PathBuf>, index: &mut Index) -> ChangeLog {
        if let Some(path) = &file {
            match Self::load(path, index) {
                Ok(Some(log)) => return log,
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    "change log {} unreadable, starting anew: {e}",
                    path.display()
                ),
            }
        }
        ChangeLog::anew(file, index)
    }

    /// A new log (new id, so every earlier token is unknown) over `index`,
    /// replacing any at `file`: for when the saved index was lost (a kill
    /// before its first save), as then the old log names removals only up
    /// to the kill and a token would miss files removed since.
    pub fn anew(file: Option<PathBuf>, index: &mut Index) -> ChangeLog {
        for meta in index.objects.values_mut() {
            meta.seq = 0;
        }
        let mut log = ChangeLog::fresh(file);
        log.rewrite(index);
        log
    }

    fn load(path: &Path, index: &mut Index) -> io::Result<Option<ChangeLog>> {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mark = FileMark::of(&file.metadata()?);
        let mut lines = BufReader::new(file).lines();
        let header = lines.next().transpose()?.unwrap_or_default();
        let mut parts = header.split(' ');
        let (Some("davdir-log"), Some(id), Some(floor)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad header"));
        };
        let floor: u64 = floor
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad floor"))?;
        let mut log = ChangeLog::fresh(Some(path.to_path_buf()));
        log.id = id.to_string();
        log.seq = floor;
        log.floor = floor;
        // `id:last` per earlier epoch; a malformed one is dropped (its
        // tokens resync), never guessed.
        log.epochs = parts
            .filter_map(|p| {
                let (id, last) = p.split_once(':')?;
                Some((id.to_string(), last.parse().ok()?))
            })
            .collect();
        log.reloaded = true;
        log.written = Some(mark);
        for line in lines {
            // A torn last line after a crash is skipped; its change was
            // never acknowledged (appends are synced before replies).
            let line = line?;
            let Some((seq, name)) = line.split_once('\t') else {
                continue;
            };
            let Ok(seq) = seq.parse::<u64>() else {
                continue;
            };
            log.seq = log.seq.max(seq);
            log.lines_in_file += 1;
            if !name.is_empty() {
                log.place(name, seq, index);
            }
        }
        Ok(Some(log))
    }

    /// Files `seq` as the latest change of `name`: in its index entry when
    /// present, else among the removed names.
    fn place(&mut self, name: &str, seq: u64, index: &mut Index) {
        match index.objects.get_mut(name) {
            Some(meta) => {
                meta.seq = meta.seq.max(seq);
                self.removed.remove(name);
            }
            None => {
                let e = self.removed.entry(name.to_string()).or_insert(0);
                *e = (*e).max(seq);
            }
        }
    }

    /// Appends `lines`, synced when `sync` (else the caller's group sync
    /// does it before the change is acknowledged).
    pub(super) fn append(&mut self, lines: &str, count: usize, index: &Index, sync: bool) {
        let Some(path) = &self.file else { return };
        if lines.is_empty() {
            return;
        }
        // Synced before the change is acknowledged: a token handed out after
        // it must not be reissued for other changes after a power loss.
        let written = self.written;
        let result = OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut f| {
                let now = FileMark::of(&f.metadata()?);
                if written.is_some_and(|w| w != now) {
                    return Ok(None);
                }
                f.write_all(lines.as_bytes())?;
                if sync {
                    f.sync_data()?;
                }
                Ok(Some(FileMark::of(&f.metadata()?)))
            });
        match result {
            Ok(Some(mark)) => {
                self.lines_in_file += count;
                self.written = Some(mark);
            }
            Ok(None) => {
                // Replaced behind our back (a restored copy): lines appended
                // to it would sit on another history. This log, in memory,
                // is what was handed out; it goes to disk whole instead.
                tracing::warn!(
                    "change log {} was replaced while in use; writing it anew",
                    path.display()
                );
                self.rewrite(index);
                return;
            }
            Err(e) => {
                // The change is not durably numbered: after a crash its number
                // could be given out again. A new log id makes every earlier
                // token unknown instead (clients resync), which is always safe.
                tracing::warn!(
                    "cannot append to change log {}: {e}; starting a new log",
                    path.display()
                );
                self.restart(index);
                return;
            }
        }
        if self.lines_in_file > 2 * self.entries(index) + 1024 {
            self.rewrite(index);
        }
    }

    /// Writes the whole log anew, streamed: header with the floor, then the
    /// latest change per name, then the current number if nothing holds it.
    pub(super) fn rewrite(&mut self, index: &Index) {
        let Some(path) = &self.file else { return };
        let result = (|| -> io::Result<(usize, FileMark)> {
            let dir = path.parent().ok_or_else(|| io::Error::other("no parent"))?;
            fs::create_dir_all(dir)?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("log");
            let mut tmp = TempFile::create(dir, name)?;
            let w = tmp.writer();
            write!(w, "davdir-log {} {}", self.id, self.floor)?;
            for (id, last) in &self.epochs {
                write!(w, " {id}:{last}")?;
            }
            writeln!(w)?;
            let mut lines = 0;
            let mut top = self.floor;
            let present = index
                .objects
                .iter()
                .map(|(n, m)| (n.as_str(), m.seq))
                .filter(|(_, s)| *s > 0);
            let gone = self.removed.iter().map(|(n, s)| (n.as_str(), *s));
            for (name, seq) in present.chain(gone) {
                writeln!(w, "{seq}\t{name}")?;
                top = top.max(seq);
                lines += 1;
            }
            if top < self.seq {
                writeln!(w, "{}\t", self.seq)?;
                lines += 1;
            }
            tmp.commit()?;
            let mark = FileMark::of(&fs::metadata(path)?);
            Ok((lines, mark))
        })();
        match result {
            Ok((lines, mark)) => {
                self.lines_in_file = lines;
                self.written = Some(mark);
            }
            Err(e) => tracing::warn!("cannot write change log {}: {e}", path.display()),
        }
    }

    /// Writes the log anew if its file was replaced behind the server's back,
    /// so what is on disk is again what was handed out (before the index
    /// saved beside it claims a position the file would not know).
    pub fn repair_file(&mut self, index: &Index) {
        let Some(path) = &self.file else { return };
        let Some(written) = self.written else { return };
        let now = fs::metadata(path).ok().map(|m| FileMark::of(&m));
        if now != Some(written) {
            tracing::warn!(
                "change log {} was replaced while in use; writing it anew",
                path.display()
            );
            self.rewrite(index);
        }
    }

    /// Removes the log file, e.g. when its calendar is deleted.
    pub fn discard(self) {
        if let Some(path) = self.file {
            let _ = fs::remove_file(path);
        }
    }
}

/// What tells this log's own file from a copy put in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileMark {
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

impl FileMark {
    fn of(md: &fs::Metadata) -> FileMark {
        use std::os::unix::fs::MetadataExt;
        FileMark {
            len: md.len(),
            mtime_ns: i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec()),
            ino: md.ino(),
        }
    }
}
