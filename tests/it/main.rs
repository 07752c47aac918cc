//! All integration tests in one binary, so the crate is linked into one test
//! executable instead of one per file. Each former `tests/X.rs` (or
//! `tests/X/`) is a module here; run one area with
//! `cargo test --test it X::`. Every module reaches the shared harness with
//! `use crate::common::*`.

mod common;

mod accounts;
mod auth;
mod backup;
mod base_path;
mod birthdays;
mod caldav_query_table;
mod carddav_gaps;
mod carddav_methods;
mod carddav_reports;
mod conditional;
mod conformance;
mod copy_move;
mod durability;
mod hand_edits;
mod hostile_auth;
mod hostile_errors;
mod hostile_http;
mod hostile_ical;
mod hostile_sharing;
mod hostile_store;
mod import;
mod large_objects;
mod legacy_cache;
mod live_props;
mod mkcalendar;
mod newcomer;
mod objects;
mod poll_watch;
mod principal_search;
mod proppatch;
mod push;
mod query_index;
mod reports;
mod scheduling;
mod scheduling_freebusy;
mod sharing;
mod tls;
mod trash;
mod web;
mod webdav;
