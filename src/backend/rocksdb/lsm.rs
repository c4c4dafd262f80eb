//! One RocksDB instance (one subtask) as an LSM tree: memtables per column
//! family charged to the slot's write-buffer manager in arena blocks,
//! flushes (write-buffer-manager flushes of the oldest memtable, and the
//! checkpoint's flush of every column family), L0 files, and the L0 → L1
//! compaction at `level0_file_num_compaction_trigger` files. SST sizes come
//! from the byte-exact builder ([`super::sst`]); the MANIFEST grows by one
//! version edit per flush and compaction.
//!
//! The rules, as FRocksDB 6.20 (Flink 1.x) and 8.10 (Flink 2.x) apply them
//! with Flink's options (FACTS §2–§6):
//! - a write first asks the write-buffer manager `ShouldFlush()`: the
//!   mutable memtables' charged memory above 7/8 of its capacity flushes the
//!   column family whose mutable memtable is oldest (smallest creation
//!   sequence), then the write goes in;
//! - a memtable's arena charges its 2 KiB inline block, then a whole arena
//!   block (6.20: 8 MiB = write_buffer_size / 8; 8.10: 1 MiB) whenever the
//!   current block cannot hold the next skip-list node;
//! - a flush writes the memtable sorted by user key, newest first: a newer
//!   PUT or DELETE hides every older version of its key, merge operands
//!   over a PUT or DELETE are merged into one PUT (`,`-joined, the string
//!   append operator), merge operands without a base stay as they are;
//!   tombstones stay (the file is not bottommost);
//! - with 4 L0 files, all L0 files and the overlapping L1 files are
//!   compacted into L1; L1 is the bottommost non-empty level, so tombstones
//!   and what they hide are dropped, merge operands fold into one PUT, and
//!   sequence numbers become 0; outputs are cut at `target_file_size_base`
//!   (64 MiB). Levels below L1 (256 MiB × 10ⁿ targets) are not modelled:
//!   an L1 past 256 MiB is left in L1 (said in the mode line).

use super::layout::StateLayout;
use super::sst::{
    FlinkPropsEnv, PropsTemplate, RocksVersion, SstBuilder, TYPE_DELETION, TYPE_MERGE, TYPE_VALUE,
    TableOptions,
};

/// `level0_file_num_compaction_trigger`.
pub const L0_TRIGGER: usize = 4;
/// `target_file_size_base`.
pub const TARGET_FILE_SIZE: u64 = 64 << 20;
/// `Arena::kInlineSize`.
const INLINE_BLOCK: u64 = 2048;
/// Arena bytes a fresh memtable takes from its inline block, for its skip
/// list and its range-deletion skip list each: the head node (12 levels,
/// 96 B) and the sequential-insert splice (`AllocateSplice`: 24 B + two
/// arrays of 13 pointers, 232 B).
const MEMTABLE_HEADS: u64 = 2 * (96 + 232);

/// A compaction's inputs `(number, bytes)` and its outputs' numbers.
type Compaction = (Vec<(u64, u64)>, Vec<u64>);

/// One entry of a memtable or an SST file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// User key.
    pub key: Box<[u8]>,
    /// Sequence number.
    pub seq: u64,
    /// Value type (`TYPE_VALUE`, `TYPE_MERGE`, `TYPE_DELETION`).
    pub vtype: u8,
    /// Value.
    pub value: Box<[u8]>,
}

/// A live SST file.
#[derive(Debug, Clone)]
pub struct SstFile {
    /// File number (never reused inside one instance).
    pub number: u64,
    /// File bytes.
    pub size: u64,
    /// Its entries, in internal-key order (kept for compactions).
    pub entries: Vec<Entry>,
}

/// A column family's memtable.
#[derive(Debug, Clone, Default)]
struct Memtable {
    entries: Vec<Entry>,
    /// Bytes left in the arena's current block.
    block_left: u64,
    /// Bytes charged to the write-buffer manager.
    charged: u64,
    /// The database's last sequence number when it was created.
    creation_seq: u64,
    /// Skip-list height draws.
    rng: u64,
    /// Whether a write batch (more than one operation) went in.
    batched: bool,
}

impl Memtable {
    fn new(creation_seq: u64, salt: u64) -> Self {
        Memtable {
            entries: Vec::new(),
            block_left: INLINE_BLOCK - MEMTABLE_HEADS,
            charged: INLINE_BLOCK,
            creation_seq,
            rng: 0x9E37_79B9_7F4A_7C15 ^ salt,
            batched: false,
        }
    }

    /// `InlineSkipList::RandomHeight` (branching 4, at most 12 levels).
    fn height(&mut self) -> u64 {
        let mut h = 1;
        loop {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if h < 12 && self.rng.is_multiple_of(4) {
                h += 1;
            } else {
                return h;
            }
        }
    }

    /// Adds an entry and charges its skip-list node to the arena (`weight`
    /// times: a sampled replay's entry stands for that many).
    fn add(&mut self, e: Entry, arena_block: u64, weight: f64) {
        let ikey = e.key.len() as u64 + 8;
        let encoded =
            varint_len(ikey) + ikey + varint_len(e.value.len() as u64) + e.value.len() as u64;
        let node = (8 * self.height() + encoded).div_ceil(8) * 8;
        let node = if weight == 1.0 {
            node
        } else {
            (node as f64 * weight).round() as u64
        };
        if node <= self.block_left {
            self.block_left -= node;
        } else if node > arena_block / 4 {
            // A large allocation gets a block of its own.
            self.charged += node;
        } else {
            self.charged += arena_block;
            self.block_left = arena_block - node;
        }
        self.entries.push(e);
    }
}

fn varint_len(mut v: u64) -> u64 {
    let mut n = 1;
    while v >= 128 {
        v >>= 7;
        n += 1;
    }
    n
}

/// One column family.
#[derive(Debug, Clone)]
pub struct ColumnFamily {
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: u32,
    mem: Memtable,
    /// L0 files, oldest first.
    pub l0: Vec<SstFile>,
    /// L1 files in key order.
    pub l1: Vec<SstFile>,
}

impl ColumnFamily {
    /// Every live file: L0 then L1.
    pub fn files(&self) -> impl Iterator<Item = &SstFile> {
        self.l0.iter().chain(self.l1.iter())
    }
}

/// What happened to the instance, counted (for the MANIFEST and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Flushes asked by the write-buffer manager.
    pub wbm_flushes: u64,
    /// Flushes of a checkpoint.
    pub checkpoint_flushes: u64,
    /// L0 → L1 compactions.
    pub compactions: u64,
    /// Operations written (what the replay costs per write).
    pub writes: u64,
    /// Key and value bytes of the compactions' inputs, as replayed (what
    /// the replay costs per compaction: every input entry re-encoded).
    pub compacted: u64,
}

/// The options an instance runs with.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// FRocksDB version.
    pub version: RocksVersion,
    /// Arena block size (6.20: 8 MiB; 8.10: 1 MiB).
    pub arena_block: u64,
    /// The write-buffer manager's mutable limit (7/8 of its capacity);
    /// `u64::MAX` without one.
    pub mutable_limit: u64,
    /// The write-buffer manager's capacity.
    pub capacity: u64,
    /// What each written entry stands for: 1 in a full replay; in a sampled
    /// one (a share `f` of the key groups), `1/f`: memtables charge its
    /// node `1/f` times, so they fill, and the write-buffer manager
    /// flushes, as the whole instance's would; SST files count their data
    /// and index blocks `1/f` times (their fixed blocks once), so files are
    /// cut, and compactions sized, as the whole instance's.
    pub weight: f64,
}

impl DbOptions {
    /// Flink's options for `version`, with a write-buffer manager of
    /// `wbm_capacity` bytes (`2/3 · managed memory · write-buffer-ratio`).
    pub fn flink(version: RocksVersion, wbm_capacity: u64) -> Self {
        DbOptions {
            version,
            arena_block: match version {
                RocksVersion::V6_20 => 8 << 20,
                RocksVersion::V8_10 => 1 << 20,
            },
            mutable_limit: wbm_capacity / 8 * 7 + (wbm_capacity % 8) * 7 / 8,
            capacity: wbm_capacity,
            weight: 1.0,
        }
    }
}

/// One RocksDB instance.
#[derive(Debug, Clone)]
pub struct Db {
    opts: DbOptions,
    table: TableOptions,
    /// Column families by id (index = id).
    pub cfs: Vec<ColumnFamily>,
    last_seq: u64,
    next_file: u64,
    /// MANIFEST bytes so far.
    pub manifest: u64,
    /// Counts of flushes and compactions.
    pub counts: Counts,
    /// Compactions owed: flushed to 4 L0 files, not yet run.
    pending: Vec<usize>,
    /// Bytes of the memtable a write-buffer-manager flush just switched,
    /// still charged while its flush runs (until the next write).
    flushing: u64,
    /// The files the last checkpoint flush wrote.
    checkpoint_files: Vec<u64>,
    /// Per column family, the TTL compaction filter: TTL (ms) and the
    /// state's kind.
    pub filters: Vec<Option<(i64, StateLayout)>>,
    /// The processing time the compaction filter reads (FACTS §9: the
    /// clock of the latest record, read from RocksDB's thread).
    pub now: i64,
    /// Per column family, the last compaction since the last barrier:
    /// its inputs `(number, bytes)` and its outputs' numbers.
    last_compaction: Vec<Option<Compaction>>,
}

impl Db {
    /// An instance with the column families `names` (index = id; 0 is
    /// `default`).
    pub fn new<S: AsRef<str>>(opts: DbOptions, names: &[S]) -> Self {
        let table = TableOptions::for_version(opts.version);
        let cfs = names
            .iter()
            .enumerate()
            .map(|(i, n)| ColumnFamily {
                name: n.as_ref().to_string(),
                id: i as u32,
                mem: Memtable::new(0, i as u64),
                l0: Vec::new(),
                l1: Vec::new(),
            })
            .collect();
        let manifest = manifest::initial(opts.version, names);
        Db {
            opts,
            table,
            cfs,
            last_seq: 0,
            // MANIFEST, OPTIONS, the WAL take the first numbers.
            next_file: 10,
            manifest,
            counts: Counts::default(),
            pending: Vec::new(),
            flushing: 0,
            last_compaction: vec![None; names.len()],
            filters: vec![None; names.len()],
            now: i64::MIN,
            checkpoint_files: Vec::new(),
        }
    }

    /// One write (a single operation or a write batch): the write-buffer
    /// manager's check, then every operation `(cf, key, type, value)` in
    /// order.
    pub fn write(&mut self, ops: impl IntoIterator<Item = (usize, Box<[u8]>, u8, Box<[u8]>)>) {
        if self.should_flush() {
            self.wbm_flush();
        } else {
            self.flushing = 0;
        }
        let ops: Vec<_> = ops.into_iter().collect();
        let batch = ops.len() > 1;
        for (cf, key, vtype, value) in ops {
            self.counts.writes += 1;
            self.cfs[cf].mem.batched |= batch;
            self.last_seq += 1;
            let e = Entry {
                key,
                seq: self.last_seq,
                vtype,
                value,
            };
            let block = self.opts.arena_block;
            self.cfs[cf].mem.add(e, block, self.opts.weight);
        }
    }

    /// `WriteBufferManager::ShouldFlush`: the mutable memtables above the
    /// mutable limit, or all memory (with the memtable being flushed)
    /// above the capacity while the mutable ones hold half of it.
    fn should_flush(&self) -> bool {
        let mutable: u64 = self.cfs.iter().map(|c| c.mem.charged).sum();
        mutable > self.opts.mutable_limit
            || (self.flushing > 0
                && mutable + self.flushing >= self.opts.capacity
                && mutable >= self.opts.capacity / 2)
    }

    /// `HandleWriteBufferManagerFlush`: flushes the non-empty column family
    /// whose mutable memtable is oldest; compactions it triggers run before
    /// the next write (they finish long before the next barrier).
    fn wbm_flush(&mut self) {
        let Some(cf) = (0..self.cfs.len())
            .filter(|&i| !self.cfs[i].mem.entries.is_empty())
            .min_by_key(|&i| (self.cfs[i].mem.creation_seq, i))
        else {
            self.flushing = 0;
            return;
        };
        self.counts.wbm_flushes += 1;
        // The flushed memtable stays charged until its flush is done, so the
        // next write may flush the next oldest (once). Measured: after the
        // timers' memtable (filled by write batches) both flush in a row
        // (1.20.5 LOG: timers, then window contents, every time); after a
        // memtable of single writes they alternate (sessions' contents and
        // merging-window set, ~42 entries each): modelled as such.
        self.flushing = if self.flushing == 0 && self.cfs[cf].mem.batched {
            self.cfs[cf].mem.charged
        } else {
            0
        };
        self.flush(cf);
        self.run_compactions();
    }

    /// The checkpoint's flush (`GetLiveFiles(flush_memtable = true)`): every
    /// non-empty column family in id order. Compactions they owe are kept
    /// pending: they start after the files are listed
    /// ([`Db::run_compactions`]).
    pub fn checkpoint_flush(&mut self) {
        let first = self.next_file;
        for cf in 0..self.cfs.len() {
            if !self.cfs[cf].mem.entries.is_empty() {
                self.counts.checkpoint_flushes += 1;
                self.flush(cf);
            }
        }
        self.checkpoint_files = (first..self.next_file).collect();
    }

    /// Whether a compaction is owed.
    pub fn compaction_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Runs every owed compaction.
    pub fn run_compactions(&mut self) {
        while let Some(cf) = self.pending.pop() {
            if self.cfs[cf].l0.len() >= L0_TRIGGER {
                self.compact(cf);
            }
        }
    }

    fn props(&self, cf: usize, number: u64) -> PropsTemplate {
        let env = FlinkPropsEnv {
            column_family_name: self.cfs[cf].name.clone(),
            column_family_id: self.cfs[cf].id,
            file_number: number,
            ..FlinkPropsEnv::default()
        };
        PropsTemplate::flink(&self.table, &env)
    }

    /// Switches `cf`'s memtable and writes it as an L0 file.
    fn flush(&mut self, cf: usize) {
        let salt = self.last_seq ^ (cf as u64) << 32;
        let mem = std::mem::replace(&mut self.cfs[cf].mem, Memtable::new(self.last_seq, salt));
        let entries = flush_entries(mem.entries);
        if entries.is_empty() {
            return;
        }
        let number = self.next_file;
        self.next_file += 1;
        let mut b = SstBuilder::new(self.table.clone(), self.props(cf, number));
        for e in &entries {
            b.add(&e.key, e.seq, e.vtype, &e.value);
        }
        let size = scaled_size(&b.finish().0, self.opts.weight);
        let key_len = entries[0].key.len();
        self.manifest += manifest::flush_edit(self.opts.version, key_len);
        self.cfs[cf].l0.push(SstFile {
            number,
            size,
            entries,
        });
        if self.cfs[cf].l0.len() >= L0_TRIGGER && !self.pending.contains(&cf) {
            self.pending.push(cf);
        }
    }

    /// L0 (all files) + L1 → L1, bottommost.
    fn compact(&mut self, cf: usize) {
        self.counts.compactions += 1;
        let l0 = std::mem::take(&mut self.cfs[cf].l0);
        let l1 = std::mem::take(&mut self.cfs[cf].l1);
        let inputs: Vec<(u64, u64)> = l0
            .iter()
            .chain(l1.iter())
            .map(|f| (f.number, f.size))
            .collect();
        let deleted = l0.len() + l1.len();
        let all: Vec<Entry> = l0
            .into_iter()
            .chain(l1)
            .flat_map(|f| f.entries.into_iter())
            .collect();
        self.counts.compacted += all
            .iter()
            .map(|e| (e.key.len() + e.value.len()) as u64)
            .sum::<u64>();
        let (files, key_len) = self.compaction_output(cf, all, self.next_file);
        self.next_file += files.len() as u64;
        self.manifest +=
            manifest::compaction_edit(self.opts.version, deleted, files.len(), key_len);
        self.last_compaction[cf] = Some((inputs, files.iter().map(|f| f.number).collect()));
        self.cfs[cf].l1 = files;
    }

    /// The files a bottommost compaction of the entries `all` (its input
    /// files') writes (numbered from `first`), and the user-key length.
    fn compaction_output(
        &self,
        cf: usize,
        mut all: Vec<Entry>,
        first: u64,
    ) -> (Vec<SstFile>, usize) {
        all.sort_by(|a, b| a.key.cmp(&b.key).then(b.seq.cmp(&a.seq)));
        let mut out = bottommost_entries(all);
        let key_len = out.first().map_or(0, |e| e.key.len());
        if let Some((ttl, kind)) = self.filters[cf] {
            out = ttl_filtered(out, ttl, kind, self.now);
        }
        let target = (TARGET_FILE_SIZE as f64 / self.opts.weight) as u64;
        let mut files = Vec::new();
        let mut number = first;
        while !out.is_empty() {
            number += 1;
            let mut b = SstBuilder::new(self.table.clone(), self.props(cf, number - 1));
            let mut end = 0;
            while end < out.len() {
                let e = &out[end];
                b.add(&e.key, e.seq, e.vtype, &e.value);
                end += 1;
                if b.file_size_so_far() >= target {
                    break;
                }
            }
            let size = scaled_size(&b.finish().0, self.opts.weight);
            let rest = out.split_off(end);
            files.push(SstFile {
                number: number - 1,
                size,
                entries: std::mem::replace(&mut out, rest),
            });
        }
        (files, key_len)
    }

    /// The live files had a compaction swallowed, just before the barrier,
    /// every L0 file but the checkpoint's own flushes (the next compaction,
    /// one flush cycle early): per column family with such files, L1 and
    /// those L0 files become their compaction's output.
    pub fn early_compacted_files(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for (cf, c) in self.cfs.iter().enumerate() {
            let older: Vec<&SstFile> =
                c.l0.iter()
                    .filter(|f| !self.checkpoint_files.contains(&f.number))
                    .collect();
            if older.is_empty() {
                out.extend(c.files().map(|f| (f.number, f.size)));
                continue;
            }
            out.extend(
                c.l0.iter()
                    .filter(|f| self.checkpoint_files.contains(&f.number))
                    .map(|f| (f.number, f.size)),
            );
            let inputs: Vec<Entry> = older
                .into_iter()
                .chain(c.l1.iter())
                .flat_map(|f| f.entries.iter().cloned())
                .collect();
            // Numbers no live file has: these files are never listed twice.
            let (files, _) = self.compaction_output(cf, inputs, u64::MAX / 2 + self.next_file);
            out.extend(files.iter().map(|f| (f.number, f.size)));
        }
        out
    }

    /// A barrier passed: compactions from here on belong to the next
    /// interval.
    pub fn begin_interval(&mut self) {
        self.last_compaction.iter_mut().for_each(|c| *c = None);
    }

    /// The live files as they would be had the last compaction of each
    /// column family since the last barrier not finished yet (its inputs
    /// live, its outputs not written).
    pub fn uncompacted_files(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for (cf, c) in self.cfs.iter().enumerate() {
            match &self.last_compaction[cf] {
                None => out.extend(c.files().map(|f| (f.number, f.size))),
                Some((inputs, outputs)) => {
                    out.extend(inputs.iter().copied());
                    out.extend(
                        c.files()
                            .filter(|f| {
                                !outputs.contains(&f.number)
                                    && !inputs.iter().any(|i| i.0 == f.number)
                            })
                            .map(|f| (f.number, f.size)),
                    );
                }
            }
        }
        out
    }

    /// Bytes of every live SST file.
    pub fn live_sst_bytes(&self) -> u64 {
        self.cfs
            .iter()
            .flat_map(|c| c.files())
            .map(|f| f.size)
            .sum()
    }

    /// `(number, size)` of every live SST file.
    pub fn live_files(&self) -> Vec<(u64, u64)> {
        self.cfs
            .iter()
            .flat_map(|c| c.files())
            .map(|f| (f.number, f.size))
            .collect()
    }
}

/// The entries a flush writes from a memtable (any order in): sorted by
/// user key, newest first; per key, a newest PUT or DELETE alone, merge
/// operands over a PUT or DELETE merged into one PUT (at the newest
/// operand's sequence number), merge operands without a base kept.
pub fn flush_entries(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by(|a, b| a.key.cmp(&b.key).then(b.seq.cmp(&a.seq)));
    let mut out = Vec::with_capacity(entries.len());
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].key == entries[i].key {
            j += 1;
        }
        let group = &entries[i..j];
        match group[0].vtype {
            TYPE_MERGE => {
                let base = group.iter().position(|e| e.vtype != TYPE_MERGE);
                match base {
                    None => out.extend(group.iter().cloned()),
                    Some(b) => {
                        let value = merged(&group[..b], &group[b]);
                        out.push(Entry {
                            key: group[0].key.clone(),
                            seq: group[0].seq,
                            vtype: TYPE_VALUE,
                            value,
                        });
                    }
                }
            }
            _ => out.push(group[0].clone()),
        }
        i = j;
    }
    out
}

/// Flink's TTL compaction filter (`FlinkCompactionFilter`) over a
/// compaction's output at processing time `now`: a value (map value after
/// its null flag) whose timestamp + `ttl` <= `now` is dropped; a list
/// keeps its unexpired elements (dropped when none is left). List elements
/// are the records as [`super::layout::Payloads`] writes them, each after
/// its timestamp; a list that does not parse is kept whole.
pub fn ttl_filtered(entries: Vec<Entry>, ttl: i64, kind: StateLayout, now: i64) -> Vec<Entry> {
    let expired = |v: &[u8], at: usize| {
        v.get(at..at + 8).is_some_and(|b| {
            let stamp = i64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
            stamp.saturating_add(ttl) <= now
        })
    };
    let mut out = Vec::with_capacity(entries.len());
    for mut e in entries {
        match kind {
            StateLayout::Value if expired(&e.value, 0) => continue,
            StateLayout::Map if expired(&e.value, 1) => continue,
            StateLayout::List => {
                let Some(parts) = list_elements(&e.value) else {
                    out.push(e);
                    continue;
                };
                let live: Vec<(usize, usize)> = parts
                    .into_iter()
                    .filter(|&(a, _)| !expired(&e.value, a))
                    .collect();
                if live.is_empty() {
                    continue;
                }
                let mut v = Vec::with_capacity(e.value.len());
                for (n, &(a, b)) in live.iter().enumerate() {
                    if n > 0 {
                        v.push(b',');
                    }
                    v.extend_from_slice(&e.value[a..b]);
                }
                e.value = v.into_boxed_slice();
            }
            _ => {}
        }
        out.push(e);
    }
    out
}

/// The `(start, end)` of every element of a merged list of TTL-wrapped
/// records (timestamp, key, timestamp, string), or `None` if it does not
/// parse.
fn list_elements(v: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let mut p = 0;
    loop {
        let start = p;
        p += 24;
        let (mut n, mut shift) = (0u64, 0);
        loop {
            let b = *v.get(p)?;
            p += 1;
            n |= ((b & 0x7f) as u64) << shift;
            shift += 7;
            if b < 0x80 {
                break;
            }
            if shift > 35 {
                return None;
            }
        }
        p += n.checked_sub(1)? as usize;
        if p > v.len() {
            return None;
        }
        out.push((start, p));
        if p == v.len() {
            return Some(out);
        }
        if v[p] != b',' {
            return None;
        }
        p += 1;
    }
}

/// The entries a bottommost compaction writes (input sorted by user key,
/// newest first): per key, a newest DELETE drops the key, a newest PUT
/// stays, merge operands fold (over their PUT base, if any) into one PUT;
/// every sequence number becomes 0.
pub fn bottommost_entries(mut entries: Vec<Entry>) -> Vec<Entry> {
    let mut out = Vec::with_capacity(entries.len());
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].key == entries[i].key {
            j += 1;
        }
        let group = &mut entries[i..j];
        let value = match group[0].vtype {
            TYPE_DELETION => None,
            TYPE_MERGE => {
                let base = group.iter().position(|e| e.vtype != TYPE_MERGE);
                Some(match base {
                    None => join(group.iter().rev()),
                    Some(b) => merged(&group[..b], &group[b]),
                })
            }
            _ => Some(std::mem::take(&mut group[0].value)),
        };
        if let Some(value) = value {
            out.push(Entry {
                key: std::mem::take(&mut group[0].key),
                seq: 0,
                vtype: TYPE_VALUE,
                value,
            });
        }
        i = j;
    }
    out
}

/// A file's bytes when its entries stand for `weight` times as many: data
/// and index blocks scale, the properties, meta-index and footer do not.
fn scaled_size(s: &super::sst::SstSize, weight: f64) -> u64 {
    if weight == 1.0 {
        return s.file_bytes;
    }
    let blocks = s.data_bytes + s.index_bytes;
    let fixed = s.file_bytes.saturating_sub(blocks);
    fixed + (blocks as f64 * weight).round() as u64
}

/// `StringAppendTESTOperator::FullMergeV2`: the base (if a PUT) then the
/// operands oldest first, joined by `,` (`ops` newest first).
fn merged(ops: &[Entry], base: &Entry) -> Box<[u8]> {
    if base.vtype == TYPE_VALUE {
        join(std::iter::once(base).chain(ops.iter().rev()))
    } else {
        join(ops.iter().rev())
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a Entry>) -> Box<[u8]> {
    let mut v = Vec::new();
    for (n, e) in parts.enumerate() {
        if n > 0 {
            v.push(b',');
        }
        v.extend_from_slice(&e.value);
    }
    v.into_boxed_slice()
}

/// MANIFEST growth: the version edits' encodings (log record header, log
/// and next-file numbers, last sequence, column family, and per new file
/// its level, number, size, smallest and largest internal keys, sequence
/// numbers and time fields; 8.10 adds the epoch number and unique id), as
/// measured on Flink 1.20.5 and 2.2.1 files (FACTS §1: +123–126 B per
/// flush edit and +132 B per 4-file compaction on 1.20.5; +164–168 and
/// +157 on 2.2.1, for 25-byte keys).
pub mod manifest {
    use super::RocksVersion;

    /// The MANIFEST a fresh instance writes: the default column family's
    /// snapshot and one add record per other column family.
    pub fn initial<S: AsRef<str>>(v: RocksVersion, names: &[S]) -> u64 {
        let base = match v {
            RocksVersion::V6_20 => 58,
            RocksVersion::V8_10 => 74,
        };
        base + names
            .iter()
            .skip(1)
            .map(|n| 45 + n.as_ref().len() as u64)
            .sum::<u64>()
    }

    /// Bytes of a new-file record with `key_len`-byte user keys.
    fn new_file(v: RocksVersion, key_len: usize, seq_zero: bool) -> u64 {
        let ikey = 2 * (key_len as u64 + 8);
        match (v, seq_zero) {
            (RocksVersion::V6_20, false) => 32 + ikey,
            (RocksVersion::V6_20, true) => 26 + ikey,
            (RocksVersion::V8_10, false) => 74 + ikey,
            (RocksVersion::V8_10, true) => 51 + ikey,
        }
    }

    /// A flush's edit.
    pub fn flush_edit(v: RocksVersion, key_len: usize) -> u64 {
        26 + new_file(v, key_len, false)
    }

    /// A compaction's edit: `deleted` input files, `added` outputs.
    pub fn compaction_edit(v: RocksVersion, deleted: usize, added: usize, key_len: usize) -> u64 {
        24 + 4 * deleted as u64 + added as u64 * new_file(v, key_len, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(key: &str, seq: u64, vtype: u8, value: &str) -> Entry {
        Entry {
            key: key.as_bytes().into(),
            seq,
            vtype,
            value: value.as_bytes().into(),
        }
    }

    /// A TTL-wrapped record as the replay writes it: timestamp, key,
    /// timestamp, string of `n` characters.
    fn ttl_record(stamp: i64, n: u8) -> Vec<u8> {
        let mut v = stamp.to_be_bytes().to_vec();
        v.extend_from_slice(&[0; 16]);
        v.push(n + 1);
        v.extend(std::iter::repeat_n(b'a', n as usize));
        v
    }

    #[test]
    fn the_ttl_compaction_filter_drops_what_expired_by_now() {
        let ttl = 5000;
        let val = |stamp: i64| {
            let mut v = stamp.to_be_bytes().to_vec();
            v.extend_from_slice(&[0; 8]);
            v
        };
        let entry = |k: &str, v: Vec<u8>| Entry {
            key: k.as_bytes().into(),
            seq: 0,
            vtype: TYPE_VALUE,
            value: v.into_boxed_slice(),
        };
        // values: stamp + ttl <= now is expired (TtlUtils.expired)
        let out = ttl_filtered(
            vec![entry("a", val(1000)), entry("b", val(1001))],
            ttl,
            StateLayout::Value,
            6000,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(&*out[0].key, b"b");
        // map values: the timestamp after the null flag
        let mut m = vec![0u8];
        m.extend_from_slice(&val(2000));
        let out = ttl_filtered(vec![entry("m", m)], ttl, StateLayout::Map, 7000);
        assert!(out.is_empty());
        // lists: the expired elements go, the live ones stay joined by ','
        let (old, young) = (ttl_record(1000, 3), ttl_record(4000, 30));
        let mut l = old.clone();
        l.push(b',');
        l.extend_from_slice(&young);
        let out = ttl_filtered(vec![entry("l", l.clone())], ttl, StateLayout::List, 6000);
        assert_eq!(&*out[0].value, &young[..]);
        // nothing alive: the entry goes; nothing expired: unchanged
        assert!(ttl_filtered(vec![entry("l", l.clone())], ttl, StateLayout::List, 9000).is_empty());
        let out = ttl_filtered(vec![entry("l", l.clone())], ttl, StateLayout::List, 5999);
        assert_eq!(&*out[0].value, &l[..]);
        // a list that does not parse is kept whole
        let out = ttl_filtered(
            vec![entry("x", vec![1, 2, 3])],
            ttl,
            StateLayout::List,
            1 << 40,
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_flush_keeps_the_newest_put_or_delete_of_a_key() {
        let out = flush_entries(vec![
            e("a", 1, TYPE_VALUE, "old"),
            e("a", 5, TYPE_VALUE, "new"),
            e("b", 2, TYPE_VALUE, "x"),
            e("b", 3, TYPE_DELETION, ""),
            e("c", 4, TYPE_DELETION, ""),
        ]);
        assert_eq!(
            out,
            vec![
                e("a", 5, TYPE_VALUE, "new"),
                e("b", 3, TYPE_DELETION, ""),
                e("c", 4, TYPE_DELETION, ""),
            ]
        );
    }

    #[test]
    fn a_flush_keeps_merge_operands_without_a_base_and_merges_them_over_one() {
        let out = flush_entries(vec![
            // merges then the window's purge: the tombstone alone
            e("w1", 1, TYPE_MERGE, "e1"),
            e("w1", 2, TYPE_MERGE, "e2"),
            e("w1", 3, TYPE_DELETION, ""),
            // merges alone: kept, newest first
            e("w2", 4, TYPE_MERGE, "e3"),
            e("w2", 5, TYPE_MERGE, "e4"),
            // merges over a delete (a late element after the purge): one PUT
            e("w3", 6, TYPE_DELETION, ""),
            e("w3", 7, TYPE_MERGE, "e5"),
            // merges over a put: base first
            e("w4", 8, TYPE_VALUE, "b"),
            e("w4", 9, TYPE_MERGE, "e6"),
        ]);
        assert_eq!(
            out,
            vec![
                e("w1", 3, TYPE_DELETION, ""),
                e("w2", 5, TYPE_MERGE, "e4"),
                e("w2", 4, TYPE_MERGE, "e3"),
                e("w3", 7, TYPE_VALUE, "e5"),
                e("w4", 9, TYPE_VALUE, "b,e6"),
            ]
        );
    }

    #[test]
    fn a_bottommost_compaction_drops_tombstones_and_folds_merges_at_seq_0() {
        let mut all = vec![
            e("a", 9, TYPE_DELETION, ""),
            e("a", 3, TYPE_MERGE, "x"),
            e("b", 8, TYPE_MERGE, "e3"),
            e("b", 5, TYPE_MERGE, "e2"),
            e("b", 2, TYPE_MERGE, "e1"),
            e("c", 7, TYPE_VALUE, "v2"),
            e("c", 1, TYPE_VALUE, "v1"),
            e("d", 6, TYPE_MERGE, "y"),
            e("d", 4, TYPE_VALUE, "base"),
        ];
        all.sort_by(|a, b| a.key.cmp(&b.key).then(b.seq.cmp(&a.seq)));
        assert_eq!(
            bottommost_entries(all),
            vec![
                e("b", 0, TYPE_VALUE, "e1,e2,e3"),
                e("c", 0, TYPE_VALUE, "v2"),
                e("d", 0, TYPE_VALUE, "base,y"),
            ]
        );
    }

    fn db(version: RocksVersion, capacity: u64) -> Db {
        Db::new(
            DbOptions::flink(version, capacity),
            &["default", "timers", "window-contents"],
        )
    }

    fn put(db: &mut Db, cf: usize, k: u64, vtype: u8, value: usize) {
        let key: Box<[u8]> = k.to_be_bytes().into();
        db.write([(cf, key, vtype, vec![b'v'; value].into_boxed_slice())]);
    }

    #[test]
    fn the_fourth_l0_file_compacts_into_one_l1_file_without_tombstones() {
        let mut d = db(RocksVersion::V8_10, u64::MAX / 2);
        for round in 0..4u64 {
            for k in 0..100 {
                put(&mut d, 2, round * 50 + k, TYPE_MERGE, 100);
            }
            // the first half of the previous round's keys are purged
            for k in 0..50 {
                put(&mut d, 2, round * 50 + k, TYPE_DELETION, 0);
            }
            d.checkpoint_flush();
        }
        assert_eq!(d.cfs[2].l0.len(), 4);
        assert!(d.compaction_pending());
        d.run_compactions();
        assert_eq!((d.cfs[2].l0.len(), d.cfs[2].l1.len()), (0, 1));
        let l1 = &d.cfs[2].l1[0];
        // round r merges keys 50r..50r+100 and deletes 50r..50r+50: only
        // the last round's second half (200..250) is live, one PUT each
        assert!(
            l1.entries
                .iter()
                .all(|e| e.seq == 0 && e.vtype == TYPE_VALUE)
        );
        assert_eq!(l1.entries.len(), 50);
        assert_eq!(l1.entries[0].key.as_ref(), &200u64.to_be_bytes());
        assert_eq!(l1.entries[0].value.len(), 100);
        assert_eq!(d.counts.compactions, 1);
    }

    #[test]
    fn with_8_mib_arena_blocks_two_written_column_families_flush_each_other() {
        // 1.20: capacity 14913080 (128 MiB / 3 slots, / 3), limit 13048945.
        let mut d = db(RocksVersion::V6_20, 14_913_080);
        for i in 0..20u64 {
            put(&mut d, 2, i, TYPE_MERGE, 117);
        }
        // one memtable past its inline block holds one 8 MiB block: no flush
        assert_eq!(d.counts.wbm_flushes, 0);
        let batch: Vec<_> = (0..500u64)
            .map(|i| {
                (
                    1usize,
                    Box::from(i.to_be_bytes()),
                    TYPE_VALUE,
                    Box::from(&b""[..]),
                )
            })
            .collect();
        d.write(batch);
        assert_eq!(d.counts.wbm_flushes, 0);
        // the next write finds two 8 MiB blocks: the oldest memtable goes
        // (a tie: the first column family, the timers' batch)
        put(&mut d, 2, 100, TYPE_MERGE, 117);
        assert_eq!(d.counts.wbm_flushes, 1);
        assert_eq!(d.cfs[1].l0.len(), 1);
        assert_eq!(d.cfs[1].l0[0].entries.len(), 500);
        // a batch-filled memtable's flush is followed by the next oldest's
        put(&mut d, 2, 101, TYPE_MERGE, 117);
        assert_eq!(d.counts.wbm_flushes, 2);
        assert_eq!(d.cfs[2].l0.len(), 1);
        assert_eq!(d.cfs[2].l0[0].entries.len(), 21);
        // and no more: the fresh memtables are in their inline blocks
        put(&mut d, 2, 102, TYPE_MERGE, 117);
        assert_eq!(d.counts.wbm_flushes, 2);
        // 2.x: 1 MiB blocks never reach the limit
        let mut d = db(RocksVersion::V8_10, 14_913_080);
        for i in 0..2000u64 {
            put(&mut d, 2, i, TYPE_MERGE, 117);
            put(&mut d, 1, i, TYPE_VALUE, 0);
        }
        assert_eq!(d.counts.wbm_flushes, 0);
    }
}
