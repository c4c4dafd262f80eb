//! Snappy-compressed heap snapshots (`execution.checkpointing.snapshot-compression`,
//! `SnappyStreamCompressionDecorator`): an estimate.
//!
//! The layout is Flink's: per key group, the key-group id, then per state its
//! id (short) and a Snappy *framed* stream holding the state's entry count and
//! entries. A framed stream costs 10 bytes (stream identifier) plus 8 bytes per
//! chunk of up to 64 KiB (header and CRC), and a chunk that does not shrink
//! below 85% is stored uncompressed (xerial `SnappyFramedOutputStream`;
//! reference section 3, item 9). What Snappy removes inside a chunk is the
//! estimate: the repeated namespace and key bytes of window entries, the
//! shared timestamp and namespace of timers, the payload's own redundancy
//! (random text: little; constant: nearly all; typical text: about half), and
//! for sliding windows the copies of one element that fall within 64 KiB.

use crate::flink::serializer::ValueLayout;
use crate::scenario::PayloadKind;

const STREAM: f64 = 10.0;
const CHUNK_OVERHEAD: f64 = 8.0;
const CHUNK: f64 = 65536.0;
const KEEP_RATIO: f64 = 0.85;
/// Namespace + key of a window entry after Snappy (back-references).
const ENTRY_KEY: f64 = 8.0;
/// A timer after Snappy (timestamp and namespace repeat across keys).
const TIMER: f64 = 10.0;

/// What the compression estimate needs.
#[derive(Debug, Clone, Copy)]
pub struct Compression {
    /// Window value layout.
    pub value: ValueLayout,
    /// Mean serialized key bytes.
    pub key_bytes: f64,
    /// Mean element bytes.
    pub element_bytes: f64,
    /// Windows per element (sliding).
    pub copies: f64,
    /// Session windows (a fourth state).
    pub merging: bool,
    /// How compressible record payloads are.
    pub payload: PayloadKind,
}

/// Bytes of one framed Snappy stream holding `raw` bytes that compress to
/// `packed` (spread evenly over the chunks).
fn framed(raw: f64, packed: f64) -> f64 {
    let chunks = (raw / CHUNK).ceil().max(1.0);
    let stored = if packed <= KEEP_RATIO * raw {
        packed
    } else {
        raw
    };
    STREAM + chunks * CHUNK_OVERHEAD + stored
}

impl Compression {
    fn payload_ratio(&self) -> f64 {
        match self.payload {
            PayloadKind::Random => 0.97,
            PayloadKind::Text => 0.55,
            PayloadKind::Constant => 0.06,
        }
    }

    /// Compressed bytes of one key group given its uncompressed entry bytes
    /// (`kg_bytes` of the snapshot), entries, timers and live keys.
    pub fn key_group(&self, bytes: u64, entries: u64, timers: u64, keys: u64) -> u64 {
        let (e, t, k) = (entries as f64, timers as f64, keys as f64);
        let kb = self.key_bytes;
        let mws_raw = if self.merging {
            k * (13.0 + kb) + 32.0 * e
        } else {
            0.0
        };
        let timers_raw = t * (24.0 + kb);
        let contents_raw = (bytes as f64 - timers_raw - mws_raw).max(0.0);
        let keys_raw = e * (16.0 + kb);
        let value_raw = (contents_raw - keys_raw).max(0.0);
        let value_packed = match self.value {
            ValueLayout::Accumulator(_) => value_raw * 0.5,
            ValueLayout::List | ValueLayout::Single => {
                // Longs of the record compress about by half, the payload by
                // its own ratio; sliding copies within a chunk go away.
                let per_elem = self.element_bytes.max(1.0);
                let longs = (16.0f64).min(per_elem);
                let ratio = (longs * 0.5 + (per_elem - longs) * self.payload_ratio()) / per_elem;
                let dup = if self.copies > 1.0 {
                    let in_chunk = (CHUNK / (contents_raw + 1.0)).min(1.0);
                    (1.0 - 1.0 / self.copies) * in_chunk
                } else {
                    0.0
                };
                value_raw * ratio * (1.0 - dup)
            }
        };
        let contents = framed(4.0 + contents_raw, 4.0 + e * ENTRY_KEY + value_packed);
        let timers_b = framed(4.0 + timers_raw, 4.0 + t * TIMER);
        let empty = framed(4.0, 4.0);
        let mut total = 4.0 + 2.0 + contents + 2.0 + timers_b + 2.0 + empty;
        if self.merging {
            total += 2.0 + framed(4.0 + mws_raw, 4.0 + mws_raw * 0.5);
        }
        total.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_key_group_pays_the_framing_of_every_stream() {
        let c = Compression {
            value: ValueLayout::List,
            key_bytes: 8.0,
            element_bytes: 117.0,
            copies: 1.0,
            merging: false,
            payload: PayloadKind::Random,
        };
        // 4 (kg id) + 3 x (2 + 10 + 8 + 4): a 4-byte count never shrinks.
        assert_eq!(c.key_group(0, 0, 0, 0), 4 + 3 * 24);
        // Constant payloads compress far more than random ones.
        let random = c.key_group(1_000_000, 1000, 1000, 1000);
        let constant = Compression {
            payload: PayloadKind::Constant,
            ..c
        }
        .key_group(1_000_000, 1000, 1000, 1000);
        assert!(constant < random / 3, "{constant} {random}");
        assert!(random < 1_000_000);
    }
}
