//! Which state backend and checkpoint storage a Flink configuration really
//! selects, version by version, with the limits that come with them.
//!
//! Sources (see `shared/reference/flink-state-facts.md`, section 2):
//! `StateBackendLoader`, `CheckpointStorageLoader`, `CheckpointingOptions`,
//! `StateBackendOptions`, `MemoryStateBackend`, `JobManagerCheckpointStorage`
//! at 1.6.2, 1.13.5, the 1.17–1.20 branch points and 2.0/2.1.
//!
//! Labels used in the citations of these files: `[1.x.y]` is the Apache
//! release tag `release-1.x.y`; `[1.17]`, `[1.18]`, `[1.19]`, `[1.20]` and
//! `[2.0]` are the release-branch cut points of Apache master, i.e. the
//! parent of the commit "Update version to <next>-SNAPSHOT" (4bc6d6da,
//! 404a7804, 03b45844, f6f88135, dccb7821); `[2.1]` is master f6120134
//! (2025-06-20). Key names and defaults do not change in bugfix releases.
//!
//! One room per job, everything re-exported here:
//!
//! - `model`: what a configuration gives — [`Backend`], [`Storage`],
//!   [`Limits`], [`TimerStore`], together a [`ResolvedConfig`] — and
//!   Flink's defaults and limits as constants.
//! - `keys`: which key each version reads for a [`Setting`], the older names
//!   it still accepts ([`key_status`]), reading a setting as the version
//!   does ([`lookup_setting`]) and laying a file over a scenario's entries
//!   ([`merge_conf`]).
//! - `values`: how each version parses a value (backend and storage
//!   shortcuts, booleans, the inline threshold, the frame size).
//! - `resolve`: the loading rules applied in Flink's order.
//!   [`resolve()`] is what scenario validation uses; [`resolve_detailed`]
//!   also says where every value came from (a key, the job, a default) and
//!   what Flink would warn about, for `statecap explain-config`.

pub mod catalog;
mod keys;
mod model;
mod resolve;
mod values;

pub use keys::{Found, KeyNames, KeyStatus, Setting, key_status, lookup_setting, merge_conf};
pub use model::{
    Backend, DEFAULT_CHECKPOINT_TIMEOUT_MS, DEFAULT_FRAME_SIZE, DEFAULT_MAX_STATE_SIZE, Limits,
    MAX_INLINE_THRESHOLD, ResolvedConfig, Storage, TimerStore, size_exceeded_message,
};
pub use resolve::{
    ConfError, Decision, Explicit, Issue, Resolution, Severity, Source, error_key, resolve,
    resolve_detailed,
};
pub use values::{backend_from_config, default_inline_threshold, parse_frame_size};

/// A configuration from `(key, value)` pairs, for the tests of these files.
#[cfg(test)]
fn test_conf(entries: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
