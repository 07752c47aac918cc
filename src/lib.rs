//! davdir: a CalDAV and CardDAV server whose storage is plain `.ics` and
//! `.vcf` files in vdir directories.
//!
//! Layers: [`store`] (files on disk), [`ical`] (iCalendar semantics),
//! [`dav`] (WebDAV/CalDAV names, paths and XML) and [`http`] (actix-web
//! handlers joining the protocol to the store).

pub mod accounts;
pub mod app;
pub mod birthdays;
pub mod bom;
pub mod cardquery;
pub mod check;
pub mod cli;
pub mod config;
pub mod dav;
pub mod demo;
pub mod export;
pub mod file_owner;
pub mod http;
pub mod ical;
pub mod imip;
pub mod import;
pub mod memory;
pub mod push;
pub mod query;
pub mod radicale_import;
pub mod router;
pub mod schedule;
pub mod state_dir;
pub mod store;
pub mod vcard;
pub mod web;
