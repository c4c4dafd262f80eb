//! What a configuration gives: the keyed state [`Backend`], the checkpoint
//! [`Storage`], the [`Limits`] that fail checkpoints and the [`TimerStore`],
//! together a [`ResolvedConfig`]; Flink's own defaults and limits as
//! constants, and the words Flink fails a checkpoint with.

use crate::flink::version::FlinkVersion;

/// `MemoryStateBackend.DEFAULT_MAX_STATE_SIZE` /
/// `JobManagerCheckpointStorage.DEFAULT_MAX_STATE_SIZE`: 5 MiB per stream.
pub const DEFAULT_MAX_STATE_SIZE: u64 = 5 * 1024 * 1024;
/// Default RPC frame size (`akka.framesize` / `pekko.framesize`):
/// `"10485760b"` in `AkkaOptions.FRAMESIZE` [1.6.2][1.13.5][1.17] and
/// `RpcOptions.FRAMESIZE` [1.20][2.0].
pub const DEFAULT_FRAME_SIZE: u64 = 10_485_760;
/// Default checkpoint timeout: `CheckpointConfig.DEFAULT_TIMEOUT` = 10 min
/// [1.6.2]; `ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT` [1.10.0]
/// [1.13.5], `CheckpointingOptions.CHECKPOINTING_TIMEOUT` [1.20][2.0].
pub const DEFAULT_CHECKPOINT_TIMEOUT_MS: u64 = 10 * 60 * 1000;
/// Largest inline threshold Flink accepts; larger values fall back to the
/// default with a warning: `FsStateBackend.MAX_FILE_STATE_THRESHOLD`
/// [1.6.2], `FileSystemCheckpointStorage` [1.13.5][2.0].
pub const MAX_INLINE_THRESHOLD: u64 = 1024 * 1024;

/// The keyed state backend, as Flink names it in that version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `MemoryStateBackend` (1.x legacy; heap, state inline in `_metadata`).
    Memory,
    /// `FsStateBackend` (1.x legacy; heap, state in files).
    Fs,
    /// `HashMapStateBackend` (1.13+).
    HashMap,
    /// `RocksDBStateBackend` / `EmbeddedRocksDBStateBackend`.
    RocksDb,
    /// `ForStStateBackend` (2.x).
    ForSt,
}

impl Backend {
    /// Keeps state on the JVM heap (full snapshots in the heap format).
    pub fn is_heap(self) -> bool {
        matches!(self, Backend::Memory | Backend::Fs | Backend::HashMap)
    }
    /// Flink's class name for this backend in `version`.
    pub fn class_name(self, version: FlinkVersion) -> &'static str {
        match self {
            Backend::Memory => "MemoryStateBackend",
            Backend::Fs => "FsStateBackend",
            Backend::HashMap => "HashMapStateBackend",
            Backend::RocksDb if version.at_least(1, 13) => "EmbeddedRocksDBStateBackend",
            Backend::RocksDb => "RocksDBStateBackend",
            Backend::ForSt => "ForStStateBackend",
        }
    }
    /// The short name statecap writes in its tables (`hashmap`, `rocksdb`).
    pub fn short_name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Fs => "filesystem",
            Backend::HashMap => "hashmap",
            Backend::RocksDb => "rocksdb",
            Backend::ForSt => "forst",
        }
    }
}

/// Where checkpoint data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// In the JobManager's memory / inline in `_metadata`, with a per-stream
    /// size limit.
    JobManager {
        /// Largest stream a subtask may write, in bytes.
        max_state_size: u64,
    },
    /// Files under the checkpoint directory; streams below the inline
    /// threshold still go inline into `_metadata`.
    FileSystem {
        /// `state.storage.fs.memory-threshold` and its predecessors/successors.
        inline_threshold: u64,
    },
}

impl Storage {
    /// `jobmanager` or `filesystem`.
    pub fn short_name(self) -> &'static str {
        match self {
            Storage::JobManager { .. } => "jobmanager",
            Storage::FileSystem { .. } => "filesystem",
        }
    }
}

/// What a configuration really gives, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedConfig {
    /// The Flink version the rules were applied for.
    pub version: FlinkVersion,
    /// The backend that holds keyed state.
    pub backend: Backend,
    /// Where checkpoints go.
    pub storage: Storage,
    /// Incremental checkpoints (RocksDB only).
    pub incremental: bool,
    /// The checkpoint directory, if any.
    pub checkpoint_dir: Option<String>,
    /// One line per decision: which key (or default) decided what.
    pub reasons: Vec<String>,
    /// The limits that fail checkpoints, as this configuration sets them.
    pub limits: Limits,
    /// Where timers live (RocksDB's and ForSt's timer service; the heap for
    /// heap backends).
    pub timers: TimerStore,
}

/// The limits a configuration puts on checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per-stream cap of JobManager storage (`None` with file storage).
    pub max_state_size: Option<u64>,
    /// Streams up to this size go inline into `_metadata` (file storage).
    pub inline_threshold: u64,
    /// RPC frame size: the largest message between JobManager and
    /// TaskManagers, so the largest acknowledgement with inline state.
    pub frame_size: u64,
    /// A checkpoint not complete after this long is declined.
    pub checkpoint_timeout_ms: u64,
}

/// Where a keyed backend keeps its timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerStore {
    /// On the JVM heap (heap backends; RocksDB with `HEAP`), snapshotted as
    /// raw keyed state.
    Heap,
    /// In RocksDB column families (`ROCKSDB`).
    RocksDb,
    /// In ForSt (`ForStDB`, 2.x).
    ForStDb,
}

impl TimerStore {
    /// Flink's value for the timer-service factory key.
    pub fn flink_value(self) -> &'static str {
        match self {
            TimerStore::Heap => "HEAP",
            TimerStore::RocksDb => "ROCKSDB",
            TimerStore::ForStDb => "ForStDB",
        }
    }

    /// Where `backend` keeps timers when nothing is set: `HEAP` for RocksDB
    /// up to 1.9, `ROCKSDB` from 1.10 (`RocksDBOptions.TIMER_SERVICE_FACTORY`
    /// [1.6.2]–[1.9.0], [1.10.0]); `ForStDB` for ForSt
    /// (`ForStOptions.TIMER_SERVICE_FACTORY` [2.0]); the heap for heap
    /// backends.
    pub fn default_for(version: FlinkVersion, backend: Backend) -> TimerStore {
        match backend {
            Backend::RocksDb if version.at_least(1, 10) => TimerStore::RocksDb,
            Backend::ForSt => TimerStore::ForStDb,
            _ => TimerStore::Heap,
        }
    }
}

impl ResolvedConfig {
    /// The exception text Flink logs when a subtask's stream exceeds the
    /// memory-backed limit (`MemCheckpointStreamFactory.checkSize`), in this
    /// version's words.
    pub fn size_exceeded_message(&self, size: u64, max: u64) -> String {
        size_exceeded_message(self.version, size, max)
    }
}

/// `MemCheckpointStreamFactory.MemoryCheckpointOutputStream.checkSize`: 1.6–1.12
/// recommend "a different state backend"; 1.13+ "a different checkpoint
/// storage" (FLIP-142). Measured on 1.9.3 and 1.20.5.
pub fn size_exceeded_message(version: FlinkVersion, size: u64, max: u64) -> String {
    if version.at_least(1, 13) {
        format!(
            "Size of the state is larger than the maximum permitted memory-backed state. \
             Size={size}, maxSize={max}. Consider using a different checkpoint storage, \
             like the FileSystemCheckpointStorage."
        )
    } else {
        format!(
            "Size of the state is larger than the maximum permitted memory-backed state. \
             Size={size} , maxSize={max} . Consider using a different state backend, \
             like the File System State backend."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_wording_changes_in_1_13() {
        let old = size_exceeded_message(FlinkVersion::new(1, 9), 5438534, 5242880);
        assert!(old.ends_with("Size=5438534 , maxSize=5242880 . Consider using a different state backend, like the File System State backend."));
        let new = size_exceeded_message(FlinkVersion::new(1, 20), 5510272, 5242880);
        assert!(new.contains(
            "Size=5510272, maxSize=5242880. Consider using a different checkpoint storage"
        ));
    }
}
