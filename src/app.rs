//! The server's start-up and background duties outside HTTP: opening the
//! store and the state directory, then the sweep, the trash purge, push,
//! the mail queue, the file watcher, the startup scan, and the periodic flush and purge.
//! They live here, not in `http`, because they are about the files and the
//! state, which the HTTP layer only serves; `http::run` calls them in the
//! order they need around building the server.

use std::sync::Arc;
use std::time::Duration;

use crate::accounts::AppPasswords;
use crate::config::Config;
use crate::push::Push;
use crate::store::watcher::WatchHandle;
use crate::store::Store;

/// The configured store and the app passwords of the state directory.
pub struct Opened {
    pub store: Arc<Store>,
    pub app_passwords: Arc<AppPasswords>,
    /// The users' calendar-user addresses (RFC 6638).
    pub addresses: Arc<crate::schedule::Addresses>,
}

/// Opens the store with the configured rules and the state directory.
pub fn open(config: &Config) -> std::io::Result<Opened> {
    crate::accounts::users::set_min_password_length(config.min_password_length);
    let store = Store::open(&config.data, config.cache.as_deref())?;
    store.set_first_collections(config.first_collections.clone());
    store.set_max_object_size(config.max_resource_size);
    store.set_birthday_calendar(config.birthday_calendar);
    store.set_groups_file(config.groups.clone());
    let state_dir = crate::state_dir::StateDir::open(&config.state).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot open the state directory {}: {e}",
                config.state.display()
            ),
        )
    })?;
    let addresses = Arc::new(crate::schedule::Addresses::open(
        Some(state_dir.clone()),
        config.email_domain.clone(),
    ));
    let app_passwords = Arc::new(AppPasswords::open(state_dir));
    Ok(Opened {
        store,
        app_passwords,
        addresses,
    })
}

/// What runs beside the server from its start.
pub struct Background {
    pub push: Option<Arc<Push>>,
    /// Keeps the file watcher alive while the server runs.
    pub watch: Option<WatchHandle>,
    /// Mail to outside attendees; None when `smtp_url` is unset.
    pub imip: Option<Arc<crate::imip::Imip>>,
}

/// Cleans up after a crash and past-due trash, then starts push, the file
/// watcher and the startup scan (on a thread of its own).
pub fn start(store: &Arc<Store>, config: &Config) -> std::io::Result<Background> {
    // Crash leftovers go before any request can start a write of its own.
    store.sweep_leftovers();
    store.purge_expired(chrono::Utc::now(), config.trash_days);
    // A pre-rename cache in the default place is derived state nobody reads.
    if config.cache.is_none() {
        match crate::store::legacy_cache::remove(store.root()) {
            Ok(true) => tracing::info!(
                "removed the old cache {}",
                crate::store::legacy_cache::LEGACY_CACHE_DIR
            ),
            Ok(false) => {}
            Err(e) => tracing::warn!(
                "cannot remove the old cache {}: {e}",
                crate::store::legacy_cache::LEGACY_CACHE_DIR
            ),
        }
    }
    // Before the startup scan, so the changes it finds are pushed too.
    let push = match &config.push {
        Some(settings) => Some(Push::start(store, &config.state, settings.clone())?),
        None => None,
    };
    // Mail left queued by an earlier run goes out again from the start.
    let imip = match &config.imip {
        Some(settings) => Some(crate::imip::Imip::start(
            settings.clone(),
            &config.state,
            config.imip_queue,
        )?),
        None => None,
    };
    // Watch first, so nothing edited during the startup scan is missed.
    let watch =
        crate::store::watcher::start_or_fall_back(store, config.watch, config.poll_interval);
    let reconciling = store.clone();
    std::thread::Builder::new()
        .name("davdir-reconcile".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let result = reconciling.reconcile_all();
            crate::memory::trim();
            match result {
                Ok(n) => tracing::info!("indexed {n} objects in {:?}", started.elapsed()),
                Err(e) => tracing::warn!("startup scan failed: {e}"),
            }
        })?;
    Ok(Background { push, watch, imip })
}

/// The periodic duties, on the running server's runtime: saving indexes to
/// the cache every 5 s, and purging expired trash daily.
pub fn spawn_periodic(store: &Arc<Store>, trash_days: u32) {
    let flusher = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let s = flusher.clone();
            let _ = tokio::task::spawn_blocking(move || s.flush()).await;
        }
    });
    let purger = store.clone();
    tokio::spawn(async move {
        // Trash past its days goes daily; the first tick (at once) was the start-up purge.
        let mut tick = tokio::time::interval(Duration::from_secs(24 * 3600));
        tick.tick().await;
        loop {
            tick.tick().await;
            let s = purger.clone();
            let _ = tokio::task::spawn_blocking(move || {
                s.purge_expired(chrono::Utc::now(), trash_days)
            })
            .await;
        }
    });
}
