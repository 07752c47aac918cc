//! The HTTP client side: one blocking client, request bodies for the CalDAV
//! reports, and the few XML look-ups the phases need to check answers.

use super::*;

pub(crate) fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(8)
        .build()
        .expect("http client")
}

/// The bench user's password: the peer's, once set, else "bench".
pub(crate) fn password() -> String {
    let password = PASSWORD.read().unwrap().clone();
    if password.is_empty() {
        "bench".to_string()
    } else {
        password
    }
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
}

pub(crate) fn send(
    c: &Client,
    method: &str,
    url: &str,
    depth: Option<&str>,
    body: Option<&str>,
    ctype: &str,
) -> Res<Reply> {
    let m = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut rb = c.request(m, url).basic_auth(USER, Some(password()));
    if let Some(d) = depth {
        rb = rb.header("Depth", d);
    }
    if let Some(b) = body {
        rb = rb.header("Content-Type", ctype).body(b.to_string());
    }
    let resp = rb.send().map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .map_err(|e| format!("{method} {url}: body: {e}"))?;
    Ok(Reply { status, body })
}

/// A request as `user` (the bench runs davdir without logins: the name
/// alone says who asks), with an XML body.
pub(crate) fn send_as(
    c: &Client,
    user: &str,
    method: &str,
    url: &str,
    depth: &str,
    body: &str,
) -> Res<Reply> {
    let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let resp = c
        .request(m, url)
        .basic_auth(user, Some(user))
        .header("Depth", depth)
        .header("Content-Type", XML)
        .body(body.to_string())
        .send()
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .map_err(|e| format!("{method} {url}: body: {e}"))?;
    Ok(Reply { status, body })
}

pub(crate) const XML: &str = "application/xml; charset=utf-8";
pub(crate) const ICS: &str = "text/calendar; charset=utf-8";

pub(crate) fn xml_report(c: &Client, url: &str, body: &str) -> Res<Reply> {
    send(c, "REPORT", url, Some("1"), Some(body), XML)
}

pub(crate) fn query_body(expand: Option<(&str, &str)>, range: (&str, &str)) -> String {
    let data = match expand {
        Some((s, e)) => {
            format!("<C:calendar-data><C:expand start=\"{s}\" end=\"{e}\"/></C:calendar-data>")
        }
        None => "<C:calendar-data/>".into(),
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/>{data}</D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{}" end="{}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#,
        range.0, range.1
    )
}

pub(crate) fn freebusy_body() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="{}" end="{}"/></C:free-busy-query>"#,
        MONTH.0, MONTH.1
    )
}

pub(crate) const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>"#;

pub(crate) const TOKEN_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>"#;

pub(crate) fn sync_body(token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#,
        xml_escape(token)
    )
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(crate) fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Number of elements with this local name (counted by their end tags).
pub(crate) fn count_elements(xml: &str, local: &str) -> usize {
    xml.match_indices("</")
        .filter(|(i, _)| {
            let rest = &xml[i + 2..];
            let name = rest.split('>').next().unwrap_or("").trim();
            name.rsplit(':').next() == Some(local)
        })
        .count()
}

/// The text of the first element with this local name.
pub(crate) fn element_text(xml: &str, local: &str) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = xml[from..].find('<') {
        let at = from + pos + 1;
        from = at;
        let rest = &xml[at..];
        if rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        if rest[..end].rsplit(':').next() != Some(local) {
            continue;
        }
        let open_end = rest.find('>')?;
        if rest[..open_end].ends_with('/') {
            return Some(String::new());
        }
        let text = &rest[open_end + 1..];
        let close = text.find("</")?;
        return Some(xml_unescape(text[..close].trim()));
    }
    None
}

/// Periods in the FREEBUSY properties of a free-busy answer (unfolded).
pub(crate) fn freebusy_periods(ics: &str) -> usize {
    let text = ics.replace("\r\n ", "").replace("\n ", "");
    text.lines()
        .filter(|l| l.starts_with("FREEBUSY"))
        .filter_map(|l| l.split_once(':'))
        .map(|(_, v)| v.split(',').count())
        .sum()
}

pub(crate) fn expect(r: &Reply, status: &[u16], what: &str) -> Res<()> {
    if status.contains(&r.status) {
        Ok(())
    } else {
        let snippet: String = r.body.chars().take(300).collect();
        Err(format!("{what}: HTTP {} {snippet}", r.status))
    }
}
