//! Reading what a browser submits: URL-encoded forms and multipart uploads,
//! each bounded in size and time where it is read.

use std::time::Duration;

use actix_web::web;
use futures_util::StreamExt;

use super::error::WebError;

/// Largest URL-encoded form body.
pub const MAX_FORM: usize = 64 * 1024;
/// Longest text a form field may hold (names, descriptions, passwords).
pub const MAX_FIELD: usize = 1024;
/// Fields a form may have.
const MAX_FIELDS: usize = 32;

/// The fields of a submitted form, in order.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn push(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }

    /// A field's value as sent, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field that must be present and not blank, trimmed.
    pub fn required(&self, name: &str, label: &str) -> Result<String, WebError> {
        self.optional(name)?
            .ok_or_else(|| WebError::BadForm(format!("{label} is required")))
    }

    /// A trimmed field; None when absent or blank.
    pub fn optional(&self, name: &str) -> Result<Option<String>, WebError> {
        let value = self.get(name).map(str::trim).unwrap_or("");
        if value.chars().count() > MAX_FIELD {
            return Err(WebError::BadForm(format!(
                "{name} is longer than {MAX_FIELD} characters"
            )));
        }
        Ok((!value.is_empty()).then(|| value.to_string()))
    }

    /// A field kept exactly as typed (passwords), which must not be empty.
    pub fn secret(&self, name: &str, label: &str) -> Result<String, WebError> {
        match self.get(name) {
            Some(v) if v.chars().count() > MAX_FIELD => Err(WebError::BadForm(format!(
                "{label} is longer than {MAX_FIELD} characters"
            ))),
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(WebError::BadForm(format!("{label} is required"))),
        }
    }
}

/// Reads an `application/x-www-form-urlencoded` body of at most [`MAX_FORM`].
pub async fn read(mut payload: web::Payload, timeout: Duration) -> Result<Form, WebError> {
    let body = tokio::time::timeout(timeout, async {
        let mut buf = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| WebError::BadForm(e.to_string()))?;
            if buf.len() + chunk.len() > MAX_FORM {
                return Err(WebError::BadForm("the form is too large".into()));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    })
    .await
    .map_err(|_| WebError::Timeout)??;
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| WebError::BadForm(e.to_string()))?;
    if fields.len() > MAX_FIELDS {
        return Err(WebError::BadForm("too many fields".into()));
    }
    Ok(Form(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_bounded() {
        let f = Form(vec![
            ("name".into(), "  Work ".into()),
            ("blank".into(), "  ".into()),
            ("long".into(), "x".repeat(MAX_FIELD + 1)),
            ("pw".into(), " a b ".into()),
        ]);
        assert_eq!(f.required("name", "Name").unwrap(), "Work");
        assert!(f.required("blank", "Blank").is_err());
        assert_eq!(f.optional("missing").unwrap(), None);
        assert!(f.optional("long").is_err());
        assert_eq!(f.secret("pw", "Password").unwrap(), " a b ");
    }
}
