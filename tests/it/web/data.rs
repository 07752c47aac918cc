//! The page's data forms over real HTTP: import (multipart), export, the
//! trash, app passwords, the Apple profile and password changes, each
//! scoped to the logged-in user.

use super::browser::*;
use crate::common::*;

/// A multipart body as a browser sends the import form.
fn multipart(csrf: &str, target: &str, file_name: &str, file: &str) -> (String, String) {
    let boundary = "----davdirTestBoundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in [("csrf", csrf), ("target", target), ("new_name", "")] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/calendar\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the import form: the answer is at once a 303 to the job's page.
fn start_import(b: &Browser, target: &str, file_name: &str, file: &str) -> String {
    let (content_type, body) = multipart(&b.csrf(), target, file_name, file);
    let r = b
        .srv
        .request_as(None, "POST", "/.web/import")
        .header("Cookie", b.cookie.clone().unwrap())
        .header("Content-Type", content_type)
        .body(body)
        .fetch();
    r.expect(303);
    let job = r.header("location").unwrap();
    assert!(job.starts_with("/.web/import/"), "{job}");
    job
}

/// Follows a job's page, as its refresh does, until it shows the report.
fn finished(b: &Browser, job: &str) -> Resp {
    let mut last = None;
    let done = wait_until(300, || {
        let r = b.get(job);
        let over = r.status != 200 || !r.text().contains("http-equiv=\"refresh\"");
        last = Some(r);
        over
    });
    assert!(done, "the import did not finish");
    last.unwrap()
}

/// An import, start to report.
fn import(b: &Browser, target: &str, file_name: &str, file: &str) -> Resp {
    let job = start_import(b, target, file_name, file);
    finished(b, &job)
}

fn calendar_of(events: &[(&str, &str)]) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    for (uid, summary) in events {
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20270101T100000Z\r\nDTEND:20270101T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"
        ));
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

#[test]
fn import_reports_and_a_second_run_changes_nothing() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let file = calendar_of(&[("a@x", "A"), ("b@x", "B"), ("a@x", "A again")]);
    let r = import(&b, "", "Old Calendar.ics", &file);
    r.expect(200);
    let text = r.text();
    assert!(text.contains("2 created"), "{text}");
    assert!(text.contains("1 skipped"), "{text}");
    assert_eq!(ics_names(&srv.file("demo/old-calendar")).len(), 2);
    // A new collection is named after the file when the file names nothing.
    assert_eq!(
        std::fs::read_to_string(srv.file("demo/old-calendar/displayname"))
            .unwrap()
            .trim(),
        "Old Calendar"
    );
    let named = file.replacen(
        "VERSION:2.0\r\n",
        "VERSION:2.0\r\nX-WR-CALNAME:Holidays\r\nX-WR-CALDESC:Days off\r\nX-APPLE-CALENDAR-COLOR:#FF2968FF\r\n",
        1,
    );
    assert_ne!(named, file);
    import(&b, "", "export-2026.ics", &named).expect(200);
    let dir = srv.file("demo/export-2026");
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(read("displayname"), "Holidays");
    assert_eq!(read("description"), "Days off");
    assert_eq!(read("color"), "#FF2968");
    let again = import(&b, "old-calendar", "Old Calendar.ics", &file).text();
    assert!(
        again.contains("0 created") && again.contains("2 unchanged"),
        "{again}"
    );
    // A file of neither kind is refused at once, before any job.
    let (content_type, body) = multipart(&b.csrf(), "", "notes.txt", "just text\r\n");
    let r = srv
        .request_as(None, "POST", "/.web/import")
        .header("Cookie", b.cookie.clone().unwrap())
        .header("Content-Type", content_type)
        .body(body)
        .fetch();
    r.expect(400);
    // Without the token nothing is imported.
    let (content_type, body) = multipart("wrong", "", "x.ics", &file);
    srv.request_as(None, "POST", "/.web/import")
        .header("Cookie", b.cookie.clone().unwrap())
        .header("Content-Type", content_type)
        .body(body)
        .fetch()
        .expect(403);
    assert!(!srv.file("demo/x").exists());
}

#[test]
fn export_delete_restore_and_purge_stay_within_the_users_own_collections() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let r = b.get("/.web/c/work/export");
    r.expect(200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("work.ics"));
    assert!(r.text().starts_with("BEGIN:VCALENDAR"));
    let mut alice = Browser::new(&srv);
    alice.login("alice", "alice").expect(303);
    alice.get("/.web/c/work/export").expect(404);
    alice.submit("/.web/c/work/delete", &[]).expect(404);
    alice
        .submit("/.web/c/work/delete", &[("confirm", "yes")])
        .expect(404);
    assert!(srv.file("demo/work").is_dir());

    // The Delete button leads to a confirmation; only that deletes.
    let confirm = b.submit("/.web/c/work/delete", &[]).expect(200).text();
    assert!(
        confirm.contains("name=\"confirm\" value=\"yes\""),
        "{confirm}"
    );
    assert!(confirm.contains("Trash"), "{confirm}");
    assert!(srv.file("demo/work").is_dir());
    b.submit("/.web/c/work/delete", &[("confirm", "yes")])
        .expect(303);
    assert!(!srv.file("demo/work").exists());
    let trash = b.get("/.web/trash").text();
    let id = trash
        .split("/.web/trash/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a trash entry")
        .to_string();
    // Alice cannot restore or purge demo's entry, nor see it.
    assert!(!alice.get("/.web/trash").text().contains(&id));
    alice
        .submit(&format!("/.web/trash/{id}/restore"), &[])
        .expect(404);
    alice
        .submit(&format!("/.web/trash/{id}/purge"), &[])
        .expect(404);
    alice
        .submit(&format!("/.web/trash/{id}/purge"), &[("confirm", "yes")])
        .expect(404);
    let climbing = format!("/.web/trash/..%2F..%2Fdemo%2F.trash%2F{id}/restore");
    alice.submit(&climbing, &[]).expect(404);
    b.submit(&format!("/.web/trash/{id}/restore"), &[])
        .expect(303);
    assert!(srv.file("demo/work").is_dir());
    b.submit("/.web/c/work/delete", &[("confirm", "yes")])
        .expect(303);
    let trash = b.get("/.web/trash").text();
    let id = trash
        .split("/.web/trash/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    let confirm = b
        .submit(&format!("/.web/trash/{id}/purge"), &[])
        .expect(200)
        .text();
    assert!(confirm.contains("cannot be undone"), "{confirm}");
    assert!(!b.get("/.web/trash").text().contains("trash-empty"));
    b.submit(&format!("/.web/trash/{id}/purge"), &[("confirm", "yes")])
        .expect(303);
    assert!(b.get("/.web/trash").text().contains("trash-empty"));
}

/// The import runs as a job of its user: the form is answered at once with
/// its page, which shows progress and then the report; only its owner sees
/// it, and the owner runs one import at a time.
#[test]
fn an_import_is_a_job_whose_page_only_its_owner_sees() {
    const EVENTS: usize = 5_000;
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let events: Vec<(String, String)> = (0..EVENTS)
        .map(|i| (format!("job-{i}@x"), format!("Event {i}")))
        .collect();
    let refs: Vec<(&str, &str)> = events
        .iter()
        .map(|(u, s)| (u.as_str(), s.as_str()))
        .collect();
    let file = calendar_of(&refs);
    let job = start_import(&b, "", "Big.ics", &file);

    // A second import while the first runs is refused, and says why; the
    // job's page, asked after it, shows whether the first still ran then.
    let small = calendar_of(&[("other@x", "Other")]);
    let (content_type, body) = multipart(&b.csrf(), "", "other.ics", &small);
    let second = srv
        .request_as(None, "POST", "/.web/import")
        .header("Cookie", b.cookie.clone().unwrap())
        .header("Content-Type", content_type)
        .body(body)
        .fetch();
    let page = b.get(&job);
    page.expect(200);
    if page.text().contains("http-equiv=\"refresh\"") {
        second.expect(400);
        assert!(
            second
                .text()
                .contains("an import of yours is still running"),
            "{}",
            second.text()
        );
        assert!(page.text().contains("import-progress"), "{}", page.text());
    } else {
        eprintln!("the first import finished before the second was posted");
    }

    // Another user, and no session, see nothing of it.
    let mut alice = Browser::new(&srv);
    alice.login("alice", "alice").expect(303);
    alice.get(&job).expect(404);
    alice.get("/.web/import/not-a-job").expect(404);
    let anonymous = Browser::new(&srv).get(&job);
    anonymous.expect(303);

    let report = finished(&b, &job);
    report.expect(200);
    let text = report.text();
    assert!(text.contains("import-report"), "{text}");
    assert!(text.contains(&format!("{EVENTS} created")), "{text}");
    assert!(text.contains("0 skipped"), "{text}");
    assert!(text.contains("Import into Big"), "{text}");
    assert_eq!(ics_names(&srv.file("demo/Big")).len(), EVENTS);
    // The report stays at its address once the import is done, and the
    // user may import again.
    assert!(b.get(&job).text().contains(&format!("{EVENTS} created")));
    let again = import(&b, "Big", "Big.ics", &small).text();
    assert!(again.contains("1 created"), "{again}");
    alice.get(&job).expect(404);
}
