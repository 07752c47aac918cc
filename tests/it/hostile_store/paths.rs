//! Object and calendar names as long as the file system allows, and
//! symbolic links that must never lead out of a home.

use std::os::unix::fs::symlink;

use super::*;

#[test]
fn object_names_up_to_255_bytes_are_writable_longer_ones_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    for (len, status) in [(240, 201), (255, 201), (256, 403)] {
        let name = format!("{}.ics", "n".repeat(len - 4));
        let r = srv.put_ics(
            &format!("/demo/personal/{name}"),
            &event(&format!("long-{len}"), "long"),
        );
        fence.check(&format!("PUT {len}-byte name"), Some(&r));
        r.expect(status);
        if status == 201 {
            let r = srv.get(&format!("/demo/personal/{name}"));
            fence.check(&format!("GET {len}-byte name"), Some(&r));
            r.expect(200);
        }
    }
    // 254 characters, 381 bytes: too long in bytes, whatever the characters.
    let wide = format!("{}.ics", "é".repeat(127));
    let encoded: String = percent_encode(&wide);
    let r = srv.put_ics(&format!("/demo/personal/{encoded}"), &event("wide", "w"));
    fence.check("PUT 258-byte multibyte name", Some(&r));
    r.expect(403);
    srv.assert_no_temp_files("demo/personal");
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn a_249_byte_calendar_keeps_its_sync_token_across_a_restart() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    let cal = "c".repeat(249);
    let path = format!("/demo/{cal}/");
    // The cache names a collection's index by a hash of its name
    // (`Store::cache_path`), so a 249-byte name fits the 255-byte limit.
    use sha2::Digest;
    let hash = hex::encode(&sha2::Sha256::digest(cal.as_bytes())[..16]);
    let index = srv.data.join(format!(".davdir-cache/demo/{hash}.index"));
    let r = srv.mkcalendar(&path, None);
    fence.check("MKCALENDAR 249-byte name", Some(&r));
    r.expect(201);
    let r = srv.put_ics(&format!("{path}a.ics"), &event("long-cal-a", "a"));
    fence.check("PUT into 249-byte calendar", Some(&r));
    r.expect(201);
    let token = sync(&srv, &path, "").multistatus().sync_token.unwrap();
    // The index is saved every few seconds (a save used to fail here): wait
    // for this calendar's own saved index (another collection's may be
    // saved meanwhile), so the restart below starts from it.
    assert!(
        wait_until(30, || index.exists()),
        "no index saved for the 249-byte calendar:\n{}",
        srv.log()
    );
    srv.restart();
    let r = sync(&srv, &path, &token);
    fence.check("sync after restart", Some(&r));
    let ms = r.expect(207).multistatus();
    assert!(ms.responses.is_empty(), "nothing changed: {:?}", ms.hrefs());
    let r = srv.put_ics(&format!("{path}b.ics"), &event("long-cal-b", "b"));
    r.expect(201);
    let ms = sync(&srv, &path, &token).expect(207).multistatus();
    assert_eq!(ms.hrefs().len(), 1, "only b.ics changed");
    let log = srv.log();
    assert!(
        !log.contains("cannot save index") && !log.contains("cannot write change log"),
        "cache warnings:\n{log}"
    );
}

#[test]
fn symlinks_never_lead_out_of_the_home() {
    let srv = Server::sample();
    let fence = srv.fence();
    let outside = srv.outside();
    let personal = srv.file("demo/personal");
    let (own, own_bytes) = some_object(&srv);
    let alice_file = srv.file("alice/home/choir-rehearsal.ics");
    symlink(outside.join("secret.ics"), personal.join("out.ics")).unwrap();
    symlink(&alice_file, personal.join("alice.ics")).unwrap();
    symlink(outside.join("cal"), srv.file("demo/linked")).unwrap();
    symlink(srv.file("alice/home"), srv.file("demo/alices")).unwrap();
    symlink(personal.join(&own), personal.join("mine.ics")).unwrap();
    symlink(srv.file("demo/work"), srv.file("demo/alias")).unwrap();

    let probes: Vec<(&str, &str, &str, Option<&str>, u16)> = vec![
        (
            "GET link to outside file",
            "GET",
            "/demo/personal/out.ics",
            None,
            404,
        ),
        (
            "GET link to alice's file",
            "GET",
            "/demo/personal/alice.ics",
            None,
            404,
        ),
        (
            "GET through linked calendar",
            "GET",
            "/demo/linked/secret.ics",
            None,
            404,
        ),
        (
            "PROPFIND linked calendar",
            "PROPFIND",
            "/demo/linked/",
            None,
            404,
        ),
        (
            "PROPFIND link into alice's home",
            "PROPFIND",
            "/demo/alices/",
            None,
            404,
        ),
        (
            "GET through link into alice's home",
            "GET",
            "/demo/alices/choir-rehearsal.ics",
            None,
            404,
        ),
        (
            "DELETE link to outside file",
            "DELETE",
            "/demo/personal/out.ics",
            None,
            404,
        ),
        (
            "DELETE through linked calendar",
            "DELETE",
            "/demo/linked/secret.ics",
            None,
            404,
        ),
        (
            "DELETE linked calendar",
            "DELETE",
            "/demo/linked/",
            None,
            404,
        ),
        (
            "PUT through linked calendar",
            "PUT",
            "/demo/linked/new.ics",
            Some("linked-new"),
            409,
        ),
        (
            "PUT over secret through linked calendar",
            "PUT",
            "/demo/linked/secret.ics",
            Some("linked-over"),
            409,
        ),
        (
            "PUT through link into alice's home",
            "PUT",
            "/demo/alices/x.ics",
            Some("alices-new"),
            409,
        ),
        (
            "PROPFIND personal lists no foreign link",
            "PROPFIND",
            "/demo/personal/",
            None,
            207,
        ),
        (
            "PROPFIND home lists no foreign link",
            "PROPFIND",
            "/demo/",
            None,
            207,
        ),
        (
            "GET link within own home",
            "GET",
            "/demo/personal/mine.ics",
            None,
            200,
        ),
        (
            "PROPFIND calendar linked within own home",
            "PROPFIND",
            "/demo/alias/",
            None,
            207,
        ),
    ];
    for (what, method, path, uid, status) in probes {
        let mut rb = srv.request(method, path).header("Depth", "1");
        if let Some(uid) = uid {
            rb = rb
                .header("Content-Type", "text/calendar")
                .body(event(uid, "through a link"));
        }
        let r = rb.fetch();
        fence.check(what, Some(&r));
        assert_eq!(r.status, status, "{what}: {}", r.text());
        if what.starts_with("PROPFIND") && status == 207 {
            let text = r.text();
            for foreign in ["out.ics", "alice.ics", "/demo/linked/", "/demo/alices/"] {
                assert!(!text.contains(foreign), "{what} lists {foreign}:\n{text}");
            }
        }
        if what == "GET link within own home" {
            assert_eq!(r.body, own_bytes);
        }
    }

    // A calendar-query over the calendar holding the links never reads them.
    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    let r = srv.report("/demo/personal/", "1", query);
    fence.check("calendar-query over links", Some(&r));
    r.expect(207);
    assert!(!r.text().contains("choir"), "alice's event served");
    let r = sync(&srv, "/demo/personal/", "");
    fence.check("sync over links", Some(&r));
    r.expect(207);

    // Moving an object into the linked calendar must not write outside.
    let r = srv
        .request("MOVE", &format!("/demo/personal/{own}"))
        .header("Destination", srv.url("/demo/linked/moved.ics"))
        .fetch();
    fence.check("MOVE into linked calendar", Some(&r));
    r.expect(409);

    // A copy of the calendar takes the link within the home, not the others.
    let r = srv
        .request("COPY", "/demo/personal/")
        .header("Destination", srv.url("/demo/copied/"))
        .fetch();
    fence.check("COPY calendar holding links", Some(&r));
    r.expect(201);
    let copied = ics_names(&srv.file("demo/copied"));
    assert!(
        copied.contains("mine.ics") && !copied.contains("out.ics") && !copied.contains("alice.ics")
    );

    // A PUT to the link's name replaces the link, never writes its target.
    let r = srv.put_ics("/demo/personal/out.ics", &event("replaces-link", "r"));
    fence.check("PUT over link to outside file", Some(&r));
    r.expect(201);
    assert!(!std::fs::symlink_metadata(personal.join("out.ics"))
        .unwrap()
        .file_type()
        .is_symlink());
}
