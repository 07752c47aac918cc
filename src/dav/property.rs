//! Property names by their expanded name. Which of them are live, and how
//! they are computed, is declared in `http::props`.

/// An expanded XML name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropName {
    pub ns: String,
    pub name: String,
}

impl PropName {
    pub fn new(ns: &str, name: &str) -> Self {
        PropName {
            ns: ns.to_string(),
            name: name.to_string(),
        }
    }

    /// `{namespace}name`, the key dead properties are stored under.
    pub fn key(&self) -> String {
        format!("{{{}}}{}", self.ns, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_expanded_name() {
        assert_eq!(PropName::new("urn:x", "y").key(), "{urn:x}y");
    }
}
