//! Flink's own deterministic rules, reproduced exactly: how a key lands in a
//! key group and a subtask ([`key_group`]), how many bytes Flink's serializers
//! write for keys, namespaces, timers and window values ([`serializer`]),
//! Flink's size and duration syntax ([`units`]), and the release lines
//! statecap knows ([`version`]).
//!
//! What a configuration means on a version: how the file is read
//! ([`conf_file`]); which backend, storage and limits it selects and why
//! ([`config`]: the resolved model, the keys per version, how values parse,
//! the resolution); the one writer of configuration, as a file, Java and SQL
//! in a version's own names and API ([`emit`]); and all of it side by side
//! for a person, with the traps ([`explain`]).
//!
//! Nothing here simulates anything; the simulator calls these rules.

pub mod conf_file;
pub mod config;
pub mod emit;
pub mod explain;
pub mod key_group;
pub mod serializer;
pub mod units;
pub mod version;

pub use config::{Backend, ResolvedConfig, Storage};
pub use key_group::{KeyGroupLayout, default_max_parallelism};
pub use version::FlinkVersion;
