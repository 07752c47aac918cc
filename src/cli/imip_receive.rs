//! `davdir imip-receive`: one mail on stdin, from an MTA's pipe or alias,
//! carrying an outside attendee's iTIP REPLY (RFC 6047). It is applied to
//! the local organizer's copy of the event only when every check holds
//! (the organizer is a local user, the UID names his event, the replier is
//! an attendee of it and the mail is From him); the file is rewritten
//! atomically beside the running server, whose watcher picks it up, and the
//! REPLY goes to the organizer's inbox, both by scheduling's
//! `deliver_reply`, as for a local attendee's answer.
//! Exit 0 applied, 1 refused (the reason on stderr, which the MTA puts in
//! its bounce), 2 bad settings, 75 (EX_TEMPFAIL) trouble here that a later
//! delivery may not meet, so the MTA tries again.

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::store::open_store;
use super::SettingsArgs;
use crate::accounts::users::HtpasswdFile;
use crate::imip::incoming::{read_reply, MAX_MESSAGE};
use crate::schedule::implicit::{NoExternal, Scheduler};
use crate::schedule::itip::{self, same_address};
use crate::schedule::Addresses;
use crate::state_dir::StateDir;

#[derive(Args, Debug)]
pub struct ImipReceiveArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// sysexits' EX_TEMPFAIL: MTAs keep the mail and deliver it again later.
const TEMPFAIL: u8 = 75;

/// The answers an attendee can give to an event (RFC 5545 §3.2.12).
const PARTSTATS: &[&str] = &[
    "ACCEPTED",
    "DECLINED",
    "TENTATIVE",
    "DELEGATED",
    "NEEDS-ACTION",
];

/// How one mail ended.
enum Outcome {
    Applied(String),
    Refused(String),
    Settings(String),
    Trouble(String),
}

pub fn run(args: ImipReceiveArgs) -> ExitCode {
    match receive(&args) {
        Outcome::Applied(what) => {
            eprintln!("davdir imip-receive: {what}");
            ExitCode::SUCCESS
        }
        Outcome::Refused(why) => {
            eprintln!("davdir imip-receive: refused: {why}");
            ExitCode::FAILURE
        }
        Outcome::Settings(why) => {
            eprintln!("davdir imip-receive: {why}");
            ExitCode::from(2)
        }
        Outcome::Trouble(why) => {
            eprintln!("davdir imip-receive: {why}");
            ExitCode::from(TEMPFAIL)
        }
    }
}

fn receive(args: &ImipReceiveArgs) -> Outcome {
    use Outcome::*;
    // Read before the store is opened, which may give up root.
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut raw)
    {
        return Trouble(format!("cannot read the message: {e}"));
    }
    let mail = match read_reply(&raw) {
        Ok(m) => m,
        Err(e) => return Refused(e.to_string()),
    };
    let reply = itip::facts(&mail.calendar);
    let who = match reply.attendees.as_slice() {
        [one] => one.clone(),
        other => {
            return Refused(format!(
                "a REPLY names exactly one ATTENDEE, this one {}",
                other.len()
            ))
        }
    };
    if !same_address(&who.address, &mail.from) {
        return Refused(format!(
            "the mail is From {}, not from the replying attendee {}",
            mail.from, who.address
        ));
    }
    if !PARTSTATS.contains(&who.partstat.as_str()) {
        return Refused(format!("PARTSTAT {} is no answer", who.partstat));
    }
    let Some(organizer) = reply.organizer.clone() else {
        return Refused("the REPLY has no ORGANIZER".into());
    };
    if reply.uid.is_empty() {
        return Refused("the REPLY has no UID".into());
    }
    let config = match args.settings.file_config() {
        Ok(c) => c,
        Err(e) => return Settings(e.to_string()),
    };
    // The accounts, read while still root if run so (the file is root's).
    let users = match &config.htpasswd {
        Some(path) => match HtpasswdFile::new(path.clone()).list() {
            Ok(list) => Some(list),
            Err(e) => return Trouble(e.to_string()),
        },
        None => None,
    };
    let Ok(scratch) = tempfile::tempdir() else {
        return Trouble("cannot make a scratch directory".into());
    };
    let store = match open_store(&args.settings, Some(scratch.path())) {
        Ok(s) => s,
        Err(e) => return Trouble(e),
    };
    if let Some(users) = users {
        store.set_user_check(Arc::new(move |u: &str| users.iter().any(|x| x == u)));
    }
    // Only read: a state directory the server has not made yet holds no
    // given addresses, and is not made here (it would be this process's).
    let state = super::accounts::state_path(&config);
    let dir = match state.is_dir().then(|| StateDir::open(&state)).transpose() {
        Ok(d) => d,
        Err(e) => return Trouble(format!("state directory {}: {e}", state.display())),
    };
    let addresses = Arc::new(Addresses::open(dir, config.email_domain.clone()));
    let Some(user) = addresses.user_of(&organizer, |u| store.is_user(u)) else {
        return Refused(format!(
            "the ORGANIZER {organizer} is no user of this server"
        ));
    };
    let scheduler = Scheduler::new(store.clone(), addresses, Box::new(NoExternal));
    let (_, name, text, _) = match scheduler.find_copy(&user, &reply.uid, "") {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Refused(format!(
                "no event of UID {} in the calendars of {user}",
                reply.uid
            ))
        }
        Err(e) => return Trouble(e.to_string()),
    };
    let mine = itip::facts(&text);
    if !mine
        .organizer
        .as_deref()
        .is_some_and(|o| same_address(o, &organizer))
    {
        return Refused(format!(
            "the event {} of {user} is not organized by {organizer}",
            reply.uid
        ));
    }
    if mine.attendee(&who.address).is_none() {
        return Refused(format!(
            "{} is not an attendee of the event {}",
            who.address, reply.uid
        ));
    }
    // Applied (organizer's copy rewritten atomically, REPLY in his inbox)
    // as a local attendee's answer is.
    match scheduler.deliver_reply(&user, &organizer, &mail.calendar, &name) {
        Ok(true) => {}
        Ok(false) => return Refused("the REPLY does not apply to the event".into()),
        Err(e) => return Trouble(e.to_string()),
    }
    Applied(format!(
        "{} {} the event {} of {user}",
        who.address,
        who.partstat.to_ascii_lowercase(),
        reply.uid
    ))
}
