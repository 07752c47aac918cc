//! The functions that read a parsed request body into what a handler acts
//! on, re-exported so the fuzz targets can drive them; the handlers
//! themselves stay private to `http`.

pub use super::methods::report::query::calendar_data_request;
pub use super::prop_update::{change_for, outcomes, Outcome, MAX_UPDATES};
pub use super::props::{prop_names, PropRequest, MAX_PROP_NAMES};
