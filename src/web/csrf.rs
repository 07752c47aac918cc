//! Cross-site request forgery defence: every form of a session carries the
//! session's random token, and a POST without it (or with another) is
//! refused before it does anything. The SameSite=Strict cookie is the
//! first defence; this one holds even where a browser ignores SameSite.

use subtle::ConstantTimeEq;

use super::error::WebError;
use super::session::Session;

/// Name of the hidden form field.
pub const FIELD: &str = "csrf";

/// Refuses a submission whose token is not this session's; compared in
/// constant time so timing tells nothing about the token.
pub fn check(session: &Session, submitted: Option<&str>) -> Result<(), WebError> {
    let ok = submitted.is_some_and(|t| bool::from(t.as_bytes().ct_eq(session.csrf.as_bytes())));
    if ok {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::session::Sessions;

    #[test]
    fn only_the_sessions_own_token_passes() {
        let sessions = Sessions::new(std::time::Duration::from_secs(60));
        let (_, s) = sessions.create("demo", [0; 32]);
        let (_, other) = sessions.create("demo", [0; 32]);
        assert!(check(&s, Some(&s.csrf)).is_ok());
        assert!(check(&s, None).is_err());
        assert!(check(&s, Some("")).is_err());
        assert!(check(&s, Some(&other.csrf)).is_err());
    }
}
