//! Which calendar phases a run measures (`--phases`): one figure (the
//! sharing ratio, a poll round at 100k, a scheduling PUT) can then be
//! measured in a bounded run without paying for all the others.

/// The phases of `run_server`, in the order they run.
pub(crate) const NAMES: &[(&str, &str)] = &[
    ("queries", "week, expand, free-busy and PROPFIND Depth 1"),
    ("sync", "sync-collection after one change over HTTP"),
    ("disk", "file written on disk → in sync-collection"),
    ("load", "GET and PUT throughput, durable PUT rounds"),
    ("export", "webcal export"),
    (
        "figures",
        "multiget, initial sync, 8-client PUTs, 64-connection GETs",
    ),
    (
        "sharing",
        "a sharee's PROPFIND and sync against the owner's (davdir)",
    ),
    ("starts", "cold and warm restarts"),
    ("poll", "rounds of watch = \"poll\" (davdir)"),
    (
        "schedule",
        "PUT with 3 local attendees (davdir, restarted with email_domain)",
    ),
];

/// A set of phases from `NAMES` (a bit each).
#[derive(Clone, Copy)]
pub(crate) struct Phases(u32);

impl Phases {
    pub(crate) const ALL: Phases = Phases(u32::MAX);

    /// A comma-separated list of names.
    pub(crate) fn parse(list: &str) -> Result<Phases, String> {
        let mut bits = 0;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let i = NAMES.iter().position(|(n, _)| *n == name).ok_or_else(|| {
                let known: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                format!("unknown phase {name:?} (phases: {})", known.join(", "))
            })?;
            bits |= 1 << i;
        }
        if bits == 0 {
            return Err("--phases names no phase".into());
        }
        Ok(Phases(bits))
    }

    /// Whether phase `name` (one of `NAMES`) runs.
    pub(crate) fn has(self, name: &str) -> bool {
        let i = NAMES
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no phase {name}"));
        self.0 & (1 << i) != 0
    }
}
