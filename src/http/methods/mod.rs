//! One module per HTTP method, each a blocking function from a Request to a Reply.
pub mod copy_move;
pub mod delete;
pub mod get;
pub mod mkcol;
pub mod options;
pub mod propfind;
pub mod proppatch;
pub mod push;
pub mod put;
pub mod report;
pub mod schedule_box;
