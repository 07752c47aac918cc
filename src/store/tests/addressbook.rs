//! Store behaviour of address books without HTTP: the kind of a directory,
//! contacts as objects, the marker that keeps the kind, kind-safe
//! transfers, properties, the saved index and the watcher.

use super::super::*;
use super::support::{event, names, store};
use crate::{ical, vcard};
use std::time::{Duration, Instant};

fn card(uid: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:Zoë {uid}\r\nBDAY:--0704\r\nEND:VCARD\r\n"
    )
}

fn put_card(ab: &Collection, name: &str, body: &str) -> Result<PutOutcome> {
    ab.put(
        name,
        body.as_bytes(),
        vcard::inspect(body.as_bytes()).unwrap(),
        |_| true,
    )
}

#[test]
fn a_directory_of_vcf_files_is_an_address_book() {
    let (d, store) = store();
    let dir = d.path().join("u/khard");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("a.vcf"), card("a")).unwrap();
    fs::write(
        dir.join("bad.vcf"),
        "BEGIN:VCARD\r\nVERSION:2.1\r\nUID:x\r\nEND:VCARD\r\n",
    )
    .unwrap();
    assert_eq!(
        store.collection_names("u").unwrap(),
        vec![
            (DEFAULT_CALENDAR.to_string(), CollectionKind::Calendar),
            ("khard".to_string(), CollectionKind::AddressBook)
        ]
    );
    // Calendar code never sees it.
    assert_eq!(store.calendar_names("u").unwrap(), vec![DEFAULT_CALENDAR]);
    assert!(matches!(
        store.calendar("u", "khard"),
        Err(StoreError::NotFound)
    ));
    let ab = store.collection("u", "khard").unwrap();
    assert_eq!(ab.kind(), CollectionKind::AddressBook);
    assert_eq!(names(&ab), vec!["a.vcf"]);
    let meta = ab.meta("a.vcf").unwrap().unwrap();
    assert_eq!(
        meta.info,
        IndexedInfo::Contact {
            uid_hash: index::uid_hash("a"),
            search: Some(Box::from("\u{1d}F\u{1f}Zoë a"))
        }
    );
    assert_eq!(meta.info.component(), None);
    let problems = ab.problems().unwrap();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].1.contains("version \"2.1\""), "{problems:?}");
    // A calendar file dropped in makes it mixed: a calendar (no marker),
    // whose index then holds the .ics and not the contacts.
    fs::write(dir.join("e.ics"), event("e")).unwrap();
    let cal = store.collection("u", "khard").unwrap();
    assert_eq!(cal.kind(), CollectionKind::Calendar);
    assert_eq!(names(&cal), vec!["e.ics"]);
    assert!(cal.problems().unwrap().is_empty());
    // Emptied of its .ics by hand, it is an address book again at once.
    fs::remove_file(dir.join("e.ics")).unwrap();
    assert_eq!(
        store.collection("u", "khard").unwrap().kind(),
        CollectionKind::AddressBook
    );
    fs::write(dir.join("e.ics"), event("e")).unwrap();
    // The marker decides again, and the ignored .ics is reported.
    fs::write(dir.join(ADDRESSBOOK_MARKER), "").unwrap();
    let ab = store.collection("u", "khard").unwrap();
    assert_eq!(ab.kind(), CollectionKind::AddressBook);
    assert_eq!(names(&ab), vec!["a.vcf"]);
    assert_eq!(ab.kind().conflicts(ab.dir())[0].0, "e.ics");
}

#[test]
fn contacts_put_read_delete_with_uid_rules_per_address_book() {
    let (_d, store) = store();
    let ab = store.create_addressbook("u", "contacts", &[]).unwrap();
    assert!(ab.dir().join(ADDRESSBOOK_MARKER).is_file());
    assert_eq!(ab.kind(), CollectionKind::AddressBook);
    let out = put_card(&ab, "a.vcf", &card("a")).unwrap();
    assert!(out.created);
    assert_eq!(ab.read("a.vcf").unwrap().0, card("a").as_bytes());
    assert!(matches!(
        put_card(&ab, "b.vcf", &card("a")),
        Err(StoreError::UidConflict { .. })
    ));
    // The same UID in another address book is fine.
    let other = store.create_addressbook("u", "other", &[]).unwrap();
    put_card(&other, "b.vcf", &card("a")).unwrap();
    // Wrong kind of data, wrong extension.
    let ev = ical::inspect(event("e").as_bytes()).unwrap();
    assert!(matches!(
        ab.put("e.vcf", event("e").as_bytes(), ev.clone(), |_| true),
        Err(StoreError::WrongKind {
            expected: CollectionKind::AddressBook,
            found: CollectionKind::Calendar
        })
    ));
    assert!(matches!(
        put_card(&ab, "c.ics", &card("c")),
        Err(StoreError::InvalidName(_))
    ));
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    assert!(matches!(
        put_card(&cal, "c.vcf", &card("c")),
        Err(StoreError::WrongKind { .. })
    ));
    ab.delete("a.vcf", |_| true).unwrap();
    assert!(names(&ab).is_empty());
}

#[test]
fn removing_the_last_contact_keeps_the_kind() {
    let (d, store) = store();
    let dir = d.path().join("u/book");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("a.vcf"), card("a")).unwrap();
    fs::write(dir.join("b.vcf"), card("b")).unwrap();
    let ab = store.collection("u", "book").unwrap();
    ab.delete("a.vcf", |_| true).unwrap();
    assert!(
        !dir.join(ADDRESSBOOK_MARKER).exists(),
        "not the last one yet"
    );
    // Moved away to another address book: the last one leaves.
    let to = store.create_addressbook("u", "to", &[]).unwrap();
    store
        .transfer_object(
            &ab,
            "b.vcf",
            &to,
            "b.vcf",
            Overwrite::Refuse,
            Transfer::Move,
        )
        .unwrap();
    assert!(dir.join(ADDRESSBOOK_MARKER).is_file());
    let ab = store.collection("u", "book").unwrap();
    assert_eq!(ab.kind(), CollectionKind::AddressBook);
    assert!(names(&ab).is_empty());
    assert_eq!(names(&to), vec!["b.vcf"]);
}

#[test]
fn transfers_stay_within_one_kind() {
    let (_d, store) = store();
    let a = store.create_addressbook("u", "a", &[]).unwrap();
    let b = store
        .create_collection(CollectionKind::AddressBook, "u", "b", &[])
        .unwrap();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put_card(&a, "x.vcf", &card("x")).unwrap();
    store
        .transfer_object(&a, "x.vcf", &b, "y.vcf", Overwrite::Refuse, Transfer::Copy)
        .unwrap();
    assert_eq!(names(&b), vec!["y.vcf"]);
    assert!(matches!(
        store.transfer_object(
            &a,
            "x.vcf",
            &cal,
            "x.ics",
            Overwrite::Replace,
            Transfer::Move
        ),
        Err(StoreError::WrongKind {
            expected: CollectionKind::Calendar,
            ..
        })
    ));
    assert!(matches!(
        store.transfer_object(&a, "x.vcf", &b, "z.ics", Overwrite::Replace, Transfer::Copy),
        Err(StoreError::InvalidName(_))
    ));
    // Whole collections: a copy keeps the kind; a calendar never replaces
    // an address book.
    store
        .copy_collection("u", "a", "a2", Overwrite::Refuse, Members::Included)
        .unwrap();
    let a2 = store.collection("u", "a2").unwrap();
    assert_eq!(
        (a2.kind(), names(&a2)),
        (CollectionKind::AddressBook, vec!["x.vcf".into()])
    );
    assert!(matches!(
        store.move_collection("u", DEFAULT_CALENDAR, "a", Overwrite::Replace),
        Err(StoreError::WrongKind { .. })
    ));
    assert!(matches!(
        store.copy_collection(
            "u",
            DEFAULT_CALENDAR,
            "a",
            Overwrite::Replace,
            Members::Included
        ),
        Err(StoreError::WrongKind { .. })
    ));
    store
        .move_collection("u", "a2", "a3", Overwrite::Refuse)
        .unwrap();
    store.delete_collection("u", "a3").unwrap();
    assert_eq!(store.collection_names("u").unwrap().len(), 3);
}

#[test]
fn address_book_properties_live_in_its_own_files() {
    let (_d, store) = store();
    let ab = store
        .create_addressbook(
            "u",
            "contacts",
            &[
                PropChange::DisplayName(Some("Contacts".into())),
                PropChange::Description(Some("Friends".into())),
            ],
        )
        .unwrap();
    ab.set_props(&[PropChange::Order(Some(3))]).unwrap();
    let props = ab.props().unwrap();
    assert_eq!(props.displayname.as_deref(), Some("Contacts"));
    assert_eq!(props.description.as_deref(), Some("Friends"));
    assert_eq!(props.order(), Some(3));
    let toml = fs::read_to_string(ab.dir().join(ADDRESSBOOK_MARKER)).unwrap();
    assert!(toml.contains("order = 3"), "{toml}");
    assert!(!ab.dir().join(CALENDAR_MARKER).exists());
    assert_eq!(
        store.collection("u", "contacts").unwrap().kind(),
        CollectionKind::AddressBook
    );
}

#[test]
fn contact_index_survives_a_restart() {
    let (d, store) = store();
    let ab = store.create_addressbook("u", "contacts", &[]).unwrap();
    put_card(&ab, "a.vcf", &card("a")).unwrap();
    let token = ab.sync_token().unwrap();
    drop(ab);
    drop(store);
    let again = Store::open(d.path(), None).unwrap();
    let ab = again.collection("u", "contacts").unwrap();
    let changes = ab.changes_since(&token, None).unwrap().changes;
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(
        ab.meta("a.vcf").unwrap().unwrap().info.uid_hash(),
        index::uid_hash("a")
    );
}

#[test]
fn a_hand_written_contact_reaches_index_and_change_log_via_the_watcher() {
    let (_d, store) = store();
    let ab = store.create_addressbook("u", "contacts", &[]).unwrap();
    let token = ab.sync_token().unwrap();
    let _watch = watcher::spawn(store.clone()).unwrap();
    fs::write(ab.dir().join("hand.vcf"), card("hand")).unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    let seen = loop {
        let changes = ab.changes_since(&token, None).unwrap().changes;
        if changes
            .iter()
            .any(|c| matches!(c, SyncChange::Changed(n, _) if n == "hand.vcf"))
        {
            break true;
        }
        if Instant::now() > until {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(seen, "hand-written contact never reached the change log");
    assert_eq!(names(&ab), vec!["hand.vcf"]);
}

#[test]
fn just_after_a_write_a_marked_collection_opens_where_nothing_may_wait() {
    let (_d, store) = store();
    store.set_watched(true);
    let ab = store.create_addressbook("u", "contacts", &[]).unwrap();
    put_card(&ab, "a.vcf", &card("a")).unwrap();
    // Opened once: the kind is remembered for this directory version.
    store.collection("u", "contacts").unwrap();
    // A write changes the directory within the two seconds in which its
    // mtime cannot vouch for the kind; the marker can, with one stat.
    put_card(&ab, "b.vcf", &card("b")).unwrap();
    let opened = without_waiting(|| store.collection("u", "contacts")).unwrap();
    assert_eq!(opened.kind(), CollectionKind::AddressBook);
    let meta = without_waiting(|| opened.meta("b.vcf")).unwrap().unwrap();
    assert_eq!(meta.etag, ab.meta("b.vcf").unwrap().unwrap().etag);
    // A directory without marker or known witness still needs a listing.
    let bare = store.home_dir("u").unwrap().join("bare");
    fs::create_dir(&bare).unwrap();
    fs::write(bare.join("x.vcf"), card("x")).unwrap();
    assert!(matches!(
        without_waiting(|| store.collection("u", "bare")),
        Err(StoreError::WouldBlock)
    ));
}
