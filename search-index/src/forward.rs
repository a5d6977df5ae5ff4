//! The forward record of a document: its id and the words and concepts it contains with
//! their frequencies, stored with the document (field `fwd`).
//!
//! The inverted index finds the documents that share a query's most telling words; the
//! forward record then gives each candidate's complete coverage (every query word, also
//! the common ones, and where it occurs) by one read instead of a postings lookup per
//! word, and the explanation of the hits from the same numbers.
//!
//! Layout (little endian): `u16` id length, id (UTF-8), `u16` word count, per word
//! `u32` hash + `u8` frequency in all text + `u8` frequency in the title, `u16` concept
//! count, per concept `u32` hash + `u8` frequency. Frequencies saturate at 255.

/// 32-bit hash of an index word or concept id: the upper half of FNV-1a 64. Part of the
/// stored format: changing it needs a new [`crate::SCHEMA_VERSION`].
pub(crate) fn hash(s: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h >> 32) as u32
}

/// A hasher for keys that are already hashes (the `u32`s of [`hash`]).
#[derive(Default)]
pub(crate) struct HashedKey(u64);

impl std::hash::Hasher for HashedKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        // spread the bits over the whole word: hashbrown uses the top ones too
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Builds the forward record. `words`: (hash, in title) for every occurrence;
/// `concepts`: the hash of every concept occurrence.
pub(crate) fn encode(id: &str, words: &mut [(u32, bool)], concepts: &mut [u32]) -> Vec<u8> {
    words.sort_unstable();
    concepts.sort_unstable();
    let id = &id.as_bytes()[..id.len().min(u16::MAX as usize)];
    let mut out = Vec::with_capacity(8 + id.len() + words.len() * 4 + concepts.len() * 3);
    out.extend_from_slice(&(id.len() as u16).to_le_bytes());
    out.extend_from_slice(id);
    let count_at = out.len();
    out.extend_from_slice(&[0, 0]);
    let mut n = 0u16;
    let mut i = 0;
    while i < words.len() && n < u16::MAX {
        let h = words[i].0;
        let (mut all, mut title) = (0u32, 0u32);
        while i < words.len() && words[i].0 == h {
            all += 1;
            title += u32::from(words[i].1);
            i += 1;
        }
        out.extend_from_slice(&h.to_le_bytes());
        out.push(all.min(255) as u8);
        out.push(title.min(255) as u8);
        n += 1;
    }
    out[count_at..count_at + 2].copy_from_slice(&n.to_le_bytes());
    let count_at = out.len();
    out.extend_from_slice(&[0, 0]);
    let mut n = 0u16;
    let mut i = 0;
    while i < concepts.len() && n < u16::MAX {
        let h = concepts[i];
        let mut tf = 0u32;
        while i < concepts.len() && concepts[i] == h {
            tf += 1;
            i += 1;
        }
        out.extend_from_slice(&h.to_le_bytes());
        out.push(tf.min(255) as u8);
        n += 1;
    }
    out[count_at..count_at + 2].copy_from_slice(&n.to_le_bytes());
    out
}

/// A decoded forward record (borrowing the stored bytes).
pub(crate) struct Forward<'a> {
    pub(crate) id: &'a str,
    words: &'a [u8],
    concepts: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}

impl<'a> Forward<'a> {
    /// `None` for bytes that are not a forward record (a corrupt index).
    pub(crate) fn decode(b: &'a [u8]) -> Option<Forward<'a>> {
        let id_len = u16_at(b, 0)?;
        let id = std::str::from_utf8(b.get(2..2 + id_len)?).ok()?;
        let at = 2 + id_len;
        let n = u16_at(b, at)?;
        let words = b.get(at + 2..at + 2 + n * 6)?;
        let at = at + 2 + n * 6;
        let m = u16_at(b, at)?;
        let concepts = b.get(at + 2..at + 2 + m * 5)?;
        Some(Forward {
            id,
            words,
            concepts,
        })
    }

    /// (hash, frequency in all text, frequency in the title) of every distinct word.
    pub(crate) fn words(&self) -> impl Iterator<Item = (u32, u32, u32)> + 'a {
        self.words.chunks_exact(6).map(|c| {
            (
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                u32::from(c[4]),
                u32::from(c[5]),
            )
        })
    }

    /// (hash, frequency) of every distinct concept.
    pub(crate) fn concepts(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.concepts.chunks_exact(5).map(|c| {
            (
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                u32::from(c[4]),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_counts_occurrences() {
        let (a, b) = (hash("heat"), hash("pump"));
        let mut words = vec![(a, true), (b, false), (a, false), (a, false)];
        let mut concepts = vec![7, 7, 3];
        let bytes = encode("s-1", &mut words, &mut concepts);
        let f = Forward::decode(&bytes).expect("decode");
        assert_eq!(f.id, "s-1");
        let mut w: Vec<_> = f.words().collect();
        w.sort_unstable();
        let mut expected = vec![(a, 3, 1), (b, 1, 0)];
        expected.sort_unstable();
        assert_eq!(w, expected);
        assert_eq!(f.concepts().collect::<Vec<_>>(), [(3, 1), (7, 2)]);
        assert!(Forward::decode(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn hash_is_stable() {
        // the stored format depends on these values
        assert_eq!(hash(""), 0xcbf2_9ce4);
        assert_eq!(hash("a"), 0xaf63_dc4c);
    }
}
