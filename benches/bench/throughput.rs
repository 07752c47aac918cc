//! The throughput client of the load phases: a fixed number of HTTP/1.1
//! connections, all driven from one thread, opened before the timed window
//! and opened again whenever the server closes or resets one.
//!
//! Servers take a burst of connections differently: Radicale's built-in
//! server listens with a backlog of 5 and closes the connection after every
//! answer (HTTP/1.0). Real clients retry a refused or reset connect, so the
//! bench does too, with the same bounds for every server, and reports how
//! often it had to. A request that still fails after its tries fails the
//! phase.

use super::*;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Connect attempts for one connection, the first included.
pub(crate) const CONNECT_TRIES: u32 = 8;
/// Attempts of one request, the first included; each retry goes out on a
/// new connection.
pub(crate) const REQUEST_TRIES: u32 = 3;
/// Wait after the first failed connect, doubled per failure up to 1 s.
const BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Statuses a throughput request may answer with.
const SUCCESS: &[u16] = &[200, 201, 204];
/// Bounds one connect (the kernel's SYN retries included) and one request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// What one throughput phase did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Load {
    /// Requests answered per second of the timed window.
    pub(crate) rate: f64,
    pub(crate) done: usize,
    /// Requests sent again because their connection failed before the answer.
    pub(crate) retries: usize,
    /// Failed connects that were tried again (ramp-up and window).
    pub(crate) connect_retries: usize,
    /// Connections opened in the window because the server had closed the
    /// previous one after its answer.
    pub(crate) reopened: usize,
}

impl Load {
    /// A rate measured without the throughput client (e.g. objects/s of an export).
    pub(crate) fn plain(rate: f64, done: usize) -> Load {
        Load {
            rate,
            done,
            ..Load::default()
        }
    }

    /// "N requests" plus the retries and reconnects it took, if any.
    pub(crate) fn describe(&self) -> String {
        let mut s = format!("{} requests", self.done);
        if self.reopened > 0 {
            s.push_str(&format!(", {} reconnects", self.reopened));
        }
        if self.retries > 0 {
            s.push_str(&format!(", {} retried", self.retries));
        }
        if self.connect_retries > 0 {
            s.push_str(&format!(", {} connects retried", self.connect_retries));
        }
        s
    }
}

/// The throughput settings, the same for every server, for under a table.
pub(crate) fn load_note() -> String {
    format!(
        "\nThroughput rows open all their connections before the timed window; a failed connect \
         is tried up to {CONNECT_TRIES} times (waits from {} ms, doubling), a request whose \
         connection fails before the answer up to {REQUEST_TRIES} times on a new connection, and a \
         connection the server closes after an answer is reopened (\"reconnects\"). The same \
         for every server; a request that fails after its tries fails the row.\n",
        BACKOFF.as_millis()
    )
}

/// Counts of one phase. Relaxed is enough: only the totals are read, after
/// every task that counts has been joined.
#[derive(Default)]
struct Counters {
    done: AtomicUsize,
    retries: AtomicUsize,
    connect_retries: AtomicUsize,
    reopened: AtomicUsize,
}

/// Where requests go and how they authenticate, shared by every connection.
pub(crate) struct Target {
    /// host:port for the TCP connect.
    pub(crate) addr: String,
    pub(crate) host: HeaderValue,
    /// The URL's path, to which each request's name is appended.
    pub(crate) path: String,
    pub(crate) auth: HeaderValue,
    pub(crate) ctype: HeaderValue,
}

impl Target {
    /// A request to `uri` with this target's host and credentials, and its
    /// media type when it has a body.
    pub(crate) fn request(
        &self,
        method: &Method,
        uri: &str,
        depth: Option<&str>,
        body: Option<Bytes>,
    ) -> Res<hyper::Request<Full<Bytes>>> {
        let mut rb = hyper::Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.auth.clone());
        if body.is_some() {
            rb = rb.header(CONTENT_TYPE, self.ctype.clone());
        }
        if let Some(d) = depth {
            rb = rb.header("Depth", d);
        }
        rb.body(Full::new(body.unwrap_or_default()))
            .map_err(|e| e.to_string())
    }
}

pub(crate) type Sender = SendRequest<Full<Bytes>>;

/// `total` requests over `conns` connections; `make(conn, k)` gives request
/// k. Stops early at `cap` (timed from when all connections are open).
pub(crate) fn throughput(
    url: &str,
    total: usize,
    conns: usize,
    cap: Duration,
    make: impl Fn(usize, usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
) -> Res<Load> {
    throughput_as(url, total, conns, cap, ICS, make)
}

/// [`throughput`] with bodies of media type `ctype`.
///
/// One thread drives every connection: 64 blocking clients each ran a
/// runtime thread of their own and together took more CPU than the server
/// they measured, so the figure was the load generator's. On one URL at 4
/// connections it now keeps up with `ab -k -c 4` on the same server (one
/// write and one read per request, as ab); most of its time is the
/// kernel's loopback TCP, not hyper.
pub(crate) fn throughput_as(
    url: &str,
    total: usize,
    conns: usize,
    cap: Duration,
    ctype: &'static str,
    make: impl Fn(usize, usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
) -> Res<Load> {
    let target = Arc::new(target(url, ctype)?);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let counts = Arc::new(Counters::default());
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    rt.block_on(async {
        // Ramp-up: every connection open before the clock starts.
        let mut opening = tokio::task::JoinSet::new();
        for _ in 0..conns {
            let (target, counts) = (target.clone(), counts.clone());
            opening.spawn(async move { open(&target, &counts).await });
        }
        let mut senders = Vec::with_capacity(conns);
        while let Some(joined) = opening.join_next().await {
            senders.push(joined.map_err(|_| "connect task panicked".to_string())??);
        }
        let started = Instant::now();
        let mut clients: tokio::task::JoinSet<Res<()>> = tokio::task::JoinSet::new();
        for (t, sender) in senders.into_iter().enumerate() {
            let (target, counts, next, make) =
                (target.clone(), counts.clone(), next.clone(), make.clone());
            clients.spawn(async move {
                let mut sender = Some(sender);
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total || started.elapsed() > cap {
                        return Ok(());
                    }
                    let (method, name, body) = make(t, k);
                    let body = body.map(Bytes::from);
                    request(&target, &counts, &mut sender, method, &name, body).await?;
                }
            });
        }
        while let Some(joined) = clients.join_next().await {
            joined.map_err(|_| "client task panicked".to_string())??;
        }
        let secs = started.elapsed().as_secs_f64();
        let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        let done = get(&counts.done);
        Ok(Load {
            rate: done as f64 / secs,
            done,
            retries: get(&counts.retries),
            connect_retries: get(&counts.connect_retries),
            reopened: get(&counts.reopened),
        })
    })
}

pub(crate) fn target(url: &str, ctype: &'static str) -> Res<Target> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = u.host_str().ok_or(format!("{url}: no host"))?;
    let port = u.port_or_known_default().ok_or(format!("{url}: no port"))?;
    let addr = format!("{host}:{port}");
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{USER}:{}", password()).as_bytes());
    let header = |s: &str| HeaderValue::from_str(s).map_err(|e| e.to_string());
    Ok(Target {
        host: header(&addr)?,
        addr,
        path: u.path().to_string(),
        auth: header(&format!("Basic {credentials}"))?,
        ctype: HeaderValue::from_static(ctype),
    })
}

/// Opens one connection, retrying a failed connect with a growing wait.
async fn open(target: &Target, counts: &Counters) -> Res<Sender> {
    let mut wait = BACKOFF;
    let mut tries = 0;
    loop {
        tries += 1;
        let why = match tokio::time::timeout(CONNECT_TIMEOUT, connect(&target.addr)).await {
            Ok(Ok(sender)) => return Ok(sender),
            Ok(Err(e)) => e,
            Err(_) => format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()),
        };
        if tries >= CONNECT_TRIES {
            return Err(format!("connect to {}: {why} ({tries} tries)", target.addr));
        }
        counts.connect_retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_BACKOFF);
    }
}

pub(crate) async fn connect(addr: &str) -> Res<Sender> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    // Drives the connection; it ends when either side closes it.
    tokio::spawn(conn);
    Ok(sender)
}

/// Sends one request on `sender` (opening a connection if the server closed
/// the last one), retrying on a new connection when this one fails before
/// the answer. Leaves `sender` empty when the server will close it.
async fn request(
    target: &Target,
    counts: &Counters,
    sender: &mut Option<Sender>,
    method: &'static str,
    name: &str,
    body: Option<Bytes>,
) -> Res<()> {
    let uri = format!("{}{name}", target.path);
    let m = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut tries = 0;
    loop {
        tries += 1;
        let mut conn = match sender.take() {
            Some(s) => s,
            None => {
                if tries == 1 {
                    counts.reopened.fetch_add(1, Ordering::Relaxed);
                }
                open(target, counts).await?
            }
        };
        let req = target.request(&m, &uri, None, body.clone())?;
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, exchange(&mut conn, req)).await;
        let (status, answer, keep) = match answer {
            Ok(Ok(a)) => a,
            Ok(Err(_)) if tries < REQUEST_TRIES => {
                counts.retries.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Ok(Err(e)) => return Err(format!("{method} {uri}: {e} ({tries} tries)")),
            Err(_) => {
                return Err(format!(
                    "{method} {uri}: no answer within {} s",
                    REQUEST_TIMEOUT.as_secs()
                ))
            }
        };
        if !SUCCESS.contains(&status) {
            let body = String::from_utf8_lossy(&answer).into_owned();
            expect(&Reply { status, body }, SUCCESS, method)?;
        }
        counts.done.fetch_add(1, Ordering::Relaxed);
        if keep {
            *sender = Some(conn);
        }
        return Ok(());
    }
}

/// One request and its whole answer: status, body, and whether the server
/// keeps the connection open for the next request. The body stays bytes:
/// only a failed status needs it as text, for the error message.
pub(crate) async fn exchange(
    conn: &mut Sender,
    req: hyper::Request<Full<Bytes>>,
) -> Result<(u16, Bytes, bool), hyper::Error> {
    conn.ready().await?;
    let resp = conn.send_request(req).await?;
    let listed = |token: &str| {
        resp.headers()
            .get_all(CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let keep = if resp.version() == hyper::Version::HTTP_10 {
        listed("keep-alive")
    } else {
        !listed("close")
    };
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body, keep))
}
