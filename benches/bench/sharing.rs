//! The sharing phase (issue 26): the bench calendar is shared with a second
//! user by the CalendarServer protocol (POST of `CS:share`), then PROPFIND
//! Depth 1 and the initial sync-collection are timed at the owner's URL and
//! at the sharee's view, in turns, so the ratio (view ÷ owner, at most 1.5
//! by the issue) is not skewed by drift. davdir only: the peers have no
//! such views.

use reqwest::blocking::Client;

use super::{
    count_elements, expect, ms, note, send_as, stat, sync_body, Flavor, Outcome, Plan, Res, Server,
    Val, PROPFIND_BODY, USER,
};

/// The sharee's user name (the bench runs davdir without logins, so any
/// name is a user once his home exists).
const SHAREE: &str = "sharee";

/// Report rows: (key, label).
pub const METRICS: &[(&str, &str)] = &[
    (
        "share_propfind_owner",
        "shared calendar: PROPFIND Depth 1 at the owner's URL",
    ),
    (
        "share_propfind_view",
        "shared calendar: PROPFIND Depth 1 at the sharee's view",
    ),
    (
        "share_sync_owner",
        "shared calendar: initial sync-collection at the owner's URL",
    ),
    (
        "share_sync_view",
        "shared calendar: initial sync-collection at the sharee's view",
    ),
];

/// (owner's key, view's key, what) for the targets: view ÷ owner ≤ 1.5.
pub const RATIOS: &[(&str, &str, &str)] = &[
    (
        "share_propfind_owner",
        "share_propfind_view",
        "PROPFIND Depth 1",
    ),
    (
        "share_sync_owner",
        "share_sync_view",
        "initial sync-collection",
    ),
];

/// The most a sharee's request may cost over the owner's (issue 26).
pub const MAX_RATIO: f64 = 1.5;

/// Shares the calendar and times both URLs into `out`.
pub fn run(server: &Server, c: &Client, n: usize, plan: Plan, out: &mut Outcome) -> Res<()> {
    if server.flavor != Flavor::Davdir {
        return Ok(());
    }
    let owner = server.cal_url();
    let view = format!("{}/{SHAREE}/{USER}--{}/", server.base, super::CAL);
    // His first request makes his home, so the share names a user.
    let home = format!("{}/{SHAREE}/", server.base);
    let r = send_as(c, SHAREE, "PROPFIND", &home, "0", PROPFIND_BODY)?;
    expect(&r, &[207], "the sharee's home")?;
    let share = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>/{SHAREE}/</D:href><CS:read/></CS:set></CS:share>"#
    );
    let r = send_as(c, USER, "POST", &owner, "0", &share)?;
    expect(&r, &[200], "POST CS:share")?;

    let sync = sync_body("");
    let phases: [(&str, &str, &str, &str); 2] = [
        (
            "PROPFIND",
            PROPFIND_BODY,
            "share_propfind_owner",
            "share_propfind_view",
        ),
        ("REPORT", &sync, "share_sync_owner", "share_sync_view"),
    ];
    for (method, body, owner_key, view_key) in phases {
        let started = std::time::Instant::now();
        let (mut at_owner, mut at_view) = (Vec::new(), Vec::new());
        let mut size = 0;
        for k in 0..plan.warmup + plan.runs {
            let one = |user: &str, url: &str| -> Res<(f64, usize)> {
                let t = std::time::Instant::now();
                // sync-collection takes Depth 0 (RFC 6578 §3.2).
                let depth = if method == "PROPFIND" { "1" } else { "0" };
                let r = send_as(c, user, method, url, depth, body)?;
                let took = ms(t.elapsed());
                expect(&r, &[207], method)?;
                Ok((took, count_elements(&r.body, "response")))
            };
            let (to, ko) = one(USER, &owner)?;
            let (tv, kv) = one(SHAREE, &view)?;
            if ko != kv {
                return Err(format!(
                    "{method}: {ko} responses at the owner's URL, {kv} at the view"
                ));
            }
            if k >= plan.warmup {
                at_owner.push(to);
                at_view.push(tv);
                size = ko;
            }
            if !at_owner.is_empty() && plan.capped(started, at_owner.len()) {
                break;
            }
        }
        if at_owner.is_empty() {
            return Err(format!("{method}: no measured run within the cap"));
        }
        let (so, sv) = (stat(at_owner), stat(at_view));
        note(
            server,
            n,
            &format!(
                "shared {method}: owner {:.2} ms, view {:.2} ms ({:.2}×, {size} responses)",
                so.median,
                sv.median,
                sv.median / so.median
            ),
        );
        out.vals.insert(owner_key, Val::Ms(so));
        out.vals.insert(view_key, Val::Ms(sv));
    }
    Ok(())
}
