//! Flink's own deterministic rules, reproduced exactly: how a key lands in a
//! key group and a subtask ([`key_group`]), how many bytes Flink's serializers
//! write for keys, namespaces, timers and window values ([`serializer`]), and
//! which backend, storage and limits a configuration selects in each Flink
//! version ([`version`]).
//!
//! Nothing here simulates anything; the simulator calls these rules.

pub mod conf_file;
pub mod emit;
pub mod explain;
pub mod key_group;
pub mod serializer;
pub mod units;
pub mod version;

pub use key_group::{KeyGroupLayout, default_max_parallelism};
pub use version::{Backend, FlinkVersion, ResolvedConfig, Storage};
