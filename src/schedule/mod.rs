//! RFC 6638 scheduling between the server's users: who has which
//! calendar-user address (`addresses`). It sits beside `accounts` and
//! `push`: it uses the store and the iCalendar model, and the HTTP layer
//! calls it.

pub mod addresses;

pub use addresses::Addresses;
