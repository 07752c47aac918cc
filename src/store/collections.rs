//! Collection lifecycle: homes, calendars and address books created,
//! deleted, moved and copied, their properties read and set, and the sweep of what a crash left.
//!
//! Locking: a COPY holds the source collection's lock only while its bytes are
//! copied; moves and deletes work on directories and then `forget` the
//! calendar's cell. Durability: directories are created and renamed with
//! `durable` (fsync of the parent); a copy is built in a hidden scratch
//! directory, synced, and swapped into place (RENAME_EXCHANGE), so a calendar
//! appears whole or not at all; leftovers are swept at start before serving.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::registry::Collection;
use super::{
    collection_props, confine, durable, names, CollectionKind, CollectionProps, Members, Overwrite,
    PropChange, Result, Store, StoreError, DEFAULT_ADDRESSBOOK, DEFAULT_CALENDAR,
};

/// A hidden directory name in a home for a calendar being built or replaced.
/// Fixed length, so any valid calendar name can be a destination; such
/// directories left by a crash are removed at start (`sweep_leftovers`).
fn scratch_dir(home: &Path, kind: &str) -> PathBuf {
    home.join(format!(".davdir-{kind}.{:016x}", rand::random::<u64>()))
}

const SCRATCH_PREFIX: &str = ".davdir-";

/// Renames directory `from` to `home/to`. A directory already there is
/// swapped out atomically (RENAME_EXCHANGE) and deleted afterwards, so the
/// calendar name never points at nothing, even across a crash.
fn put_dir_in_place(home: &Path, from: &Path, to: &str, existed: bool) -> Result<()> {
    let dst = home.join(to);
    if !existed {
        return Ok(durable::rename(from, &dst)?);
    }
    durable::exchange(from, &dst)?;
    // `from` now holds the replaced calendar: hidden first (swept at start
    // if deleting it is cut short), then deleted.
    let old = scratch_dir(home, "old");
    if let Err(e) = fs::rename(from, &old).and_then(|()| fs::remove_dir_all(&old)) {
        tracing::warn!("cannot remove replaced calendar {}: {e}", from.display());
    }
    Ok(())
}

impl Store {
    /// Creates a user's home on first login, with the first calendar and
    /// address book the configuration names.
    /// On a read-only data directory this fails with `ReadOnly`; the caller
    /// may still serve reads (the missing home reads as empty).
    pub fn ensure_home(&self, user: &str) -> Result<()> {
        let home = self.home_dir(user)?;
        if fs::symlink_metadata(&home).is_ok() {
            return Ok(());
        }
        super::no_wait::check()?;
        match durable::create_dir(&home) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        tracing::info!("created home of {user}");
        let first = self.first_collections.lock().clone();
        for (kind, dir, name) in [
            (CollectionKind::Calendar, DEFAULT_CALENDAR, first.calendar),
            (
                CollectionKind::AddressBook,
                DEFAULT_ADDRESSBOOK,
                first.addressbook,
            ),
        ] {
            let Some(name) = name else { continue };
            let path = home.join(dir);
            durable::create_dir(&path)?;
            if kind == CollectionKind::AddressBook {
                durable::write_file(&path, kind.marker(), b"")?;
            }
            CollectionProps::apply(
                &path,
                &[PropChange::DisplayName(Some(name))],
                self.max_object_size(),
            )?;
        }
        Ok(())
    }

    /// Creates a calendar (MKCALENDAR / extended MKCOL) with initial properties.
    pub fn create_calendar(
        self: &Arc<Self>,
        user: &str,
        name: &str,
        props: &[PropChange],
    ) -> Result<Collection> {
        self.create_collection(CollectionKind::Calendar, user, name, props)
    }

    /// Creates an address book (extended MKCOL) with initial properties;
    /// its `.addressbook.toml` marks it even while it holds no contact.
    pub fn create_addressbook(
        self: &Arc<Self>,
        user: &str,
        name: &str,
        props: &[PropChange],
    ) -> Result<Collection> {
        self.create_collection(CollectionKind::AddressBook, user, name, props)
    }

    /// Creates a collection of `kind` with initial properties. An address
    /// book always gets its marker file; a calendar needs none.
    pub fn create_collection(
        self: &Arc<Self>,
        kind: CollectionKind,
        user: &str,
        name: &str,
        props: &[PropChange],
    ) -> Result<Collection> {
        self.refuse_derived(name)?;
        self.refuse_view(user, name)?;
        names::check_segment(name)?;
        let home = self.home_dir(user)?;
        if !home.is_dir() {
            return Err(StoreError::MissingParent);
        }
        let dir = home.join(name);
        match durable::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists)
            }
            Err(e) => return Err(e.into()),
        }
        let made =
            CollectionProps::apply_as(&dir, kind, props, self.max_object_size()).and_then(|()| {
                match kind {
                    CollectionKind::AddressBook if !dir.join(kind.marker()).exists() => {
                        durable::write_file(&dir, kind.marker(), b"")
                    }
                    _ => Ok(()),
                }
            });
        if let Err(e) = made {
            let _ = fs::remove_dir_all(&dir);
            return Err(e.into());
        }
        self.forget(user, name);
        self.collection(user, name)
    }

    /// Deletes a collection: it goes to the user's trash (`trash`), whence
    /// it can be restored until purged.
    /// A view (`shares`) is not the sharee's to delete: deleting it
    /// removes his entry from the owner's `[share]` table, for him only.
    pub fn delete_collection(&self, user: &str, name: &str) -> Result<()> {
        if self.collection_dir(user, name).is_err() {
            if let Some(view) = self.view(user, name)? {
                return self.leave_share(user, &view);
            }
        }
        self.trash(user, name).map(|_| ())
    }

    /// Renames a calendar within a user's home. Returns whether `to` existed.
    pub fn move_collection(
        &self,
        user: &str,
        from: &str,
        to: &str,
        overwrite: Overwrite,
    ) -> Result<bool> {
        self.refuse_derived(from)?;
        self.refuse_derived(to)?;
        self.refuse_view(user, from)?;
        self.refuse_view(user, to)?;
        names::check_segment(from)?;
        names::check_segment(to)?;
        let src = self.collection_dir(user, from)?;
        let home = self.home_dir(user)?;
        let dst = home.join(to);
        let existed = fs::symlink_metadata(&dst).is_ok();
        if existed && overwrite == Overwrite::Refuse {
            return Err(StoreError::PreconditionFailed);
        }
        self.same_kind_or_absent(&src, &dst)?;
        put_dir_in_place(&home, &src, to, existed)?;
        self.forget(user, from);
        self.forget(user, to);
        Ok(existed)
    }

    /// Copies a calendar (COPY, RFC 4918 §9.8): its property files and, with
    /// `Members::Included`, its objects (Depth 0 copies properties only). The copy is
    /// built in a hidden directory and renamed into place, so it appears
    /// whole or not at all. Returns whether the destination existed.
    pub fn copy_collection(
        self: &Arc<Self>,
        user: &str,
        from: &str,
        to: &str,
        overwrite: Overwrite,
        members: Members,
    ) -> Result<bool> {
        self.refuse_derived(from)?;
        self.refuse_derived(to)?;
        self.refuse_view(user, to)?;
        names::check_segment(from)?;
        names::check_segment(to)?;
        let source = self.collection(user, from)?;
        let home = self.home_dir(user)?;
        let dst = home.join(to);
        let existed = dst.exists();
        if existed && overwrite == Overwrite::Refuse {
            return Err(StoreError::PreconditionFailed);
        }
        self.same_kind_or_absent(&source.dir, &dst)?;
        let staging = scratch_dir(&home, "copy");
        let copied = (|| -> Result<()> {
            fs::create_dir(&staging)?;
            let mut files = Vec::new();
            {
                // Writes through the server wait while the bytes are copied,
                // so the copy is one state; fsyncs come after the lock.
                let _state = source.locked()?;
                for entry in fs::read_dir(&source.dir)? {
                    let entry = entry?;
                    let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                        continue;
                    };
                    let wanted = if source.kind.is_object_name(&name) {
                        members == Members::Included
                    } else {
                        collection_props::is_property_file(&name)
                    };
                    // Following symlinks within the home only, as the index does.
                    if !wanted {
                        continue;
                    }
                    if let confine::Entry::File { path, .. } =
                        confine::object_entry(&source.dir, &name)?
                    {
                        let target = staging.join(&name);
                        io::copy(
                            &mut confine::open_resolved(&path)?,
                            &mut fs::File::create_new(&target)?,
                        )?;
                        files.push(target);
                    }
                }
            }
            for file in files {
                fs::File::open(file)?.sync_all()?;
            }
            durable::sync_dir(&staging)?;
            // Overwrite: F was checked before copying; a calendar made
            // meanwhile must not be replaced.
            if dst.exists() != existed {
                return Err(StoreError::PreconditionFailed);
            }
            put_dir_in_place(&home, &staging, to, existed)
        })();
        if copied.is_err() && staging.exists() {
            let _ = fs::remove_dir_all(&staging);
        }
        copied?;
        self.forget(user, to);
        Ok(existed)
    }

    /// A collection replaced by a MOVE or COPY must be of the source's kind:
    /// a calendar never silently overwrites an address book, nor the reverse.
    fn same_kind_or_absent(&self, src: &Path, dst: &Path) -> Result<()> {
        if !dst.is_dir() {
            return Ok(());
        }
        let (found, expected) = (CollectionKind::of_dir(src)?, CollectionKind::of_dir(dst)?);
        if found == expected {
            Ok(())
        } else {
            Err(StoreError::WrongKind { expected, found })
        }
    }

    /// What a crash can leave behind, for `check` and the start-up sweep:
    /// scratch directories in homes (unfinished copies, replaced calendars)
    /// and temp files of interrupted writes in calendars and the cache.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let hidden =
            |dir: &Path, out: &mut Vec<PathBuf>, want: &dyn Fn(&str, &fs::FileType) -> bool| {
                for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if entry.file_type().is_ok_and(|t| want(&name, &t)) {
                        out.push(entry.path());
                    }
                }
            };
        let temp = |name: &str, t: &fs::FileType| t.is_file() && names::is_temp_name(name);
        for user in self.user_names().unwrap_or_default() {
            let Ok(home) = self.home_dir(&user) else {
                continue;
            };
            hidden(&home, &mut out, &|name, t| {
                name.starts_with(SCRATCH_PREFIX)
                    && !name.starts_with(names::TEMP_PREFIX)
                    && t.is_dir()
            });
            // By directory, not by kind: finding kinds would load every
            // collection's cache before the sweep runs.
            let cols = super::registry::subdirectories(&home, confine::collection_dir_ok);
            for cal in cols.unwrap_or_default() {
                if let Ok(dir) = self.collection_dir(&user, &cal) {
                    hidden(&dir, &mut out, &temp);
                }
            }
            if let Some(cache) = &self.cache {
                hidden(&cache.join(&user), &mut out, &temp);
            }
        }
        out
    }

    /// Removes what a crash left behind (`leftovers`). Called at start
    /// before the server accepts requests: run beside them, it could remove
    /// the temp file of a write in progress.
    pub fn sweep_leftovers(&self) {
        for path in self.leftovers() {
            tracing::info!("removing leftover {}", path.display());
            let removed = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            if let Err(e) = removed {
                tracing::warn!("cannot remove {}: {e}", path.display());
            }
        }
    }

    /// Collection directories that are links leaving their home (`confine`):
    /// never served, reported by `check`.
    pub fn refused_links(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for user in self.user_names().unwrap_or_default() {
            let Ok(home) = self.home_dir(&user) else {
                continue;
            };
            for entry in fs::read_dir(&home).into_iter().flatten().flatten() {
                let path = entry.path();
                let visible = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| names::check_segment(n).is_ok());
                if visible && confine::is_refused_link(&home, &path) {
                    out.push(path);
                }
            }
        }
        let root = &self.root;
        for entry in fs::read_dir(root).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                out.push(entry.path());
            }
        }
        out
    }
}

impl Collection {
    /// The calendar's properties; what a hand edit broke (a dead property
    /// beyond the XML bounds, an over-size `color`...) is left out and
    /// logged once per version of the property files.
    pub fn props(&self) -> Result<CollectionProps> {
        if self.derived {
            return Ok(self.derived_props());
        }
        let mut props =
            CollectionProps::read_as(&self.dir, self.kind, self.store.max_object_size())?;
        if let Some(view) = &self.view {
            // A sharee's list tells his own "Family" from the one shared with him.
            let name = props.displayname.as_deref().unwrap_or(&view.collection);
            props.displayname = Some(format!("{name} ({})", view.owner));
            // His own name, colour and order, where he set them.
            let own = self.store.view_settings(&self.user, &self.name);
            own.overlay(&mut props);
        }
        if !props.problems().is_empty() {
            let mut logged = self.cell.props_logged.lock();
            if logged.as_slice() != props.version() {
                *logged = props.version().to_vec();
                for (file, reason) in props.problems() {
                    tracing::warn!("{}: {reason}", self.dir.join(file).display());
                }
            }
        }
        Ok(props)
    }

    /// Applies property changes and moves the sync token.
    pub fn set_props(&self, changes: &[PropChange]) -> Result<()> {
        if self.view.is_some() {
            // The owner's settings are his; the sharee's own go to his home.
            return self
                .store
                .set_view_settings(&self.user, &self.name, changes);
        }
        self.refuse_if_derived()?;
        let mut state = self.locked()?;
        CollectionProps::apply_as(&self.dir, self.kind, changes, self.store.max_object_size())?;
        state.bump();
        Ok(())
    }
}
