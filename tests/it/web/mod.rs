//! The web page over real HTTP against the real binary: login, sessions,
//! CSRF, rate limiting without lockouts, isolation between users, cookies
//! behind a proxy, and the collection forms. A small cookie jar (`browser`) stands in for
//! the browser; tests/python/test_web.py drives a real one.

mod accounts;
mod browser;
mod collections;
mod data;
mod devices;
mod lockout;
mod security;
mod session;
mod sharing;
mod upload_memory;
