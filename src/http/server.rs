//! Starting the HTTP server over a store; the store's start-up and the
//! background duties beside it are `crate::app`'s.

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

/// Most threads each worker runs blocking request work on at once.
const BLOCKING_THREADS_PER_WORKER: usize = 16;

/// Binds the listener and prepares the server; `.server.await` runs it.
/// `services` adds what answers the requests (`crate::router`) to the
/// app, beside the [`AppState`] every handler may take.
pub fn run(
    config: &Config,
    services: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
) -> std::io::Result<Running> {
    let instance = super::startup::claim_data_dir(&config.data)?;
    let crate::app::Opened {
        store,
        app_passwords,
        addresses,
    } = crate::app::open(config)?;
    let auth = match &config.htpasswd {
        Some(path) => Authenticator::htpasswd(
            Htpasswd::load(path.clone()).map_err(|e| super::startup::htpasswd_error(path, e))?,
            app_passwords.clone(),
            config.trusted_proxies.clone(),
        ),
        None => Authenticator::Open,
    };
    // Shares name only users the htpasswd file knows (an account made
    // later gets its share then).
    if let Some(file) = auth.users_file() {
        store.set_user_check(Arc::new(move |user| file.fingerprint(user).is_some()));
    }
    let crate::app::Background { push, watch, imip } = crate::app::start(&store, config)?;
    // Outside attendees get mail when smtp_url is set.
    let external: Box<dyn crate::schedule::implicit::External> = match imip {
        Some(imip) => Box::new(imip),
        None => Box::new(crate::schedule::implicit::NoExternal),
    };
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
        allowed_hosts: super::host_check::AllowedHosts::for_config(config),
        uploads: super::upload_budget::UploadBudget::new(config.upload_memory),
        scheduler: Arc::new(crate::schedule::implicit::Scheduler::new(
            store.clone(),
            addresses.clone(),
            external,
        )),
        addresses,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(services.clone())
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
    crate::app::spawn_periodic(&store, config.trash_days);
    Ok(Running {
        addr,
        server,
        store,
        watch,
        instance,
    })
}
