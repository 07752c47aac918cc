//! The contact (CardDAV) part of the benchmark: an address book of N
//! generated vCards (3.0 and 4.0, a few percent with photos of 20-100 KB),
//! served by davdir next to the calendar of the largest size (so its peak RSS
//! is that of calendars plus contacts) and by the peer on its own, with the
//! requests address book clients make. Kept apart from the calendar phases so
//! each can change without touching the other.
//!
//! A phase the server refuses (an HTTP status other than the expected one on
//! its first request) is reported as n/a with that status, not as a failure,
//! so the table shows what is missing while CardDAV is being built.

use super::*;

mod data;
mod phases;
mod report;

pub use data::*;
pub use phases::*;
pub use report::*;

/// The contact run of one bench invocation.
pub struct ContactRun {
    pub book: Book,
    /// Calendar objects davdir served alongside.
    pub cal_n: usize,
    pub ours: Outcome,
    pub peer: Option<Result<Outcome, String>>,
}

/// Writes the bench user's address book of `n` contacts into davdir's data
/// directory `data`, as the bench serves it (and `--generate` leaves it).
pub fn write_book(data: &Path, n: usize) -> Res<Book> {
    let dir = data.join(USER).join(BOOK);
    let book = generate_book(&dir, n, (".addressbook.toml", ""))?;
    fs::write(dir.join("displayname"), "Contacts").map_err(|e| e.to_string())?;
    Ok(book)
}

/// Generates the address book for davdir (into its data dir, next to the
/// calendar) and for the peer (a store of its own), and runs both.
pub fn bench_contacts(opts: &Opts, root: &Path, data: &Path, cal_n: usize) -> Res<ContactRun> {
    let t = Instant::now();
    let book = write_book(data, opts.contacts)?;
    eprintln!(
        "generated {} contacts ({} with photos) in {:.1} s",
        book.n,
        book.photos,
        t.elapsed().as_secs_f64()
    );
    let mut ours = Server {
        flavor: Flavor::Davdir,
        bin: opts.davdir.clone(),
        root: data.to_path_buf(),
        log: root.join("davdir-contacts.log"),
        child: None,
        _stdout: None,
        base: String::new(),
    };
    let ours_out = run_contacts(&mut ours, &book, cal_n, Plan::for_server(false, opts.quick))
        .map_err(|e| {
            format!(
                "davdir contacts: {e}\n--- log tail ---\n{}",
                ours.log_tail()
            )
        })?;
    drop(ours);
    let radicale = opts
        .peers
        .iter()
        .find(|(flavor, _)| *flavor == Flavor::Radicale)
        .map(|(_, bin)| bin);
    let peer = radicale.map(|bin| {
        let store = root.join("radicale-contacts");
        let dir = store.join("collection-root").join(USER).join(BOOK);
        let props = r#"{"tag": "VADDRESSBOOK", "D:displayname": "Contacts"}"#;
        generate_book(&dir, opts.contacts, (".Radicale.props", props)).and_then(|_| {
            let mut server = Server {
                flavor: Flavor::Radicale,
                bin: bin.clone(),
                root: store.clone(),
                log: root.join("radicale-contacts.log"),
                child: None,
                _stdout: None,
                base: String::new(),
            };
            run_contacts(&mut server, &book, 0, Plan::for_server(true, opts.quick))
                .map_err(|e| format!("{e}\n--- log tail ---\n{}", server.log_tail()))
        })
    });
    if let Some(Err(e)) = &peer {
        eprintln!("Radicale contacts failed: {e}");
    }
    Ok(ContactRun {
        book,
        cal_n,
        ours: ours_out,
        peer,
    })
}

/// Runs the contact phases once, at the largest calendar size `n`.
pub fn at_largest(opts: &Opts, root: &Path, data: &Path, n: usize, run: &mut Option<ContactRun>) {
    let largest = opts.sizes.iter().copied().max().unwrap_or(0);
    if opts.contacts == 0 || n != largest || run.is_some() {
        return;
    }
    match bench_contacts(opts, root, data, n) {
        Ok(r) => *run = Some(r),
        Err(e) => eprintln!("contacts failed: {e}"),
    }
}
