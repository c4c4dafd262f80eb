//! Key → key group → subtask, bit-exact with Flink's
//! `KeyGroupRangeAssignment` and `MathUtils.murmurHash` (identical from 1.6 to
//! 2.x), and the Java `hashCode` of the key types statecap supports.

/// Flink's lower bound for the default max parallelism (`1 << 7`).
pub const DEFAULT_LOWER_BOUND_MAX_PARALLELISM: u32 = 1 << 7;
/// Flink's upper bound for max parallelism (`1 << 15`).
pub const UPPER_BOUND_MAX_PARALLELISM: u32 = 1 << 15;

/// `MathUtils.murmurHash(int)`: one Murmur3-32 block, seed 0, then the
/// finalizer, made non-negative the way Flink does.
#[inline]
pub fn murmur_hash(code: i32) -> i32 {
    let mut k = code as u32;
    k = k.wrapping_mul(0xcc9e_2d51);
    k = k.rotate_left(15);
    k = k.wrapping_mul(0x1b87_3593);
    let mut h = k.rotate_left(13);
    h = h.wrapping_mul(5).wrapping_add(0xe654_6b64);
    h ^= 4;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    let h = h as i32;
    if h >= 0 {
        h
    } else if h != i32::MIN {
        -h
    } else {
        0
    }
}

/// `KeyGroupRangeAssignment.assignToKeyGroup` given the key's Java hashCode.
#[inline]
pub fn key_group_of_hash(hash_code: i32, max_parallelism: u32) -> u32 {
    (murmur_hash(hash_code) as u32) % max_parallelism
}

/// Java `Long.hashCode`.
#[inline]
pub fn long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// `BinaryRowData.hashCode` of Flink SQL's key row of one `BIGINT` column
/// (`BinaryRowDataKeySelector`): `MurmurHashUtil.hashBytesByWords` (seed
/// 42) over its 16 bytes, an 8-byte header (row kind INSERT, no null bit)
/// and the long in the machine's little-endian order.
pub fn binary_row_long_hash(v: i64) -> i32 {
    fn mix_k1(k: u32) -> u32 {
        k.wrapping_mul(0xcc9e_2d51)
            .rotate_left(15)
            .wrapping_mul(0x1b87_3593)
    }
    fn mix_h1(h: u32, k: u32) -> u32 {
        (h ^ k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64)
    }
    let b = v.to_le_bytes();
    let words = [
        0u32,
        0,
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    ];
    let mut h = 42u32;
    for w in words {
        h = mix_h1(h, mix_k1(w));
    }
    // fmix(h1, length)
    h ^= 16;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// Java `Integer.hashCode`.
#[inline]
pub fn int_hash(v: i32) -> i32 {
    v
}

/// Java `String.hashCode` over UTF-16 code units.
pub fn string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for c in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(c as i32);
    }
    h
}

/// `KeyGroupRangeAssignment.computeDefaultMaxParallelism`.
pub fn default_max_parallelism(parallelism: u32) -> u32 {
    let p = parallelism as u64;
    let x = (p + p / 2).max(1);
    let pow2 = x.next_power_of_two();
    pow2.clamp(
        DEFAULT_LOWER_BOUND_MAX_PARALLELISM as u64,
        UPPER_BOUND_MAX_PARALLELISM as u64,
    ) as u32
}

/// The key-group ranges of an operator: which subtask owns which key groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGroupLayout {
    /// Operator parallelism.
    pub parallelism: u32,
    /// Max parallelism = number of key groups.
    pub max_parallelism: u32,
}

impl KeyGroupLayout {
    /// A layout; `0 < parallelism <= max_parallelism <= 32768` is checked
    /// by the scenario validation before this is built.
    pub fn new(parallelism: u32, max_parallelism: u32) -> Self {
        KeyGroupLayout {
            parallelism,
            max_parallelism,
        }
    }

    /// `computeOperatorIndexForKeyGroup`.
    #[inline]
    pub fn subtask_of(&self, key_group: u32) -> u32 {
        ((key_group as u64 * self.parallelism as u64) / self.max_parallelism as u64) as u32
    }

    /// `computeKeyGroupRangeForOperatorIndex`: inclusive `(start, end)`.
    pub fn range_of(&self, subtask: u32) -> (u32, u32) {
        let (mp, p, i) = (
            self.max_parallelism as u64,
            self.parallelism as u64,
            subtask as u64,
        );
        let start = (i * mp).div_ceil(p);
        let end = ((i + 1) * mp - 1) / p;
        (start as u32, end as u32)
    }

    /// Subtask of every key group, indexed by key group.
    pub fn subtask_table(&self) -> Vec<u32> {
        (0..self.max_parallelism)
            .map(|g| self.subtask_of(g))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vectors computed with Flink's Java code (reference, section 1).
    #[test]
    fn murmur_and_key_groups_match_flink_vectors() {
        assert_eq!(murmur_hash(0), 593689054);
        assert_eq!(murmur_hash(1), 68075478);
        assert_eq!(murmur_hash(42), 1134849565);
        assert_eq!(murmur_hash(-1), 1982413648);
        // Flink SQL's BIGINT key rows (the oracle's SqlJobs.keyGroup, Flink 1.20.5)
        assert_eq!(key_group_of_hash(binary_row_long_hash(14831), 128), 37);
        assert_eq!(key_group_of_hash(binary_row_long_hash(3198), 128), 80);
        assert_eq!(key_group_of_hash(binary_row_long_hash(5572), 128), 21);
        assert_eq!(key_group_of_hash(long_hash(0), 128), 94);
        assert_eq!(key_group_of_hash(long_hash(1), 128), 86);
        assert_eq!(key_group_of_hash(long_hash(42), 128), 29);
        assert_eq!(key_group_of_hash(int_hash(-1), 128), 80);
        assert_eq!(key_group_of_hash(string_hash("a"), 128), 81);
        assert_eq!(string_hash("hello"), 99162322);
        assert_eq!(key_group_of_hash(string_hash("hello"), 128), 35);
        assert_eq!(string_hash("user_1"), -836030275);
        assert_eq!(key_group_of_hash(string_hash("user_1"), 32768), 5173);
        assert_eq!(key_group_of_hash(long_hash(0), 32768), 31198);
        assert_eq!(long_hash(-1), 0);
    }

    #[test]
    fn default_max_parallelism_follows_flink() {
        assert_eq!(default_max_parallelism(1), 128);
        assert_eq!(default_max_parallelism(85), 128);
        assert_eq!(default_max_parallelism(86), 256);
        assert_eq!(default_max_parallelism(1000), 2048);
        assert_eq!(default_max_parallelism(30000), 32768);
    }

    #[test]
    fn ranges_partition_key_groups() {
        let l = KeyGroupLayout::new(3, 128);
        assert_eq!(l.range_of(0), (0, 42));
        assert_eq!(l.range_of(1), (43, 85));
        assert_eq!(l.range_of(2), (86, 127));
        for p in 1..=50u32 {
            for mp in [p, 128, 1000, 32768].into_iter().filter(|&mp| mp >= p) {
                let l = KeyGroupLayout::new(p, mp);
                let mut next = 0;
                for i in 0..p {
                    let (s, e) = l.range_of(i);
                    assert_eq!(s, next);
                    for g in s..=e {
                        assert_eq!(l.subtask_of(g), i);
                    }
                    next = e + 1;
                }
                assert_eq!(next, mp);
            }
        }
    }
}
