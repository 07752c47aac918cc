//! The texts of a parsed vCard property and parameter that a text-match is
//! tried against: the value as a client shows it, with escapes undone.
//!
//! - A structured value (N, ADR, ORG, GENDER, CLIENTPIDMAP) offers its whole
//!   text, components joined by `;` and list items by `,` (`Doe;Jane;;;`),
//!   and also every non-empty component item on its own, so `equals "Doe"`
//!   finds `N:Doe;Jane;;;`.
//! - A multi-valued list (NICKNAME, CATEGORIES) offers each value alone.
//! - Dates are tried in the vCard 4.0 form (`19850412`, `--0412`), binary
//!   data as a `data:` URI, everything else as its text.

use calcard::vcard::{VCardEntry, VCardParameterValue, VCardProperty, VCardValue, VCardValueType};

/// The texts a text-match on this property is tried against.
pub fn property_texts(entry: &VCardEntry) -> Vec<String> {
    let mut out = Vec::new();
    let structured = is_structured(&entry.name);
    if structured && entry.values.len() > 1 {
        let whole: Vec<String> = entry.values.iter().map(value_text).collect();
        out.push(whole.join(";"));
    }
    for v in &entry.values {
        match v {
            VCardValue::Component(items) => {
                if !structured || entry.values.len() == 1 {
                    out.push(items.join(","));
                }
                out.extend(items.iter().filter(|i| !i.is_empty()).cloned());
            }
            other => {
                let t = value_text(other);
                if !(structured && t.is_empty()) {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// The values of every parameter `name` (upper-cased) on the property, one
/// per list item; `None` when the property has no such parameter.
/// Enumerated values that calcard normalised (TYPE=WORK becomes `work`) are
/// offered in both cases, as the vCard RFCs make them case-insensitive.
pub fn param_texts(entry: &VCardEntry, name: &str) -> Option<Vec<String>> {
    let mut found = false;
    let mut out = Vec::new();
    for p in &entry.params {
        if !p.name.as_str().eq_ignore_ascii_case(name) {
            continue;
        }
        found = true;
        match &p.value {
            VCardParameterValue::Text(t) => out.push(t.clone()),
            VCardParameterValue::Null => {}
            v => {
                let t = v.clone().into_text();
                out.push(t.to_ascii_uppercase());
                out.push(t.to_ascii_lowercase());
            }
        }
    }
    found.then_some(out)
}

/// True when the property's value has fixed `;`-separated components.
fn is_structured(name: &VCardProperty) -> bool {
    matches!(
        name,
        VCardProperty::N
            | VCardProperty::Adr
            | VCardProperty::Org
            | VCardProperty::Gender
            | VCardProperty::Clientpidmap
    )
}

fn value_text(v: &VCardValue) -> String {
    match v {
        VCardValue::Text(t) => t.clone(),
        VCardValue::Component(items) => items.join(","),
        VCardValue::Integer(i) => i.to_string(),
        VCardValue::Float(f) => f.to_string(),
        VCardValue::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        VCardValue::PartialDateTime(d) => {
            let mut s = String::new();
            // Writing to a String cannot fail.
            let _ = d.format_as_vcard(&mut s, &VCardValueType::DateAndOrTime);
            s
        }
        VCardValue::Binary(data) => data.to_unwrapped_string(),
        other => other.as_text().unwrap_or_default().to_string(),
    }
}
