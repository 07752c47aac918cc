//! The choices a caller makes for a COPY or MOVE, named so that a call site
//! says what it asks for instead of passing bare booleans.
//!
//! Locking and durability: none; these are plain values read by
//! `collections` and `objects`, which hold the rules.

/// What to do when the destination exists (RFC 4918 §10.6, `Overwrite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// `Overwrite: T` (the default): the destination is replaced.
    Replace,
    /// `Overwrite: F`: an existing destination fails the precondition.
    Refuse,
}

/// Whether the source stays after an object is transferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// COPY: the source is kept.
    Copy,
    /// MOVE: the source is removed once the destination is written.
    Move,
}

/// What a COPY of a calendar takes along (RFC 4918 §9.8.3, `Depth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// `Depth: infinity`: properties and every object.
    Included,
    /// `Depth: 0`: the collection and its properties only.
    Excluded,
}
