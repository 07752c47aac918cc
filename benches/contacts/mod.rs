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
/// calendar) and for the peer (a store of its own), starts both, times the
/// queries on both in turns (`interleaved`), then runs the other phases on
/// one server at a time.
pub fn bench_contacts(opts: &Opts, root: &Path, data: &Path, cal_n: usize) -> Res<ContactRun> {
    let t = Instant::now();
    let book = write_book(data, opts.contacts)?;
    eprintln!(
        "generated {} contacts ({} with photos) in {:.1} s",
        book.n,
        book.photos,
        t.elapsed().as_secs_f64()
    );
    let n = book.n;
    let mut ours = Server {
        flavor: Flavor::Davdir,
        bin: opts.davdir.clone(),
        root: data.to_path_buf(),
        log: root.join("davdir-contacts.log"),
        child: None,
        _stdout: None,
        base: String::new(),
    };
    let radicale = opts
        .peers
        .iter()
        .find(|(flavor, _)| *flavor == Flavor::Radicale)
        .map(|(_, bin)| bin);
    let mut theirs = radicale.map(|bin| {
        let store = root.join("radicale-contacts");
        let dir = store.join("collection-root").join(USER).join(BOOK);
        let props = r#"{"tag": "VADDRESSBOOK", "D:displayname": "Contacts"}"#;
        generate_book(&dir, opts.contacts, (".Radicale.props", props)).map(|_| Server {
            flavor: Flavor::Radicale,
            bin: bin.clone(),
            root: store.clone(),
            log: root.join("radicale-contacts.log"),
            child: None,
            _stdout: None,
            base: String::new(),
        })
    });
    let ours_failed = |ours: &Server, e: String| {
        format!(
            "davdir contacts: {e}\n--- log tail ---\n{}",
            ours.log_tail()
        )
    };
    let peer_failed =
        |peer: &Server, e: String| format!("{e}\n--- log tail ---\n{}", peer.log_tail());
    let (ours_plan, peer_plan) = (
        Plan::for_server(false, opts.quick),
        Plan::for_server(true, opts.quick),
    );
    let c = client();
    settle_disk();
    let mut ours_out = Outcome::default();
    let ours_up = start_contacts(&mut ours, &c, &book, cal_n, &mut ours_out)
        .map_err(|e| ours_failed(&ours, e))?;
    let mut peer_out = Outcome::default();
    // The peer's result so far: Ok(served) or why it failed.
    let mut peer_state: Option<Result<bool, String>> = theirs.as_mut().map(|s| match s {
        Ok(server) => {
            start_contacts(server, &c, &book, 0, &mut peer_out).map_err(|e| peer_failed(server, e))
        }
        Err(e) => Err(e.clone()),
    });

    {
        let mut who = Vec::new();
        if ours_up {
            who.push(interleaved::Contestant::new(
                &ours,
                book_url(&ours),
                n,
                ours_plan,
                &mut ours_out,
            ));
        }
        if let (Some(Ok(true)), Some(Ok(server))) = (&peer_state, &theirs) {
            who.push(interleaved::Contestant::new(
                server,
                book_url(server),
                n,
                peer_plan,
                &mut peer_out,
            ));
        }
        with_queries(n, |queries| {
            interleaved::time_in_turns(&c, &mut who, queries)
        });
        for w in who {
            match (w.failed, w.server.flavor) {
                (Some(e), Flavor::Davdir) => return Err(ours_failed(w.server, e)),
                (Some(e), _) => peer_state = Some(Err(peer_failed(w.server, e))),
                (None, _) => {}
            }
        }
    }

    if ours_up {
        finish_contacts(&mut ours, &c, n, ours_plan, &mut ours_out)
            .map_err(|e| ours_failed(&ours, e))?;
    }
    drop(ours);
    let peer = match (peer_state, theirs.as_mut()) {
        (Some(Ok(true)), Some(Ok(server))) => Some(
            finish_contacts(server, &c, n, peer_plan, &mut peer_out)
                .map(|()| peer_out)
                .map_err(|e| peer_failed(server, e)),
        ),
        (Some(Ok(_)), _) => Some(Ok(peer_out)),
        (Some(Err(e)), _) => Some(Err(e)),
        (None, _) => None,
    };
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
