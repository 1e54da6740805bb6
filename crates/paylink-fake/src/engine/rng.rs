//! A seeded pseudo-random generator (splitmix64) and the id shapes Xendit uses, so the same
//! seed always yields the same ids.

use std::fmt;
use std::str::FromStr;

/// splitmix64: tiny, fast, and good enough for ids that must be reproducible, not secret.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The generator's state: `SplitMix64::new(state)` continues the same sequence.
    pub(crate) fn state(&self) -> u64 {
        self.0
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A version-4-shaped UUID (`8-4-4-4-12` lowercase hex).
    pub(crate) fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            8 | (b >> 62),
            (b >> 48) & 0x0fff,
            b & 0xffff_ffff_ffff
        )
    }

    /// `n` decimal digits, the first one not zero.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        for i in 0..n {
            let d = self.next_u64() % if i == 0 { 9 } else { 10 };
            let d = if i == 0 { d + 1 } else { d };
            s.push(char::from(b'0' + d as u8));
        }
        s
    }

    /// `bytes` random bytes as lowercase hex.
    pub(crate) fn hex(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes * 2);
        let mut left = bytes;
        while left > 0 {
            let v = self.next_u64().to_be_bytes();
            for b in v.iter().take(left.min(8)) {
                s.push_str(&format!("{b:02x}"));
            }
            left = left.saturating_sub(8);
        }
        s
    }
}

/// An invoice id: 12 bytes written as 24 lowercase hex digits, shaped like the MongoDB
/// ObjectIds Xendit uses (4 bytes of creation time in seconds, 5 bytes fixed per gateway,
/// a 3-byte counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct InvoiceId(pub(crate) [u8; 12]);

impl InvoiceId {
    pub(crate) fn object_id(seconds: u32, process: [u8; 5], counter: u32) -> Self {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&seconds.to_be_bytes());
        b[4..9].copy_from_slice(&process);
        b[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
        InvoiceId(b)
    }
}

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The 24 digits in one write (not one `{:02x}` per byte: every answer writes an id).
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 24];
        for (pair, b) in text.chunks_exact_mut(2).zip(self.0) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 0x0f)];
        }
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

impl FromStr for InvoiceId {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 24 {
            return Err(());
        }
        let mut out = [0u8; 12];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or(())?;
            let lo = hex_value(pair[1]).ok_or(())?;
            out[i] = hi << 4 | lo;
        }
        Ok(InvoiceId(out))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.digits(16), b.digits(16));
    }

    #[test]
    fn a_uuid_has_the_version_four_shape() {
        let u = SplitMix64::new(1).uuid();
        let groups: Vec<&str> = u.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn an_id_reads_back_what_it_writes() {
        let id = InvoiceId::object_id(0x6748_105a, [1, 2, 3, 4, 5], 0x00ab_cdef);
        let text = id.to_string();
        assert_eq!(text, "6748105a0102030405abcdef");
        assert_eq!(text.parse::<InvoiceId>(), Ok(id));
        assert!("6748105A0102030405ABCDEF".parse::<InvoiceId>().is_err());
        assert!("short".parse::<InvoiceId>().is_err());
    }

    #[test]
    fn every_byte_is_written_as_two_lowercase_hex_digits() {
        for b in 0..=u8::MAX {
            assert_eq!(
                InvoiceId([b; 12]).to_string(),
                format!("{b:02x}").repeat(12)
            );
        }
    }
}
