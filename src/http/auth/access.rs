//! Which paths an authenticated user may reach: decided here, once per
//! request in `route`, apart from who the user is (`auth`) and what the
//! path holds (a view of a shared collection lies in the sharee's home).

use crate::dav::href::DavPath;

/// Whether a path is one the user may see (their own home or the root).
pub fn visible_to(path: &DavPath, user: &str) -> bool {
    path.user().is_none_or(|u| u == user)
}
