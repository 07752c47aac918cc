//! A minimal browser: one cookie (the session), the CSRF token scraped from
//! the page, and form posts the way a browser sends them.

use crate::common::*;

pub const HTML_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

pub struct Browser<'s> {
    pub srv: &'s Server,
    /// `davdir_session=…` as the browser would send it back.
    pub cookie: Option<String>,
    /// Extra headers on every request (a proxy's `X-Forwarded-Proto`).
    pub extra: Vec<(&'static str, String)>,
}

impl<'s> Browser<'s> {
    pub fn new(srv: &'s Server) -> Browser<'s> {
        Browser {
            srv,
            cookie: None,
            extra: Vec::new(),
        }
    }

    fn request(&self, method: &str, path: &str) -> reqwest::blocking::RequestBuilder {
        let mut rb = self
            .srv
            .request_as(None, method, path)
            .header("Accept", HTML_ACCEPT);
        if let Some(c) = &self.cookie {
            rb = rb.header("Cookie", c);
        }
        for (k, v) in &self.extra {
            rb = rb.header(*k, v);
        }
        rb
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path).fetch()
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        self.request("POST", path).form(fields).fetch()
    }

    /// Posts a form with this session's CSRF token added.
    pub fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.csrf();
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all)
    }

    /// Logs in through the form; keeps the session cookie on success.
    pub fn login(&mut self, user: &str, password: &str) -> Resp {
        let r = self.post("/.web/login", &[("username", user), ("password", password)]);
        if let Some(set) = r.header("set-cookie") {
            self.cookie = Some(set.split(';').next().unwrap().to_string());
        }
        r
    }

    /// The CSRF token of the logged-in page.
    pub fn csrf(&self) -> String {
        let page = self.get("/.web/").expect(200).text();
        token_in(&page).expect("the page has a CSRF token")
    }
}

/// The value of the first `name="csrf"` hidden field in a page.
pub fn token_in(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\" value=\"")?;
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

/// Whether a page is the login form.
pub fn is_login_page(page: &str) -> bool {
    page.contains("action=\"/.web/login\"") || page.contains("/.web/login\"")
}
