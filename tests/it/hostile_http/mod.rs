//! Hostile requests at the HTTP and XML layer (issue 14, findings 3, 4, 10
//! and 12): deep or huge XML bodies, repeated property names, foreign COPY
//! destinations, slow and malformed connections; names and characters XML
//! does not allow, in bodies and in hand-edited dead properties, which must
//! never be echoed into a response that is not well-formed. Each probe
//! asserts the exact status it must get, that the server still answers
//! afterwards, and (through the fence) that nothing outside demo's home was
//! written or leaked.
//!
//! In topic modules: `bodies` (XML request bodies and COPY /
//! MOVE destinations), `connections` (raw, slow and malformed connections,
//! OPTIONS) and `properties` (property values and names XML does not allow).

mod bodies;
mod connections;
mod properties;

use crate::common::*;

/// The server still serves a normal request.
#[track_caller]
fn alive(srv: &Server) {
    srv.propfind(
        "/demo/work/",
        "0",
        Some(&propfind_body(&[(DAV, "displayname")])),
    )
    .expect(207);
}
