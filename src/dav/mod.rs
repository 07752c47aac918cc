//! The WebDAV/CalDAV protocol layer: names, paths and XML bodies. It has no
//! disk access of its own; `http` joins it to the store.
pub mod color;
pub mod href;
pub mod multistatus;
pub mod property;
pub mod text_match;
pub mod xml;
