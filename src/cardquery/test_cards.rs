//! Generated vCards for the cardquery oracle tests (narrowing, the index's
//! search text): one seeded generator and one card shape, so each test only
//! says which content lines it mixes and how often a card is odd.

/// splitmix64, so the cards and filters are the same on every run.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }

    pub(crate) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

/// How a test's cards are drawn.
pub(crate) struct Shape<'a> {
    /// The content lines a card picks from.
    pub lines: &'a [&'a str],
    /// A card has fewer than this many of them.
    pub max_lines: u64,
    /// Every this-many-th card starts with a byte-order mark.
    pub bom_every: usize,
    /// Every this-many-th card ends its lines with a bare LF.
    pub lf_every: usize,
}

/// Card `i`: vCard 3.0 and 4.0 alternately, with random lines of `shape`.
pub(crate) fn card(rng: &mut Rng, i: usize, shape: &Shape) -> String {
    let version = if i.is_multiple_of(2) { "3.0" } else { "4.0" };
    let mut t = String::new();
    if i.is_multiple_of(shape.bom_every) {
        t.push('\u{feff}');
    }
    t.push_str(&format!(
        "BEGIN:VCARD\r\nVERSION:{version}\r\nUID:card-{i}\r\n"
    ));
    for _ in 0..rng.below(shape.max_lines) {
        t.push_str(rng.pick(shape.lines));
        t.push_str("\r\n");
    }
    t.push_str("END:VCARD\r\n");
    if i.is_multiple_of(shape.lf_every) {
        t = t.replace("\r\n", "\n");
    }
    t
}
