//! A segment group's turn (Leaf's several databases, Tinyid's several
//! sources): IDs from several segments in round robin, a segment whose
//! store is down passed over. Each call starts one segment further; the
//! binding first tries the segments that hold IDs in memory, then asks
//! each in turn (each within its own timeout), in [`Turn::order`], and
//! raises the last failure only when none answered.

/// Where each call starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    len: usize,
    next: usize,
    skipped: u64,
}

impl Turn {
    /// A turn over `len` segments (at least one).
    pub const fn new(len: usize) -> Self {
        Turn {
            len: if len == 0 { 1 } else { len },
            next: 0,
            skipped: 0,
        }
    }

    /// The index this call starts at; the next call starts one further.
    pub fn start(&mut self) -> usize {
        let k = self.next;
        self.next = (k + 1) % self.len;
        k
    }

    /// The segments in the order a call starting at `start` tries them.
    pub fn order(&self, start: usize) -> impl Iterator<Item = usize> {
        let len = self.len;
        (0..len).map(move |i| (start + i) % len)
    }

    /// One segment passed over because it failed.
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// Segments passed over so far.
    pub const fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_robin() {
        let mut t = super::Turn::new(3);
        let firsts: alloc::vec::Vec<usize> = (0..4).map(|_| t.start()).collect();
        assert_eq!(firsts, [0, 1, 2, 0]);
        assert_eq!(t.order(2).collect::<alloc::vec::Vec<_>>(), [2, 0, 1]);
    }
}
