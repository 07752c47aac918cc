//! Carrying out a plan once the client's write is stored: each local
//! attendee's inbox message and calendar copy, replies applied to the
//! organizer's copy and passed on to the other attendees, and what goes to
//! the `External` sender. Apart from planning (`super`) because planning
//! runs before the write and must never touch another user's files.

use super::*;

impl Scheduler {
    /// Sends what a write that succeeded planned. Failures are logged: the
    /// write is made, and the organizer's SCHEDULE-STATUS says what was
    /// attempted.
    pub fn deliver(&self, plan: Plan) {
        match plan {
            Plan::Nothing => {}
            Plan::Organizer {
                sends, from, hint, ..
            } => {
                let (local, outside): (Vec<_>, Vec<_>) =
                    sends.into_iter().partition(|s| s.user.is_some());
                // Each local delivery waits on its own fsyncs: side by side,
                // a few at a time, the PUT waits about as long as for one.
                for batch in local.chunks(PARALLEL) {
                    std::thread::scope(|scope| {
                        for s in batch {
                            let hint = &hint;
                            scope.spawn(move || {
                                let u = s.user.as_deref().unwrap_or_default();
                                let message = itip::organizer_message(&s.text, s.method);
                                if let Err(e) = self.deliver_local(u, s, &message, hint) {
                                    tracing::warn!("scheduling: delivery to {u} failed: {e}");
                                }
                            });
                        }
                    });
                }
                for s in outside {
                    let message = itip::organizer_message(&s.text, s.method);
                    self.external.send(&Outgoing {
                        method: s.method,
                        from: &from,
                        to: &s.to,
                        ics: &message,
                    });
                }
            }
            Plan::ReplyOutside { to, from, reply } => self.external.send(&Outgoing {
                method: Method::Reply,
                from: &from,
                to: &to,
                ics: &reply,
            }),
            Plan::Reply {
                organizer,
                organizer_address,
                from: _,
                hint,
                reply,
            } => {
                if let Err(e) = self.deliver_reply(&organizer, &organizer_address, &reply, &hint) {
                    tracing::warn!("scheduling: reply to {organizer} failed: {e}");
                }
            }
        }
    }

    /// A REQUEST or CANCEL for a local attendee: his copy updated (or made
    /// in his default calendar), and the message in his inbox.
    fn deliver_local(
        &self,
        user: &str,
        s: &Delivery,
        message: &str,
        hint: &str,
    ) -> Result<(), StoreError> {
        self.store.ensure_home(user)?;
        let home = self.store.home_dir(user)?;
        let found = self.find_copy(user, &itip::facts(&s.text).uid, hint)?;
        // His object of that UID is another's (his own private event, or
        // an event someone else organizes): a UID is no authority over it.
        if let Some((_, file, mine, _)) = &found {
            let org = itip::facts(&s.text).organizer.unwrap_or_default();
            if !organized_by(mine, &org) {
                return Err(StoreError::Io(std::io::Error::other(format!(
                    "{user}'s {file} has the UID of {org}'s message but is not organized \
                     by {org}; left alone"
                ))));
            }
        }
        // The message and the copy are written side by side (each waits on
        // its own fsyncs).
        std::thread::scope(|scope| {
            let inbox = scope.spawn(|| Inbox::in_home(&home).deliver(message.as_bytes()));
            let copied = self.update_copy(user, s, hint, found);
            let delivered = inbox.join().unwrap_or_else(|_| {
                Err(StoreError::Io(std::io::Error::other(
                    "inbox write panicked",
                )))
            });
            copied.and(delivered.map(drop))
        })
    }

    /// The attendee's copy after a REQUEST (made, or updated keeping his
    /// PARTSTAT) or a CANCEL (marked cancelled, if he has one); made again
    /// from his latest version if he edits it meanwhile.
    fn update_copy(
        &self,
        user: &str,
        s: &Delivery,
        hint: &str,
        found: Option<Found>,
    ) -> Result<(), StoreError> {
        if s.method == Method::Cancel && found.is_none() {
            return Ok(());
        }
        let (cal, name, seen) = match found {
            Some((cal, name, text, etag)) => (cal, name, Some((text, etag))),
            None => {
                let calendar = crate::schedule::default_calendar(&self.store, user, true)?
                    .ok_or(StoreError::NotFound)?;
                let cal = self.store.collection(user, &calendar)?;
                let name = match cal.meta(hint)? {
                    None if crate::store::names::is_object_name(hint) => hint.to_string(),
                    _ => format!("{}.ics", uuid::Uuid::new_v4()),
                };
                (cal, name, None)
            }
        };
        let org = itip::facts(&s.text).organizer.unwrap_or_default();
        rewrite::rewrite(&cal, &name, seen, |mine| match (s.method, mine) {
            // Become another's object meanwhile: left alone.
            (_, Some(m)) if !organized_by(m, &org) => None,
            (Method::Cancel, Some(m)) => Some(itip::cancelled(m)),
            (Method::Cancel, None) => None,
            _ => Some(itip::attendee_copy(&s.text, mine, &s.to)),
        })?;
        Ok(())
    }

    /// A REPLY for the local `organizer` (from a local attendee, or one
    /// that came by mail): applied to his copy of the event, and put in his
    /// inbox. False, with nothing written, when he has no event of that UID
    /// or it does not list the replying attendee (`itip::apply_reply`).
    /// `hint`: the organizer's object name, if known ("" otherwise).
    pub fn deliver_reply(
        &self,
        organizer: &str,
        organizer_address: &str,
        reply: &str,
        hint: &str,
    ) -> Result<bool, StoreError> {
        let uid = itip::facts(reply).uid;
        let Some((cal, name, text, etag)) = self.find_copy(organizer, &uid, hint)? else {
            return Ok(false);
        };
        // Applied to his latest version: an edit of his stored meanwhile
        // is kept.
        let applied = rewrite::rewrite(&cal, &name, Some((text, etag)), |text| {
            let text = text.filter(|t| organized_by(t, organizer_address))?;
            itip::apply_reply(text, reply)
        })?;
        if !applied {
            return Ok(false);
        }
        let home = self.store.home_dir(organizer)?;
        Inbox::in_home(&home).deliver(reply.as_bytes())?;
        if let Some((now, _)) = rewrite::read(&cal, &name)? {
            let replier = itip::facts(reply)
                .attendees
                .first()
                .map(|a| a.address.clone());
            self.share_answers(
                organizer,
                organizer_address,
                &now,
                replier.as_deref(),
                &name,
            );
        }
        Ok(true)
    }

    /// After a reply is applied to the organizer's copy (`org_text`), the
    /// other local attendees' copies get everyone's answers but their own
    /// (RFC 6638 §3.2.2 lets the server keep attendee copies current).
    /// Quiet: no inbox message, nothing sent outside. Bounded by the
    /// event's local attendees (at most [`MAX_ATTENDEES`]).
    fn share_answers(
        &self,
        organizer: &str,
        organizer_address: &str,
        org_text: &str,
        replier: Option<&str>,
        hint: &str,
    ) {
        let f = itip::facts(org_text);
        let replier = replier.and_then(|r| self.user_of(r));
        let mut users: Vec<String> = Vec::new();
        for a in f
            .attendees
            .iter()
            .filter(|a| a.by_server)
            .take(MAX_ATTENDEES)
        {
            let Some(u) = self.user_of(&a.address) else {
                continue;
            };
            if u != organizer && Some(&u) != replier.as_ref() && !users.contains(&u) {
                users.push(u);
            }
        }
        for batch in users.chunks(PARALLEL) {
            std::thread::scope(|scope| {
                for u in batch {
                    let uid = &f.uid;
                    scope.spawn(move || {
                        let done = self.take_answers(u, organizer_address, org_text, uid, hint);
                        if let Err(e) = done {
                            tracing::warn!("scheduling: answers to {u}'s copy failed: {e}");
                        }
                    });
                }
            });
        }
    }

    /// `user`'s copy of the organizer's event with the others' answers of
    /// `org_text`, his own kept; through the conditional rewrite, so an
    /// edit of his made meanwhile is kept too.
    fn take_answers(
        &self,
        user: &str,
        organizer_address: &str,
        org_text: &str,
        uid: &str,
        hint: &str,
    ) -> Result<(), StoreError> {
        let Some((cal, name, text, etag)) = self.find_copy(user, uid, hint)? else {
            return Ok(());
        };
        rewrite::rewrite(&cal, &name, Some((text, etag)), |mine| {
            let mine = mine.filter(|m| organized_by(m, organizer_address))?;
            itip::others_answers(mine, org_text, |a| !self.mine(user, a))
        })?;
        Ok(())
    }

    /// The user's object of this UID in any of his own calendars: a lookup
    /// per calendar (`hint` first), never a scan of their objects.
    pub fn find_copy(
        &self,
        user: &str,
        uid: &str,
        hint: &str,
    ) -> Result<Option<Found>, StoreError> {
        if uid.is_empty() || !self.store.home_exists(user) {
            return Ok(None);
        }
        for (name, kind) in self.store.collection_names(user)? {
            if kind != crate::store::CollectionKind::Calendar || self.store.is_derived_name(&name) {
                continue;
            }
            let Ok(cal) = self.store.collection(user, &name) else {
                continue;
            };
            if let Some(file) = cal.find_uid(uid, hint)? {
                if let Some((text, etag)) = rewrite::read(&cal, &file)? {
                    return Ok(Some((cal, file, text, etag)));
                }
            }
        }
        Ok(None)
    }
}
