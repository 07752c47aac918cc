//! The WebDAV/CalDAV protocol layer.
pub mod xml;
