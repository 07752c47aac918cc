//! WebDAV-Push over real HTTP: discovery properties, registration and its
//! URL, validation and the refusal of private targets, registrations kept
//! across a restart and expiring on time, and delivery to a receiver in the
//! test that decrypts each message and checks its VAPID signature.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime};

use crate::common::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use web_push_native::jwt_simple::prelude::*;
use web_push_native::p256;

const PUSH: &str = "https://bitfire.at/webdav-push";

/// A subscription's key pair and auth secret, as a phone would make them.
struct Subscriber {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Subscriber {
    fn new() -> Subscriber {
        Subscriber {
            secret: p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).unwrap(),
            auth: rand::random(),
        }
    }

    fn register_body(&self, resource: &str, extra: &str) -> String {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().as_affine().to_encoded_point(false);
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><push-register xmlns=\"{PUSH}\"><subscription><web-push-subscription><push-resource>{resource}</push-resource><subscription-public-key type=\"p256dh\">{}</subscription-public-key><auth-secret>{}</auth-secret></web-push-subscription></subscription>{extra}</push-register>",
            URL_SAFE_NO_PAD.encode(public.as_bytes()),
            URL_SAFE_NO_PAD.encode(self.auth)
        )
    }
}

fn post(server: &Server, path: &str, body: String) -> Resp {
    server
        .request("POST", path)
        .header("Content-Type", "application/xml")
        .body(body)
        .fetch()
}

/// The path part of an absolute registration URL.
fn path_of(location: &str) -> String {
    let rest = location.split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_string()
}

fn in_days(days: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(days * 86400))
}

#[test]
fn discovery_properties_and_dav_header() {
    let mut server = Server::sample();
    let dav = server
        .request("OPTIONS", "/")
        .fetch()
        .header("dav")
        .unwrap();
    assert!(dav.contains("webdav-push"), "{dav}");
    let props = [
        (PUSH, "transports"),
        (PUSH, "topic"),
        (PUSH, "supported-triggers"),
    ];
    let ms = server.props("/demo/work/", &props);
    let r = &ms.responses[0];
    let key = r
        .ok(PUSH, "transports")
        .child(PUSH, "web-push")
        .and_then(|w| w.child(PUSH, "vapid-public-key"))
        .expect("web-push with vapid-public-key")
        .clone();
    assert_eq!(key.attr("type"), Some("p256ecdsa"));
    assert_eq!(URL_SAFE_NO_PAD.decode(key.text.trim()).unwrap().len(), 65);
    let topic = r.ok(PUSH, "topic").text.clone();
    assert!(topic.len() >= 16 && !topic.contains("work") && !topic.contains("demo"));
    let depth = r
        .ok(PUSH, "supported-triggers")
        .child(PUSH, "content-update")
        .and_then(|c| c.child(DAV, "depth"))
        .expect("content-update depth");
    assert_eq!(depth.text.trim(), "1");
    let other = server.props("/demo/personal/", &props);
    assert_ne!(other.responses[0].ok(PUSH, "topic").text, topic);
    server.restart();
    let again = server.props("/demo/work/", &props);
    assert_eq!(again.responses[0].ok(PUSH, "topic").text, topic);
    let key_again = again.responses[0].ok(PUSH, "transports").to_owned();
    assert!(format!("{key_again:?}").contains(key.text.trim()));
}

#[test]
fn register_update_delete_and_privacy() {
    let server = Server::start(Options {
        config: Some("push_allowed_hosts = [\"push.example.net\"]\n".into()),
        ..Options::default()
    });
    // A name the test cannot resolve would be refused; the allowed host list
    // is checked first, so an unlisted host is refused without a lookup.
    let sub = Subscriber::new();
    post(
        &server,
        "/demo/work/",
        sub.register_body("https://other.example.net/x", ""),
    )
    .expect(403)
    .expect_condition(PUSH, "invalid-subscription");
    drop(server);

    let server = Server::start(Options {
        config: Some("push_allow_private_targets = true\n".into()),
        ..Options::default()
    });
    let body = sub.register_body(
        "http://127.0.0.1:9/push/1",
        &format!("<expires>{}</expires>", in_days(3)),
    );
    let created = post(&server, "/demo/work/", body.clone());
    created.expect(201);
    let location = created.header("location").unwrap();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let expires = httpdate::parse_http_date(&created.header("expires").unwrap()).unwrap();
    let days = expires
        .duration_since(SystemTime::now())
        .unwrap()
        .as_secs_f64()
        / 86400.0;
    assert!((2.9..=3.01).contains(&days), "{days}");
    let updated = post(&server, "/demo/work/", body);
    updated.expect(204);
    assert_eq!(updated.header("location").unwrap(), location);
    let reg = path_of(&location);
    // Not an object or collection: no other method, and invisible to others.
    server.get(&reg).expect(405);
    server.propfind(&reg, "0", None).expect(405);
    let alice = server
        .request_as(Some(("alice", "alice")), "DELETE", &reg)
        .fetch();
    assert!(
        alice.status == 403 || alice.status == 404,
        "{}",
        alice.status
    );
    assert!(!server.members("/demo/").iter().any(|h| h.contains(".push")));
    server.delete(&reg).expect(204);
    server.delete(&reg).expect(404);
    server.get(&reg).expect(404);
}

/// Runs `davdir user ARGS` on this server's files; its stdout.
fn user_command(server: &Server, args: &[&str], password: &str) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .arg("user")
        .args(args)
        .arg("--data")
        .arg(&server.data)
        .arg("--htpasswd")
        .arg(server.htpasswd_path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(password.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `davdir user remove`, run while the server runs, removes the user's
/// registrations: a user made again under the name does not get them, and
/// the server does not write them back at its next save.
#[test]
fn a_removed_users_registrations_go_with_her() {
    let server = Server::start(Options {
        config: Some("push_allow_private_targets = true\n".into()),
        ..Options::default()
    });
    server
        .request_as(Some(("alice", "alice")), "MKCALENDAR", "/alice/tasks/")
        .fetch()
        .expect(201);
    let sub = Subscriber::new();
    let register = |user: &str, password: &str, path: &str, resource: &str| {
        server
            .request_as(Some((user, password)), "POST", path)
            .header("Content-Type", "application/xml")
            .body(sub.register_body(resource, ""))
            .fetch()
    };
    let alices = register(
        "alice",
        "alice",
        "/alice/tasks/",
        "http://127.0.0.1:9/alice",
    );
    alices.expect(201);
    let reg = path_of(&alices.header("location").unwrap());
    let removed = user_command(&server, &["remove", "alice"], "");
    assert!(removed.contains("1 push registration"), "{removed}");
    user_command(&server, &["add", "alice"], "pw-new-alice\n");
    // The server saves its registrations after the removal.
    register("demo", "demo", "/demo/work/", "http://127.0.0.1:9/demo").expect(201);
    let saved = std::fs::read_to_string(
        server
            .data
            .with_extension("state")
            .join("push-registrations.toml"),
    )
    .unwrap();
    assert!(
        !saved.contains("127.0.0.1:9/alice") && saved.contains("127.0.0.1:9/demo"),
        "{saved}"
    );
    server
        .request_as(Some(("alice", "pw-new-alice")), "DELETE", &reg)
        .fetch()
        .expect(404);
}

#[test]
fn invalid_registrations_are_refused() {
    let server = Server::sample();
    let sub = Subscriber::new();
    // The default config refuses loopback, private and link-local targets.
    for target in [
        "https://127.0.0.1/x",
        "https://10.0.0.7/x",
        "https://169.254.169.254/x",
        "https://[::1]/x",
        "http://push.example.net/x",
    ] {
        post(&server, "/demo/work/", sub.register_body(target, ""))
            .expect(403)
            .expect_condition(PUSH, "invalid-subscription");
    }
    let bad_key = sub
        .register_body("https://127.0.0.1/x", "")
        .replace("type=\"p256dh\">B", "type=\"p256dh\">Q");
    post(&server, "/demo/work/", bad_key)
        .expect(403)
        .expect_condition(PUSH, "invalid-subscription");
    let props_only =
        "<trigger><property-update><depth xmlns=\"DAV:\">0</depth></property-update></trigger>";
    let resp = post(
        &server,
        "/demo/work/",
        sub.register_body("https://push.example.net/x", props_only),
    );
    resp.expect(403)
        .expect_condition(PUSH, "no-trigger-supported");
    post(&server, "/demo/work/", "<propfind xmlns=\"DAV:\"/>".into())
        .expect(403)
        .expect_condition(PUSH, "invalid-subscription");
    post(&server, "/demo/work/", "<push-register".into()).expect(400);
    // Only an XML media type registers: a cross-site form (text/plain,
    // urlencoded, multipart) or a body without one is refused with 415.
    let body = sub.register_body("https://push.example.net/x", "");
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut rq = server.request("POST", "/demo/work/").body(body.clone());
        if let Some(t) = content_type {
            rq = rq.header("Content-Type", t);
        }
        let resp = rq.fetch();
        resp.expect(415);
        assert!(resp.text().contains("application/xml"), "{}", resp.text());
    }
    // text/xml with parameters passes the type check (and meets the target's).
    server
        .request("POST", "/demo/work/")
        .header("Content-Type", "Text/XML; charset=utf-8")
        .body(body)
        .fetch()
        .expect(403)
        .expect_condition(PUSH, "invalid-subscription");
    post(
        &server,
        "/demo/nothere/",
        sub.register_body("https://push.example.net/x", ""),
    )
    .expect(404);
    // POST elsewhere is still not served.
    server
        .request("POST", "/demo/work/x.ics")
        .body("x")
        .fetch()
        .expect(405);
}

#[test]
fn registrations_survive_restart_and_expire_on_time() {
    let mut server = Server::start(Options {
        config: Some("push_allow_private_targets = true\n".into()),
        ..Options::default()
    });
    let sub = Subscriber::new();
    let kept = post(
        &server,
        "/demo/work/",
        sub.register_body("http://127.0.0.1:9/kept", ""),
    );
    kept.expect(201);
    let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let short = post(
        &server,
        "/demo/personal/",
        sub.register_body(
            "http://127.0.0.1:9/short",
            &format!("<expires>{soon}</expires>"),
        ),
    );
    short.expect(201);
    server.restart();
    std::thread::sleep(Duration::from_secs(3));
    server
        .delete(&path_of(&short.header("location").unwrap()))
        .expect(404);
    server
        .delete(&path_of(&kept.header("location").unwrap()))
        .expect(204);
    let state = std::fs::read_dir(server.data.with_extension("state"))
        .unwrap()
        .count();
    assert!(state >= 2, "keys and registrations live in the state dir");
}

/// One request a push service received.
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A push service on loopback answering `status` to every message.
fn receiver() -> (String, mpsc::Receiver<Received>, Arc<AtomicU16>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/push/", listener.local_addr().unwrap());
    let status = Arc::new(AtomicU16::new(201));
    let (tx, rx) = mpsc::channel();
    let answer = status.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let code = answer.load(Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = tx.send(Received { headers, body });
        }
    });
    (url, rx, status)
}

/// Decrypts a message and checks its VAPID JWT against the advertised key.
fn open(sub: &Subscriber, msg: &Received, vapid_key: &str, receiver_url: &str) -> String {
    assert_eq!(msg.header("content-encoding"), Some("aes128gcm"));
    assert!(msg.header("ttl").is_some() && msg.header("urgency").is_some());
    let auth = msg.header("authorization").expect("VAPID authorization");
    let rest = auth.strip_prefix("vapid ").unwrap();
    let mut token = "";
    let mut k = "";
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=').unwrap();
        match name {
            "t" => token = value,
            "k" => k = value,
            _ => {}
        }
    }
    assert_eq!(k, vapid_key, "signed with the advertised key");
    let public = ES256PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
    let claims = public.verify_token::<NoCustomClaims>(token, None).unwrap();
    // RFC 8292 §2: the push resource's origin, its (non-default) port included.
    let origin = receiver_url.split("/push/").next().unwrap();
    let audiences = claims.audiences.expect("aud").into_set();
    assert_eq!(audiences.into_iter().collect::<Vec<_>>(), [origin]);
    assert!(claims.subject.is_some());
    let plain = web_push_native::decrypt(
        msg.body.clone(),
        &sub.secret,
        web_push_native::Auth::from_slice(&sub.auth),
    )
    .unwrap();
    String::from_utf8(plain).unwrap()
}

fn sync_token(server: &Server, path: &str) -> String {
    let ms = server.props(path, &[(DAV, "sync-token")]);
    ms.responses[0]
        .ok(DAV, "sync-token")
        .text
        .trim()
        .to_string()
}

#[test]
fn changes_are_delivered_encrypted_and_signed() {
    let server = Server::start(Options {
        config: Some("push_allow_private_targets = true\npush_interval_ms = 200\n".into()),
        ..Options::default()
    });
    let ms = server.props("/demo/work/", &[(PUSH, "transports"), (PUSH, "topic")]);
    let vapid = ms.responses[0]
        .ok(PUSH, "transports")
        .child(PUSH, "web-push")
        .and_then(|w| w.child(PUSH, "vapid-public-key"))
        .unwrap()
        .text
        .trim()
        .to_string();
    let topic = ms.responses[0].ok(PUSH, "topic").text.trim().to_string();
    let (url, inbox, status) = receiver();
    let sub = Subscriber::new();
    let reg = post(&server, "/demo/work/", sub.register_body(&url, ""));
    reg.expect(201);
    let location = reg.header("location").unwrap();

    server
        .put_ics("/demo/work/p1.ics", &event("p1", "pushed"))
        .expect(201);
    let msg = inbox.recv_timeout(Duration::from_secs(10)).expect("a push");
    let text = open(&sub, &msg, &vapid, &url);
    assert!(
        text.contains(&format!("<P:topic>{topic}</P:topic>")),
        "{text}"
    );
    let token = sync_token(&server, "/demo/work/");
    assert!(
        text.contains(&format!("<D:sync-token>{token}</D:sync-token>")),
        "{text}"
    );

    // The client's own change, marked so, is not pushed back to it. A control
    // registration on the same collection must hear of that change, so a
    // late push cannot pass for no push.
    let (control_url, control_inbox, _) = receiver();
    let control = Subscriber::new();
    post(
        &server,
        "/demo/work/",
        control.register_body(&control_url, ""),
    )
    .expect(201);
    server
        .request("PUT", "/demo/work/p2.ics")
        .header("Content-Type", "text/calendar")
        .header("Push-Dont-Notify", format!("\"{location}\""))
        .body(event("p2", "quiet"))
        .fetch()
        .expect(201);
    let quiet = sync_token(&server, "/demo/work/");
    let msg = control_inbox
        .recv_timeout(Duration::from_secs(30))
        .expect("the control registration hears of the marked change");
    let text = open(&control, &msg, &vapid, &control_url);
    assert!(
        text.contains(&format!("<D:sync-token>{quiet}</D:sync-token>")),
        "{text}"
    );
    // Deliveries of one change may run side by side, so the excluded one is
    // judged by the first push it gets next: that of a later, unmarked change.
    server
        .put_ics("/demo/work/p2b.ics", &event("p2b", "loud"))
        .expect(201);
    let loud = sync_token(&server, "/demo/work/");
    let msg = inbox
        .recv_timeout(Duration::from_secs(30))
        .expect("a push for the unmarked change");
    let text = open(&sub, &msg, &vapid, &url);
    assert!(
        text.contains(&format!("<D:sync-token>{loud}</D:sync-token>")),
        "the marked change was pushed to the client that made it: {text}"
    );

    // A push service that says the subscription is gone ends it.
    status.store(410, Ordering::SeqCst);
    server
        .put_ics("/demo/work/p3.ics", &event("p3", "gone"))
        .expect(201);
    inbox.recv_timeout(Duration::from_secs(10)).expect("a push");
    assert!(wait_until(5, || server.delete(&path_of(&location)).status == 404));
}

/// A push service on loopback that accepts connections and never answers;
/// its base URL and how many connections it has taken.
fn silent_service() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/silent/", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    (url, accepted)
}

#[test]
fn a_silent_push_service_delays_no_other_users_push() {
    let server = Server::start(Options {
        config: Some("push_allow_private_targets = true\npush_interval_ms = 100\n".into()),
        ..Options::default()
    });
    // demo registers 48 subscriptions at a service that never answers.
    let (silent, accepted) = silent_service();
    let hostile = Subscriber::new();
    for i in 0..48 {
        let body = hostile.register_body(&format!("{silent}{i}"), "");
        post(&server, "/demo/work/", body).expect(201);
    }
    // alice registers one at a service that answers.
    let (url, inbox, _) = receiver();
    let alice = Some(("alice", "alice"));
    let sub = Subscriber::new();
    server
        .request_as(alice, "POST", "/alice/home/")
        .header("Content-Type", "application/xml")
        .body(sub.register_body(&url, ""))
        .fetch()
        .expect(201);

    server
        .put_ics("/demo/work/stall.ics", &event("stall", "stall"))
        .expect(201);
    assert!(
        wait_until(30, || accepted.load(Ordering::SeqCst) >= 4),
        "demo's messages reach the silent service"
    );
    server
        .request_as(alice, "PUT", "/alice/home/mine.ics")
        .header("Content-Type", "text/calendar")
        .body(event("mine", "mine"))
        .fetch()
        .expect(201);
    // Before deliveries were bounded per user, this took minutes.
    let msg = inbox
        .recv_timeout(Duration::from_secs(10))
        .expect("alice's push arrives while demo's hang");
    let plain = web_push_native::decrypt(
        msg.body,
        &sub.secret,
        web_push_native::Auth::from_slice(&sub.auth),
    )
    .unwrap();
    assert!(String::from_utf8(plain).unwrap().contains("sync-token"));
}

/// A registration on a sharee's view of a shared calendar (issue 26) hears
/// of the owner's changes, with the view's topic and its (the owner's) token.
#[test]
fn a_view_of_a_shared_calendar_is_pushed_to() {
    let server = Server::start(Options {
        config: Some("push_allow_private_targets = true\npush_interval_ms = 200\n".into()),
        ..Options::default()
    });
    let settings = server.file("demo/work/.calendar.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("{text}\n[share]\nalice = \"read\"\n")).unwrap();
    let view = "/alice/demo--work/";
    let as_alice =
        |method: &str, path: &str| server.request_as(Some(("alice", "alice")), method, path);
    assert!(wait_until(10, || as_alice("PROPFIND", view)
        .header("Depth", "0")
        .fetch()
        .status
        == 207));
    let ms = as_alice("PROPFIND", view)
        .header("Depth", "0")
        .body(propfind_body(&[(PUSH, "transports"), (PUSH, "topic")]))
        .fetch()
        .multistatus();
    let vapid = ms.responses[0]
        .ok(PUSH, "transports")
        .child(PUSH, "web-push")
        .and_then(|w| w.child(PUSH, "vapid-public-key"))
        .unwrap()
        .text
        .trim()
        .to_string();
    let topic = ms.responses[0].ok(PUSH, "topic").text.trim().to_string();
    let (url, inbox, _) = receiver();
    let sub = Subscriber::new();
    as_alice("POST", view)
        .header("Content-Type", "application/xml")
        .body(sub.register_body(&url, ""))
        .fetch()
        .expect(201);
    server
        .put_ics("/demo/work/shared.ics", &event("shared", "pushed"))
        .expect(201);
    let msg = inbox.recv_timeout(Duration::from_secs(10)).expect("a push");
    let text = open(&sub, &msg, &vapid, &url);
    assert!(
        text.contains(&format!("<P:topic>{topic}</P:topic>")),
        "{text}"
    );
    let token = sync_token(&server, "/demo/work/");
    assert!(
        text.contains(&format!("<D:sync-token>{token}</D:sync-token>")),
        "{text}"
    );
}
