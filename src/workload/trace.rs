//! Trace replay: a CSV of `key,ts_ms,bytes` (extra columns ignored, a header
//! optional, gzip detected by its magic bytes), loaded in order into
//! columns, keys mapped to dense ids in order of first appearance.

use super::{KeyBytes, KeySpace, string_key_bytes};
use crate::error::{Error, Result};
use crate::flink::key_group::{int_hash, key_group_of_hash, long_hash, string_hash};
use crate::scenario::KeyType;
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

/// A trace in memory.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Dense key id of each record.
    pub keys: Vec<u32>,
    /// Event timestamp of each record.
    pub ts: Vec<i64>,
    /// Serialized size of each record.
    pub bytes: Vec<u32>,
    /// The `sub_key` column of each record (a map state's sub-key), when
    /// the trace has one: [`NO_SUB_KEY`] where it is empty; else empty.
    /// For a two-input job, the input each record belongs to instead (its
    /// `stream` column: 0 for the first `[[source]]`, 1 for the second).
    pub sub_keys: Vec<u32>,
    /// The keys that appear.
    pub key_space: KeySpace,
}

/// A record without a sub-key (an empty `sub_key` field).
pub const NO_SUB_KEY: u32 = u32::MAX;

enum KeyMap {
    Num(HashMap<i64, u32>),
    Str(HashMap<String, u32>),
}

impl Trace {
    /// Reads at most `max_records` records of `path`.
    pub fn load(
        path: &Path,
        key_type: KeyType,
        max_records: u64,
        max_parallelism: u32,
    ) -> Result<Trace> {
        Self::load_streams(path, key_type, max_records, max_parallelism, &[])
    }

    /// [`Trace::load`] of a two-input job's merged trace: each record's
    /// `stream` column names one of `streams` (the `[[source]]`s' `stream`
    /// values, in order), which it belongs to.
    pub fn load_streams(
        path: &Path,
        key_type: KeyType,
        max_records: u64,
        max_parallelism: u32,
        streams: &[String],
    ) -> Result<Trace> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut magic = [0u8; 2];
        let gz = {
            use std::io::BufRead;
            let buf = reader.fill_buf().map_err(|e| Error::io(path, e))?;
            if buf.len() >= 2 {
                magic.copy_from_slice(&buf[..2]);
            }
            magic == [0x1f, 0x8b]
        };
        let inner: Box<dyn Read> = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(reader))
        } else {
            Box::new(reader)
        };
        Self::read_streams(inner, path, key_type, max_records, max_parallelism, streams)
    }

    /// Reads a trace from any reader; `path` names it in messages.
    pub fn read(
        r: impl Read,
        path: &Path,
        key_type: KeyType,
        max_records: u64,
        max_parallelism: u32,
    ) -> Result<Trace> {
        Self::read_streams(r, path, key_type, max_records, max_parallelism, &[])
    }

    /// [`Trace::read`], with each record's `stream` among `streams` (none:
    /// a one-input trace).
    pub fn read_streams(
        r: impl Read,
        path: &Path,
        key_type: KeyType,
        max_records: u64,
        max_parallelism: u32,
        streams: &[String],
    ) -> Result<Trace> {
        let bad = |line: u64, message: String| Error::Trace {
            path: path.to_path_buf(),
            line: Some(line),
            message,
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(Lines::new(r));
        let mut rec = csv::ByteRecord::new();
        let (mut ck, mut ct, mut cb) = (0usize, 1usize, 2usize);
        // The optional `sub_key` column (format v2: after key_group, stream).
        let mut cs: Option<usize> = None;
        let mut cstream: Option<usize> = None;
        let mut sub_keys: Vec<u32> = Vec::new();
        let mut first = true;
        let mut keys = Vec::new();
        let mut ts = Vec::new();
        let mut bytes = Vec::new();
        let mut map = match key_type {
            KeyType::String(_) => KeyMap::Str(HashMap::new()),
            _ => KeyMap::Num(HashMap::new()),
        };
        let mut kgs: Vec<u16> = Vec::new();
        let mut values: Vec<i64> = Vec::new();
        let mut string_hashes: Vec<i32> = Vec::new();
        let mut key_bytes: Vec<u16> = Vec::new();
        loop {
            match csv.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| csv.get_mut().line_at(p.byte()));
                    return Err(match e.kind() {
                        // A corrupt or truncated file fails where it was
                        // being read: the line after the last one read whole.
                        csv::ErrorKind::Io(_) => Error::Trace {
                            path: path.to_path_buf(),
                            line: Some(csv.get_mut().lines_read() + 1),
                            message: format!("cannot read: {e}"),
                        },
                        _ => bad(line, format!("not CSV: {e}")),
                    });
                }
            }
            // csv's own line count falls behind after blank lines and on
            // CRLF ends: the line is counted from the record's byte offset.
            let end = csv.position().byte();
            let line = csv.get_mut().line_ending_at(end);
            if first {
                first = false;
                let f0 =
                    String::from_utf8_lossy(rec.get(0).unwrap_or_default()).to_ascii_lowercase();
                if f0 == "key" {
                    let names: Vec<String> = rec
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).to_ascii_lowercase())
                        .collect();
                    let find =
                        |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
                    ck = 0;
                    ct = find(&["ts_ms", "ts", "timestamp"]).ok_or_else(|| {
                        bad(
                            line,
                            "header has no `ts_ms` column (expected key,ts_ms,bytes)".into(),
                        )
                    })?;
                    cb = find(&["bytes", "record_bytes"]).ok_or_else(|| {
                        bad(
                            line,
                            "header has no `bytes` column (expected key,ts_ms,bytes)".into(),
                        )
                    })?;
                    cs = find(&["sub_key"]);
                    cstream = find(&["stream"]);
                    if !streams.is_empty() && cstream.is_none() {
                        return Err(bad(
                            line,
                            "header has no `stream` column: a two-input job's trace says which \
                             [[source]] each record belongs to"
                                .into(),
                        ));
                    }
                    continue;
                }
            }
            if keys.len() as u64 >= max_records {
                break;
            }
            let field = |i: usize, name: &str| -> Result<&[u8]> {
                rec.get(i).ok_or_else(|| {
                    bad(
                        line,
                        format!("missing column `{name}` (expected key,ts_ms,bytes)"),
                    )
                })
            };
            let kf = field(ck, "key")?;
            let tf = field(ct, "ts_ms")?;
            let bf = field(cb, "bytes")?;
            let t: i64 = parse_num(tf).ok_or_else(|| {
                bad(
                    line,
                    format!(
                        "column `ts_ms`: '{}' is not a whole number of milliseconds",
                        lossy(tf)
                    ),
                )
            })?;
            let b: u64 = parse_num(bf).ok_or_else(|| {
                bad(
                    line,
                    format!(
                        "column `bytes`: '{}' is not a whole number of bytes",
                        lossy(bf)
                    ),
                )
            })?;
            if b == 0 || b > 1 << 30 {
                return Err(bad(
                    line,
                    format!("column `bytes`: {b} must be 1 byte to 1 GiB"),
                ));
            }
            let next = kgs.len() as u32;
            let id = match &mut map {
                KeyMap::Num(m) => {
                    let (k, hash) = match key_type {
                        KeyType::Int => {
                            let k: i32 = parse_num(kf).ok_or_else(|| {
                                bad(
                                    line,
                                    format!("column `key`: '{}' is not an int key", lossy(kf)),
                                )
                            })?;
                            (k as i64, int_hash(k))
                        }
                        _ => {
                            let k: i64 = parse_num(kf).ok_or_else(|| {
                                bad(line, format!("column `key`: '{}' is not a long key (set key_type = \"string\" for text keys)", lossy(kf)))
                            })?;
                            (k, long_hash(k))
                        }
                    };
                    *m.entry(k).or_insert_with(|| {
                        kgs.push(key_group_of_hash(hash, max_parallelism) as u16);
                        values.push(k);
                        next
                    })
                }
                KeyMap::Str(m) => {
                    let s = std::str::from_utf8(kf)
                        .map_err(|_| bad(line, "column `key`: not UTF-8 text".into()))?;
                    match m.get(s) {
                        Some(&id) => id,
                        None => {
                            let kb = string_key_bytes(s);
                            if kb > u16::MAX as u64 {
                                return Err(bad(
                                    line,
                                    "column `key`: key longer than 65535 bytes".into(),
                                ));
                            }
                            let h = string_hash(s);
                            kgs.push(key_group_of_hash(h, max_parallelism) as u16);
                            string_hashes.push(h);
                            key_bytes.push(kb as u16);
                            m.insert(s.to_string(), next);
                            next
                        }
                    }
                }
            };
            if kgs.len() > u32::MAX as usize - 1 {
                return Err(bad(line, "more than 2^32 distinct keys".into()));
            }
            if !streams.is_empty() {
                let Some(c) = cstream else {
                    return Err(bad(
                        line,
                        "no header with a `stream` column: a two-input job's trace names \
                         key,ts_ms,bytes,key_group,stream"
                            .into(),
                    ));
                };
                let f = rec.get(c).unwrap_or_default();
                let side = streams
                    .iter()
                    .position(|s| s.as_bytes() == f)
                    .ok_or_else(|| {
                        bad(
                            line,
                            format!(
                                "column `stream`: '{}' is none of the [[source]] streams ({})",
                                lossy(f),
                                streams.join(", ")
                            ),
                        )
                    })?;
                sub_keys.push(side as u32);
            } else if let Some(c) = cs {
                let f = rec.get(c).unwrap_or_default();
                let sub = if f.is_empty() {
                    NO_SUB_KEY
                } else {
                    parse_num::<u32>(f)
                        .filter(|&v| v != NO_SUB_KEY)
                        .ok_or_else(|| {
                            bad(
                                line,
                                format!(
                                    "column `sub_key`: '{}' is not a whole number below 2^32 - 1 (or empty)",
                                    lossy(f)
                                ),
                            )
                        })?
                };
                sub_keys.push(sub);
            }
            keys.push(id);
            ts.push(t);
            bytes.push(b as u32);
        }
        if keys.is_empty() {
            let end = csv.get_mut().lines_read().max(1);
            return Err(Error::Trace {
                path: path.to_path_buf(),
                line: Some(end),
                message: format!("the trace ends at line {end} without a record"),
            });
        }
        let key_bytes = match key_type {
            KeyType::Long => KeyBytes::Fixed(8),
            KeyType::Int => KeyBytes::Fixed(4),
            KeyType::String(_) => {
                let first = key_bytes[0];
                if key_bytes.iter().all(|&b| b == first) {
                    KeyBytes::Fixed(first as u32)
                } else {
                    KeyBytes::PerKey(key_bytes)
                }
            }
        };
        Ok(Trace {
            keys,
            ts,
            bytes,
            sub_keys,
            key_space: KeySpace {
                key_group: kgs,
                key_bytes,
                values,
                string_hashes,
            },
        })
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().take(40).collect()
}

fn parse_num<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// A reader that counts the lines of what it has read, so that a record's
/// byte offset gives its line (1-based): the offsets of the line ends (`\r`,
/// `\n`) read ahead of the records are kept until a record passes them.
struct Lines<R> {
    inner: R,
    /// Bytes read so far.
    read: u64,
    /// Newlines before the last offset asked for.
    passed: u64,
    /// Offsets of `\r` and `\n` read but not yet passed (`true`: `\n`).
    ahead: std::collections::VecDeque<(u64, bool)>,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            inner,
            read: 0,
            passed: 0,
            ahead: std::collections::VecDeque::new(),
        }
    }

    /// Newlines read so far (the lines read whole).
    fn lines_read(&self) -> u64 {
        self.passed + self.ahead.iter().filter(|&&(_, newline)| newline).count() as u64
    }

    /// The line of the record that ends at `end` (the reader's position
    /// once the record is read; asked in increasing order): the newlines
    /// before it, its own terminator aside. Blank lines, comments and CRLF
    /// ends before the record do not matter.
    fn line_ending_at(&mut self, end: u64) -> u64 {
        let mut terminator = 0;
        while let Some(&(pos, newline)) = self.ahead.front() {
            if pos >= end {
                break;
            }
            if newline {
                self.passed += 1;
                terminator = u64::from(pos + 1 == end);
            }
            self.ahead.pop_front();
        }
        self.passed + 1 - terminator
    }

    /// The line of the record csv places at `offset` (offsets asked for
    /// never decrease). csv may place a record at the line end before it
    /// (CRLF ends, blank lines): a record never starts with `\r` or `\n`,
    /// so line ends at its offset are passed too.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut at = offset;
        while let Some(&(pos, newline)) = self.ahead.front() {
            if pos > at {
                break;
            }
            if pos == at {
                at += 1;
            }
            self.passed += u64::from(newline);
            self.ahead.pop_front();
        }
        self.passed + 1
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.ahead.push_back((self.read + i as u64, b == b'\n'));
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, kt: KeyType) -> Result<Trace> {
        Trace::read(text.as_bytes(), Path::new("t.csv"), kt, u64::MAX, 128)
    }

    #[test]
    fn reads_with_and_without_header_and_extra_columns() {
        let t = read(
            "key,ts_ms,bytes,key_group\n19,0,117,127\n0,1,117,94\n19,2,50,127\n",
            KeyType::Long,
        )
        .unwrap();
        assert_eq!(t.keys, vec![0, 1, 0]);
        assert_eq!(t.key_space.key_group, vec![127, 94]);
        assert_eq!(t.bytes, vec![117, 117, 50]);
        let t = read("19,0,117\n", KeyType::Long).unwrap();
        assert_eq!(t.ts, vec![0]);
    }

    #[test]
    fn bad_lines_name_line_and_column() {
        let e = read("key,ts_ms,bytes\n1,0,10\n2,x,10\n", KeyType::Long)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:3") && e.contains("ts_ms"), "{e}");
        let e = read("1,0\n", KeyType::Long).unwrap_err().to_string();
        assert!(e.contains("bytes"), "{e}");
        let e = read("user_1,0,10\n", KeyType::Long)
            .unwrap_err()
            .to_string();
        assert!(e.contains("key"), "{e}");
    }

    #[test]
    fn a_bad_line_is_named_after_blank_lines_crlf_and_comments() {
        // Line 6 is the bad record in each: blank lines, CRLF ends, a
        // comment, a header, in every combination counted as a text editor
        // counts them.
        for text in [
            "key,ts_ms,bytes\n1,0,10\n\n\n2,1,10\n3,x,10\n",
            "key,ts_ms,bytes\r\n1,0,10\r\n\r\n\r\n2,1,10\r\n3,x,10\r\n",
            "\n\n# a comment\n1,0,10\n\r\n3,x,10\n",
            "\r\n\r\n\r\n\r\n\r\n3,x,10",
            "#\n# two\n\n#\r\n\n1,x,10\n",
            "#\r\n\r\n#\r\n\r\n\r\n3,x\r\n",
        ] {
            let e = read(text, KeyType::Long).unwrap_err().to_string();
            assert!(e.contains("t.csv:6"), "{text:?}: {e}");
        }
    }

    #[test]
    fn string_keys_use_java_hash_and_size() {
        let t = read("user_1,0,10\nhello,1,10\n", KeyType::String(6)).unwrap();
        assert_eq!(t.key_space.key_group, vec![53, 35]); // murmur("user_1") = 127964213; % 128 = 53
        assert!(matches!(
            t.key_space.key_bytes,
            KeyBytes::Fixed(7) | KeyBytes::PerKey(_)
        ));
    }
}
