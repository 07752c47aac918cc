//! Starting the HTTP server over a store, and the background duties that
//! run beside it (saving indexes to the cache).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpServer};

use crate::config::Config;
use crate::store::Store;

use super::auth::{Authenticator, Htpasswd};
use super::request::AppState;

/// A bound server: its address and the future that runs it.
pub struct Running {
    pub addr: SocketAddr,
    pub server: actix_web::dev::Server,
    pub store: Arc<Store>,
    /// Keeps the file watcher alive while the server runs.
    pub watch: Option<crate::store::watcher::WatchHandle>,
    /// This server's claim on the data directory, held while it runs.
    pub instance: crate::store::instance::InstanceLock,
}

/// Time to receive a request's headers, and to keep an idle connection.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds the listener and prepares the server; `.server.await` runs it.
/// Most threads each worker runs blocking request work on at once.
const BLOCKING_THREADS_PER_WORKER: usize = 16;

pub fn run(config: &Config) -> std::io::Result<Running> {
    let instance = super::startup::claim_data_dir(&config.data)?;
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
    let app_passwords = Arc::new(crate::accounts::AppPasswords::open(state_dir));
    let auth = match &config.htpasswd {
        Some(path) => Authenticator::htpasswd(
            Htpasswd::load(path.clone()).map_err(|e| super::startup::htpasswd_error(path, e))?,
            app_passwords.clone(),
            config.trusted_proxies.clone(),
        ),
        None => Authenticator::Open,
    };
    if let Some(file) = auth.users_file() {
        store.set_user_check(Arc::new(move |user| file.fingerprint(user).is_some()));
    }
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
        Some(settings) => Some(crate::push::Push::start(
            &store,
            &config.state,
            settings.clone(),
        )?),
        None => None,
    };
    // Watch first, so nothing edited during the startup scan is missed.
    let watch =
        crate::store::watcher::start_or_fall_back(&store, config.watch, config.poll_interval);
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
    let state = web::Data::new(AppState {
        store: store.clone(),
        auth,
        app_passwords,
        max_resource_size: config.max_resource_size,
        hook: config
            .hook
            .clone()
            .map(|cmd| super::hook::Hook::start(cmd, store.root().to_path_buf())),
        request_timeout: config.request_timeout,
        principal_search: config.principal_search,
        base: crate::dav::href::Base::new(config.base_path.clone()),
        push,
        web: crate::web::WebState::new(config),
        allowed_hosts: super::host_check::AllowedHosts::for_config(config),
        uploads: super::upload_budget::UploadBudget::new(config.upload_memory),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .default_service(web::to(super::dispatch))
    })
    .workers(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2),
    )
    // Requests run their file I/O on the worker's blocking pool (one thread
    // per request in flight); actix's default of 512 / cores threads lets a
    // burst of connections grow a thread, with its stack and malloc cache,
    // per connection. 16 per worker keeps group commit fed (it batches the
    // writers in flight) and memory flat; more requests wait their turn.
    .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
    .shutdown_timeout(5)
    // Slow clients: headers must arrive within 5 s (or the body timeout if
    // shorter) and an idle kept-alive connection closes after 5 s; the body
    // is bounded by `request_timeout` where it is read (`read_body`).
    .client_request_timeout(config.request_timeout.min(HEADER_TIMEOUT))
    .keep_alive(HEADER_TIMEOUT)
    // Multistatus bodies go out in chunks; without this, Nagle and delayed
    // ACKs add ~40 ms to every large response on a kept-alive connection.
    .tcp_nodelay(true);
    let server = match &config.tls {
        Some(files) => server.bind_rustls_0_23(config.listen, super::tls::server_config(files)?),
        None => server.bind(config.listen),
    }
    .map_err(|e| super::startup::listen_error(config.listen, e))?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| std::io::Error::other("no address bound"))?;
    let server = server.run();
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
    let trash_days = config.trash_days;
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
    Ok(Running {
        addr,
        server,
        store,
        watch,
        instance,
    })
}
