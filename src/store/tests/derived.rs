//! The derived birthday calendar in the store, without HTTP or a watcher:
//! what it lists, which edits move its token, how names and UIDs shared
//! by two address books are served, and that it refuses writes.

use super::super::*;
use super::support::{self, names};
use crate::vcard;

fn card(uid: &str, fn_: &str, extra: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{fn_}\r\n{extra}END:VCARD\r\n")
}

fn put_card(ab: &Collection, name: &str, body: &str) {
    let info = vcard::inspect(body.as_bytes()).unwrap();
    ab.put(name, body.as_bytes(), info, |_| true).unwrap();
}

/// The shared test store with the birthday calendar on.
fn store() -> (tempfile::TempDir, Arc<Store>) {
    let (dir, store) = support::store();
    store.set_birthday_calendar(true);
    (dir, store)
}

#[test]
fn lists_events_of_every_address_book_and_moves_only_on_date_or_name_edits() {
    let (d, store) = store();
    let names_in_home: Vec<String> = store
        .collection_names("u")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    // No address book yet: no (empty) birthday calendar either.
    assert_eq!(names_in_home, [DEFAULT_CALENDAR]);
    assert!(matches!(
        store.calendar("u", BIRTHDAYS),
        Err(StoreError::NotFound)
    ));
    let a = store.create_addressbook("u", "a", &[]).unwrap();
    let b = store.create_addressbook("u", "b", &[]).unwrap();
    let names_in_home: Vec<String> = store
        .collection_names("u")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    // The derived calendar comes after the user's own.
    assert_eq!(names_in_home, ["a", "b", DEFAULT_CALENDAR, BIRTHDAYS]);
    put_card(&a, "jane.vcf", &card("jane", "Jane", "BDAY:19800102\r\n"));
    put_card(
        &b,
        "max.vcf",
        &card("max", "Max", "ANNIVERSARY:20000304\r\n"),
    );
    put_card(&b, "none.vcf", &card("none", "No Date", ""));
    let cal = store.calendar("u", BIRTHDAYS).unwrap();
    assert!(cal.is_derived());
    assert_eq!(names(&cal), ["jane-bday.ics", "max-anniversary.ics"]);
    let (bytes, meta) = cal.read("jane-bday.ics").unwrap();
    assert_eq!(meta.etag, Etag::of_bytes(&bytes));
    assert!(String::from_utf8(bytes).unwrap().contains("Birthday: Jane"));

    let t0 = cal.sync_token().unwrap();
    put_card(
        &a,
        "jane.vcf",
        &card("jane", "Jane", "BDAY:19800102\r\nNOTE:x\r\n"),
    );
    assert_eq!(cal.sync_token().unwrap(), t0, "an edit beside the dates");
    put_card(&a, "jane.vcf", &card("jane", "Jane", "BDAY:19800103\r\n"));
    let t1 = cal.sync_token().unwrap();
    assert_ne!(t1, t0);
    let changed = cal.changes_since(&t0, None).unwrap().changes;
    assert!(
        matches!(&changed[..], [SyncChange::Changed(n, _)] if n == "jane-bday.ics"),
        "{changed:?}"
    );
    b.delete("max.vcf", |_| true).unwrap();
    let changed = cal.changes_since(&t1, None).unwrap().changes;
    assert!(
        matches!(&changed[..], [SyncChange::Removed(n)] if n == "max-anniversary.ics"),
        "{changed:?}"
    );
    assert!(!d.path().join("u").join(BIRTHDAYS).exists());
}

#[test]
fn a_shared_file_name_gets_the_book_prefix_and_a_shared_uid_is_served_once() {
    let (_d, store) = store();
    let a = store.create_addressbook("u", "a", &[]).unwrap();
    let b = store.create_addressbook("u", "b", &[]).unwrap();
    put_card(&a, "p.vcf", &card("p1", "P One", "BDAY:19800102\r\n"));
    put_card(&b, "p.vcf", &card("p2", "P Two", "BDAY:19800102\r\n"));
    put_card(&a, "q.vcf", &card("q", "Q", "BDAY:19800102\r\n"));
    put_card(&b, "q2.vcf", &card("q", "Q", "BDAY:19800102\r\n"));
    let cal = store.calendar("u", BIRTHDAYS).unwrap();
    assert_eq!(names(&cal), ["b-p-bday.ics", "p-bday.ics", "q-bday.ics"]);
}

#[test]
fn writes_are_refused_and_off_the_name_is_ordinary() {
    let (d, store) = store();
    store.create_addressbook("u", "contacts", &[]).unwrap();
    let cal = store.calendar("u", BIRTHDAYS).unwrap();
    let refused = |r: Result<()>| assert!(matches!(r, Err(StoreError::Derived(_))), "{r:?}");
    refused(cal.delete("x.ics", |_| true));
    refused(cal.set_props(&[PropChange::DisplayName(Some("x".into()))]));
    refused(store.delete_collection("u", BIRTHDAYS));
    refused(store.create_calendar("u", BIRTHDAYS, &[]).map(|_| ()));
    refused(
        store
            .move_collection("u", DEFAULT_CALENDAR, BIRTHDAYS, Overwrite::Replace)
            .map(|_| ()),
    );
    assert!(!d.path().join("u").join(BIRTHDAYS).exists());
    store.set_birthday_calendar(false);
    assert!(store.calendar("u", BIRTHDAYS).is_err());
    let made = store.create_calendar("u", BIRTHDAYS, &[]).unwrap();
    assert!(!made.is_derived());
}
