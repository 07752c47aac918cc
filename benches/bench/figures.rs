//! The figures issue 13 compares across servers and the older phases do not
//! measure: calendar-multiget of 100 objects, the initial sync-collection
//! (empty token), durable PUTs from 8 clients and GETs over 64 connections.
//! Kept apart from `run_server` so each server runs exactly these requests.

use std::sync::Arc;

use reqwest::blocking::Client;

use super::{
    count_elements, edited, expect, note, object_name, repeat, sync_body, throughput, timed,
    xml_escape, xml_report, DataSet, Load, Outcome, Plan, Res, Server, Val,
};

/// Objects named in the multiget.
pub const MULTIGET: usize = 100;
/// Concurrent writers in the durable-PUT figure.
pub const PUT_CLIENTS: usize = 8;
/// Concurrent connections in the GET figure (one client, one connection each).
pub const GET_CONNECTIONS: usize = 64;
/// Connections of the low-concurrency GET figure.
pub const GET_CONNECTIONS_FEW: usize = 4;

/// Report rows for these figures: (key, label).
pub const METRICS: &[(&str, &str)] = &[
    (
        "multiget",
        "calendar-multiget of 100 (getetag + calendar-data)",
    ),
    ("sync0", "initial sync-collection (empty token, getetag)"),
    ("put8_rate", "durable PUT throughput, 8 clients"),
    ("get64_rate", "GET throughput, 64 connections"),
];

/// A calendar-multiget body for `MULTIGET` objects spread over the calendar.
fn multiget_body(cal_path: &str, n: usize) -> String {
    let step = (n / MULTIGET).max(1);
    let hrefs: String = (0..n)
        .step_by(step)
        .take(MULTIGET)
        .map(|i| {
            format!(
                "<D:href>{}</D:href>",
                xml_escape(&format!("{cal_path}{}", object_name(i)))
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"#
    )
}

/// Measures the four figures on a started, loaded server into `out`.
pub fn run(server: &Server, c: &Client, ds: &DataSet, plan: Plan, out: &mut Outcome) -> Res<()> {
    let n = ds.n;
    let url = server.cal_url();

    let body = multiget_body(&server.cal_path(), n);
    let want = n.min(MULTIGET);
    let (s, k) = repeat(&plan, || {
        let (t, r) = timed(|| xml_report(c, &url, &body))?;
        expect(&r, &[207], "calendar-multiget")?;
        let got = r.body.matches("BEGIN:VCALENDAR").count();
        if got != want {
            return Err(format!(
                "calendar-multiget returned {got} of {want} objects"
            ));
        }
        Ok((t, count_elements(&r.body, "response")))
    })?;
    note(
        server,
        n,
        &format!("multiget: median {:.2} ms ({k} responses)", s.median),
    );
    out.vals.insert("multiget", Val::Ms(s));
    out.sizes.insert("multiget", k);

    let body = sync_body("");
    let (s, k) = repeat(&plan, || {
        let (t, r) = timed(|| xml_report(c, &url, &body))?;
        expect(&r, &[207], "initial sync-collection")?;
        Ok((t, count_elements(&r.body, "response")))
    })?;
    note(
        server,
        n,
        &format!("initial sync: median {:.2} ms ({k} responses)", s.median),
    );
    out.vals.insert("sync0", Val::Ms(s));
    out.sizes.insert("sync0", k);

    // Updates of distinct existing objects, none touched by the earlier PUT
    // phase (which takes the last `plan.puts` singles after skipping 100).
    let bodies: Arc<Vec<(String, String)>> = Arc::new(
        ds.singles
            .iter()
            .rev()
            .skip(100 + plan.puts)
            .take(plan.puts)
            .map(|&i| {
                let text = server.object_source(i).unwrap_or_default();
                (object_name(i), edited(&text, "put8"))
            })
            .collect(),
    );
    let put = throughput(&url, bodies.len(), PUT_CLIENTS, plan.cap, move |_, k| {
        let (name, body) = &bodies[k];
        ("PUT", name.clone(), Some(body.clone()))
    });
    rate_figure(server, n, out, "put8_rate", put);

    // Enough GETs that the fast server runs for about a second.
    let gets = plan.gets * 5;
    let get = throughput(&url, gets, GET_CONNECTIONS, plan.cap, move |_, k| {
        ("GET", object_name((k * 7919) % n), None)
    });
    rate_figure(server, n, out, "get64_rate", get);
    Ok(())
}

/// Records a throughput figure; a server that drops requests under this
/// much concurrency gets "failed" in its cell rather than losing its
/// other figures.
pub(crate) fn rate_figure(
    server: &Server,
    n: usize,
    out: &mut Outcome,
    key: &'static str,
    r: Res<Load>,
) {
    match r {
        Ok(load) => {
            note(
                server,
                n,
                &format!("{key}: {:.1}/s ({})", load.rate, load.describe()),
            );
            out.vals.insert(key, Val::Rate(load));
        }
        Err(e) => {
            note(server, n, &format!("{key}: failed: {e}"));
            let what: String = e.chars().take(40).collect();
            out.vals.insert(key, Val::Na(format!("failed ({what}…)")));
        }
    }
}
