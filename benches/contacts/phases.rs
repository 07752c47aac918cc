//! The contact phases run against one server: PROPFIND, multiget, text-match
//! queries, sync after one change and PUT/GET throughput, into one `Outcome`.

use super::*;

pub(crate) fn book_url(server: &Server) -> String {
    format!("{}/{USER}/{BOOK}/", server.base)
}

pub(crate) fn book_path() -> String {
    format!("/{USER}/{BOOK}/")
}

pub(crate) fn multiget_body(first: usize) -> String {
    let mut hrefs = String::new();
    for k in 0..MULTIGET {
        write!(
            hrefs,
            "<D:href>{}{}</D:href>",
            book_path(),
            contact_name(first + k)
        )
        .unwrap();
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>{hrefs}</C:addressbook-multiget>"#
    )
}

pub(crate) fn text_query_body(prop: &str, needle: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
  <C:filter><C:prop-filter name="{prop}">
    <C:text-match collation="i;unicode-casemap" match-type="contains">{needle}</C:text-match>
  </C:prop-filter></C:filter>
</C:addressbook-query>"#
    )
}

/// A variant of a contact's text with a new note (same UID and names).
pub(crate) fn edited_card(text: &str, tag: &str) -> String {
    text.replacen("NOTE:", &format!("NOTE:{tag} "), 1)
}

pub const CONTACT_METRICS: &[(&str, &str)] = &[
    ("c_propfind", "PROPFIND Depth 1 (getetag, getcontenttype)"),
    (
        "c_multiget",
        "addressbook-multiget of 100 (getetag + address-data)",
    ),
    ("c_query_fn", "addressbook-query, text-match on FN"),
    ("c_query_email", "addressbook-query, text-match on EMAIL"),
    ("c_sync", "sync-collection after one change"),
    ("c_put1", "PUT of one contact (before the sync above)"),
    ("c_get_rate", "GET throughput, 64 connections"),
    ("c_get_rate4", "GET throughput, 4 connections"),
    ("c_put_rate", "durable PUT throughput, 8 clients"),
    ("c_rss", "peak RSS (VmHWM) after the queries"),
    (
        "c_rss_end",
        "peak RSS after all phases (incl. GET/PUT throughput)",
    ),
];

/// Keys whose davdir ÷ peer advantage has the issue 10 target of 30×.
pub(crate) const RATIO_KEYS: &[&str] = &[
    "c_propfind",
    "c_multiget",
    "c_query_fn",
    "c_query_email",
    "c_sync",
    "c_get_rate",
    "c_get_rate4",
    "c_put_rate",
];

pub(crate) fn na(out: &mut Outcome, keys: &[&'static str], why: &str) {
    for k in keys {
        out.vals.insert(k, Val::Na(why.to_string()));
    }
}

/// Waits until a PROPFIND Depth 1 on the address book lists `n` contacts.
/// `Ok(Some(status))`: the server answers, but not with 207 (not served).
pub(crate) fn wait_book(
    server: &mut Server,
    c: &Client,
    n: usize,
    t0: Instant,
) -> Res<Option<u16>> {
    let url = book_url(server);
    let limit = Duration::from_secs(600);
    loop {
        match send(c, "PROPFIND", &url, Some("1"), Some(PROPFIND_BODY), XML) {
            Ok(r) if r.status == 207 => {
                if count_elements(&r.body, "response").saturating_sub(1) >= n {
                    return Ok(None);
                }
                if t0.elapsed() > limit {
                    return Err("the address book never listed every contact".into());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(r) => return Ok(Some(r.status)),
            Err(_) if !server.exited() && t0.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => return Err(format!("{} not ready: {e}", server.name())),
        }
    }
}

/// Starts `server` on data holding the address book (and, for davdir, the
/// calendar of `cal_n` objects, waited for first) and waits until the book
/// lists every contact. False when the server does not serve it: its
/// phases are then n/a (filled in `out`) and the server is stopped.
pub fn start_contacts(
    server: &mut Server,
    c: &Client,
    book: &Book,
    cal_n: usize,
    out: &mut Outcome,
) -> Res<bool> {
    let n = book.n;
    let t0 = Instant::now();
    server.start()?;
    if cal_n > 0 {
        wait_ready(server, c, cal_n, t0, Duration::from_secs(600))?;
    }
    if let Some(status) = wait_book(server, c, n, t0)? {
        note(
            server,
            n,
            &format!("address book: HTTP {status}; contact phases n/a"),
        );
        let keys: Vec<&'static str> = CONTACT_METRICS.iter().map(|m| m.0).collect();
        na(out, &keys, &format!("n/a (HTTP {status})"));
        record_rss(server, n, out, "c_rss");
        record_rss(server, n, out, "c_rss_end");
        server.stop();
        return Ok(false);
    }
    note(
        server,
        n,
        &format!("address book up in {:.0} ms", ms(t0.elapsed())),
    );
    Ok(true)
}

/// Runs `f` on the timed contact queries of a book of `n` contacts
/// (PROPFIND, multiget, two text-match queries), built once for every server.
pub fn with_queries<R>(n: usize, f: impl FnOnce(&[Query]) -> R) -> R {
    let multiget = multiget_body(n / 2);
    let q_fn = text_query_body("FN", FN_NEEDLE);
    let q_email = text_query_body("EMAIL", EMAIL_NEEDLE);
    let count_responses = |b: &str| count_elements(b, "response");
    let query = |key, what, method, body| {
        Query(key, what, method, body, 207, &count_responses, "responses")
    };
    f(&[
        query("c_propfind", "PROPFIND Depth 1", "PROPFIND", PROPFIND_BODY),
        query("c_multiget", "multiget 100", "REPORT", &multiget),
        query("c_query_fn", "query FN", "REPORT", &q_fn),
        query("c_query_email", "query EMAIL", "REPORT", &q_email),
    ])
}

/// The phases after the queries, one server at a time: its RSS, sync after
/// one change, GET and PUT throughput; then the server stops.
pub fn finish_contacts(
    server: &mut Server,
    c: &Client,
    n: usize,
    plan: Plan,
    out: &mut Outcome,
) -> Res<()> {
    let url = book_url(server);
    record_rss(server, n, out, "c_rss");

    if let Err(why) = sync_phase(server, c, &url, n, plan, out) {
        note(server, n, &format!("sync after one change: {why}"));
        na(out, &["c_sync", "c_put1"], &why);
    }

    let probe = send(
        c,
        "GET",
        &format!("{url}{}", contact_name(0)),
        None,
        None,
        VCF,
    )?;
    if probe.status == 200 {
        // As the calendar's GET figure: 64 connections, enough requests
        // that the fast server runs for about a second. And at 4: a server
        // that closes every connection and queues few (Radicale) does its
        // best at low concurrency, so its throughput is shown there too, as
        // is ours. Each row walks the book in its own order.
        for (key, conns, stride) in [
            ("c_get_rate", figures::GET_CONNECTIONS, 7919),
            ("c_get_rate4", figures::GET_CONNECTIONS_FEW, 104_729),
        ] {
            let r = throughput_as(&url, plan.gets * 5, conns, plan.cap, VCF, move |_, k| {
                ("GET", contact_name((k * stride) % n), None)
            });
            figures::rate_figure(server, n, out, key, r);
        }
    } else {
        na(
            out,
            &["c_get_rate", "c_get_rate4"],
            &format!("n/a (HTTP {})", probe.status),
        );
    }

    // Distinct contacts from the end of the book, edited once each; four
    // times the calendar's count, so that a server near 1,000/s is timed
    // over more than a few tens of milliseconds.
    let bodies: Arc<Vec<(String, String)>> = Arc::new(
        (0..(plan.puts * 4).min(n / 2))
            .map(|k| {
                let name = contact_name(n - 1 - k % n);
                (
                    name.clone(),
                    edited_card(&contact_text(n - 1 - k % n).0, "put"),
                )
            })
            .collect(),
    );
    let probe = send(
        c,
        "PUT",
        &format!("{url}{}", bodies[0].0),
        None,
        Some(&bodies[0].1),
        VCF,
    )?;
    if [201, 204].contains(&probe.status) {
        let puts = bodies.len();
        // As the calendar's durable-PUT figure: 8 clients.
        let clients = figures::PUT_CLIENTS;
        let r = throughput_as(&url, puts, clients, plan.cap, VCF, move |_, k| {
            let (name, body) = &bodies[k];
            ("PUT", name.clone(), Some(body.clone()))
        });
        figures::rate_figure(server, n, out, "c_put_rate", r);
    } else {
        na(
            out,
            &["c_put_rate"],
            &format!("n/a (HTTP {})", probe.status),
        );
    }
    record_rss(server, n, out, "c_rss_end");
    server.stop();
    Ok(())
}

/// sync-collection on the address book after one PUT; `Err` says why the
/// server could not do it (reported as n/a).
pub(crate) fn sync_phase(
    server: &Server,
    c: &Client,
    url: &str,
    n: usize,
    plan: Plan,
    out: &mut Outcome,
) -> Result<(), String> {
    let mut token = sync_token(c, url).map_err(|e| format!("n/a ({e})"))?;
    let probe = xml_report(c, url, &sync_body(&token))?;
    if probe.status != 207 {
        return Err(format!("n/a (HTTP {})", probe.status));
    }
    let next = |round: usize| -> Res<(String, String)> {
        let idx = (round * 104_729) % n;
        let body = edited_card(&contact_text(idx).0, &format!("sync{round}"));
        Ok((contact_name(idx), body))
    };
    let put = PutThenSync {
        content_type: VCF,
        sync_key: "c_sync",
        put_key: "c_put1",
    };
    put.time(server, c, url, n, &plan, &mut token, next, out)?;
    Ok(())
}
