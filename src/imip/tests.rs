//! The mail service end to end against a real SMTP listener on
//! 127.0.0.1: a relay that is down at first and comes up later, and a
//! queue that outlives the service that filled it. The listener is a few
//! lines of SMTP (greeting, EHLO, MAIL, RCPT, DATA, QUIT), enough for
//! lettre and honest about what arrives.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// Mails received: (MAIL FROM, RCPT TO, DATA).
type Inbox = Arc<Mutex<Vec<(String, Vec<String>, String)>>>;

/// Serves SMTP on `listener` on a thread, for the test's life.
fn sink(listener: TcpListener) -> Inbox {
    let inbox: Inbox = Arc::default();
    let mails = inbox.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = session(conn, &mails);
        }
    });
    inbox
}

fn session(conn: TcpStream, inbox: &Inbox) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut lines = BufReader::new(conn);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 sink\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_string();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_string());
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            out.write_all(b"354 go on\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                lines.read_line(&mut line)?;
                if line == ".\r\n" || line.is_empty() {
                    break;
                }
                data.push_str(&line);
            }
            let mail = (std::mem::take(&mut from), std::mem::take(&mut to), data);
            inbox.lock().unwrap().push(mail);
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            b"250 ok\r\n"
        };
        out.write_all(answer)?;
    }
}

/// Polls `done` for up to 60 s (generous: the machine is shared).
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn settings(port: u16, retry: u64) -> Settings {
    Settings::from_config(Some(&format!("smtp://127.0.0.1:{port}")), None, Some(retry))
        .unwrap()
        .unwrap()
}

fn invitation() -> Outgoing {
    Outgoing {
        method: Method::Request,
        sender: "mailto:alice@example.org".into(),
        sender_name: None,
        recipient: "mailto:bob@elsewhere.net".into(),
        itip: "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x1\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".into(),
    }
}

/// A port nothing listens on (for a while): bound, then let go.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `tries` of every queued file's header.
fn tries(state: &Path) -> Vec<u32> {
    std::fs::read_dir(state.join(queue::DIR))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let meta: queue::Meta = serde_json::from_str(text.lines().next()?).ok()?;
            Some(meta.tries)
        })
        .collect()
}

#[test]
fn a_relay_that_is_down_at_first_gets_the_mail_when_it_comes_up() {
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let imip = Imip::start(settings(port, 1), state.path(), queue::DEFAULT_LIMITS).unwrap();
    imip.submit(&invitation()).unwrap();
    assert_eq!(imip.queued(), 1);
    wait_for("a failed try recorded in the file", || {
        tries(state.path()).iter().any(|&t| t >= 1)
    });
    let inbox = sink(TcpListener::bind(("127.0.0.1", port)).unwrap());
    wait_for("the mail at the relay", || {
        !inbox.lock().unwrap().is_empty()
    });
    wait_for("the queue emptied", || imip.queued() == 0);
    let (from, to, data) = inbox.lock().unwrap()[0].clone();
    assert_eq!(from, "<alice@example.org>");
    assert_eq!(to, vec!["<bob@elsewhere.net>".to_string()]);
    assert!(data.contains("method=REQUEST"), "{data}");
    assert!(data.contains("Subject: Invitation: Lunch"), "{data}");
    assert!(tries(state.path()).is_empty());
}

#[test]
fn queued_mail_outlives_the_service_that_queued_it() {
    let state = tempfile::tempdir().unwrap();
    // A dead relay and an hour's wait: the first service keeps the mail.
    let first = Imip::start(
        settings(free_port(), 3600),
        state.path(),
        queue::DEFAULT_LIMITS,
    )
    .unwrap();
    first.submit(&invitation()).unwrap();
    wait_for("the first try failed", || {
        tries(state.path()).iter().any(|&t| t >= 1)
    });
    // As after a restart with the relay fixed: the queue is read again.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = sink(listener);
    let second = Imip::start(settings(port, 3600), state.path(), queue::DEFAULT_LIMITS).unwrap();
    wait_for("the mail at the relay", || {
        !inbox.lock().unwrap().is_empty()
    });
    wait_for("the queue emptied", || second.queued() == 0);
    assert_eq!(inbox.lock().unwrap().len(), 1);
}

#[test]
fn a_bad_address_or_a_full_queue_is_refused_at_once_with_its_status() {
    let state = tempfile::tempdir().unwrap();
    let limits = queue::Limits {
        messages: 1,
        bytes: 1 << 20,
    };
    let imip = Imip::start(settings(free_port(), 3600), state.path(), limits).unwrap();
    let mut bad = invitation();
    bad.recipient = "mailto:nobody".into();
    assert_eq!(imip.submit(&bad).unwrap_err().schedule_status(), "5.3");
    assert_eq!(
        imip.check(&bad.recipient).unwrap_err().schedule_status(),
        "5.3"
    );
    imip.check("mailto:bob@elsewhere.net").unwrap();
    imip.submit(&invitation()).unwrap();
    assert_eq!(
        imip.check("mailto:bob@elsewhere.net")
            .unwrap_err()
            .schedule_status(),
        "5.1"
    );
    let full = imip.submit(&invitation()).unwrap_err();
    assert_eq!(full.schedule_status(), "5.1");
    assert!(full.to_string().contains("queue is full"), "{full}");
}
