//! If-Match / If-None-Match (RFC 7232) evaluated against a resource's
//! current ETag; the store runs `allows_write` under its lock.

use actix_web::http::header::HeaderMap;

#[derive(Debug, Clone, Default)]
pub struct Conditions {
    if_match: Option<Vec<String>>,
    if_none_match: Option<Vec<String>>,
}

/// The entity tags of a header. `weak_ok` strips `W/` (the weak comparison
/// If-None-Match uses); otherwise a weak tag keeps its prefix and so never
/// matches, as the strong comparison of If-Match requires (RFC 9110 §13.1.1).
fn parse_list(headers: &HeaderMap, name: &str, weak_ok: bool) -> Option<Vec<String>> {
    let values: Vec<String> = headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| {
            let t = t.trim();
            let t = if weak_ok {
                t.trim_start_matches("W/")
            } else {
                t
            };
            t.trim_matches('"').to_string()
        })
        .filter(|t| !t.is_empty())
        .collect();
    (!values.is_empty()).then_some(values)
}

impl Conditions {
    pub fn from_headers(headers: &HeaderMap) -> Conditions {
        Conditions {
            if_match: parse_list(headers, "if-match", false),
            if_none_match: parse_list(headers, "if-none-match", true),
        }
    }

    /// Whether a state-changing request may proceed given the current ETag
    /// (None when the resource does not exist).
    pub fn allows_write(&self, current: Option<&str>) -> bool {
        if let Some(list) = &self.if_match {
            match current {
                None => return false,
                Some(tag) if !list.iter().any(|t| t == "*" || t == tag) => return false,
                _ => {}
            }
        }
        if let (Some(list), Some(tag)) = (&self.if_none_match, current) {
            if list.iter().any(|t| t == "*" || t == tag) {
                return false;
            }
        }
        true
    }

    /// For GET/HEAD: whether If-None-Match makes this a 304.
    pub fn not_modified(&self, current: &str) -> bool {
        self.if_none_match
            .as_ref()
            .is_some_and(|l| l.iter().any(|t| t == "*" || t == current))
    }

    /// For GET/HEAD: whether If-Match fails (412).
    pub fn fails_read(&self, current: &str) -> bool {
        self.if_match
            .as_ref()
            .is_some_and(|l| !l.iter().any(|t| t == "*" || t == current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn evaluation() {
        let c = Conditions::from_headers(
            TestRequest::default()
                .insert_header(("If-None-Match", "*"))
                .to_http_request()
                .headers(),
        );
        assert!(c.allows_write(None));
        assert!(!c.allows_write(Some("a")));
        let c = Conditions::from_headers(
            TestRequest::default()
                .insert_header(("If-Match", "\"a\", \"b\""))
                .to_http_request()
                .headers(),
        );
        assert!(c.allows_write(Some("b")));
        assert!(!c.allows_write(Some("c")));
        assert!(!c.allows_write(None));
        let c = Conditions::from_headers(
            TestRequest::default()
                .insert_header(("If-None-Match", "W/\"a\""))
                .to_http_request()
                .headers(),
        );
        assert!(c.not_modified("a"));
        assert!(Conditions::default().allows_write(None));
    }
}
