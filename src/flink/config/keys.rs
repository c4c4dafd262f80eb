//! Keys, by role, per version: which key each Flink version reads for a
//! [`Setting`], which older names it still accepts, and how a version treats
//! a key written for another ([`key_status`]); reading a setting as a
//! version does ([`lookup_setting`]) and laying a file over a scenario's
//! entries ([`merge_conf`]).

use std::collections::BTreeMap;

use crate::flink::version::{FlinkVersion, known_versions};

/// A setting whose key changed across versions, by its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    /// The keyed state backend.
    Backend,
    /// The checkpoint storage (1.13+).
    Storage,
    /// The checkpoint directory.
    CheckpointDir,
    /// The savepoint directory.
    SavepointDir,
    /// Streams up to this size go inline into `_metadata`.
    InlineThreshold,
    /// Incremental checkpoints (RocksDB).
    Incremental,
    /// RocksDB's timer service.
    TimerService,
    /// ForSt's timer service (2.x).
    ForStTimerService,
    /// RPC frame size.
    FrameSize,
    /// Checkpoint interval (1.10+ in the configuration).
    Interval,
    /// Checkpoint timeout (1.10+ in the configuration).
    Timeout,
}

/// The key a version reads for a setting, and the older names it still
/// accepts (read in this order after the key: Flink's
/// `Configuration.getRawValueFromOption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNames {
    /// The current key.
    pub key: &'static str,
    /// Deprecated keys still read.
    pub deprecated: &'static [&'static str],
}

const fn names(key: &'static str, deprecated: &'static [&'static str]) -> Option<KeyNames> {
    Some(KeyNames { key, deprecated })
}

impl Setting {
    /// Every setting, in the order reports list them.
    pub const ALL: [Setting; 11] = [
        Setting::Backend,
        Setting::Storage,
        Setting::CheckpointDir,
        Setting::SavepointDir,
        Setting::InlineThreshold,
        Setting::Incremental,
        Setting::TimerService,
        Setting::ForStTimerService,
        Setting::FrameSize,
        Setting::Interval,
        Setting::Timeout,
    ];

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Setting::Backend => "state backend",
            Setting::Storage => "checkpoint storage",
            Setting::CheckpointDir => "checkpoint directory",
            Setting::SavepointDir => "savepoint directory",
            Setting::InlineThreshold => "inline threshold",
            Setting::Incremental => "incremental",
            Setting::TimerService => "RocksDB timers",
            Setting::ForStTimerService => "ForSt timers",
            Setting::FrameSize => "RPC frame size",
            Setting::Interval => "checkpoint interval",
            Setting::Timeout => "checkpoint timeout",
        }
    }

    /// The keys Flink `version` reads for this setting; `None` when that
    /// version has no configuration key for it.
    pub fn keys(self, version: FlinkVersion) -> Option<KeyNames> {
        let v = |major, minor| version.at_least(major, minor);
        match self {
            // `CheckpointingOptions.STATE_BACKEND` [1.6.2]–[1.12.7],
            // `StateBackendOptions.STATE_BACKEND` [1.13.5]: `state.backend`;
            // renamed `state.backend.type` with the old key as deprecated
            // key by FLINK-29372 [1.17]; unchanged [2.0][2.1].
            Setting::Backend if v(1, 17) => names("state.backend.type", &["state.backend"]),
            Setting::Backend => names("state.backend", &[]),
            // `CheckpointingOptions.CHECKPOINT_STORAGE`: new in [1.13.0];
            // renamed by FLINK-34482 [1.20].
            Setting::Storage if v(1, 20) => names(
                "execution.checkpointing.storage",
                &["state.checkpoint-storage"],
            ),
            Setting::Storage if v(1, 13) => names("state.checkpoint-storage", &[]),
            Setting::Storage => None,
            // `CheckpointingOptions.CHECKPOINTS_DIRECTORY` [1.6.2]–[1.19];
            // FLINK-34482 [1.20][2.0].
            Setting::CheckpointDir if v(1, 20) => names(
                "execution.checkpointing.dir",
                &["state.checkpoints.dir", "state.backend.fs.checkpointdir"],
            ),
            Setting::CheckpointDir => {
                names("state.checkpoints.dir", &["state.backend.fs.checkpointdir"])
            }
            // `CheckpointingOptions.SAVEPOINT_DIRECTORY` [1.6.2]; [1.20].
            Setting::SavepointDir if v(1, 20) => names(
                "execution.checkpointing.savepoint-dir",
                &["state.savepoints.dir", "savepoints.state.backend.fs.dir"],
            ),
            Setting::SavepointDir => {
                names("state.savepoints.dir", &["savepoints.state.backend.fs.dir"])
            }
            // `CheckpointingOptions.FS_SMALL_FILE_THRESHOLD`:
            // `state.backend.fs.memory-threshold` [1.6.2]–[1.12.7];
            // `state.storage.fs.memory-threshold` [1.13.0]–[1.19];
            // `execution.checkpointing.data-inline-threshold` [1.20][2.0].
            Setting::InlineThreshold if v(1, 20) => names(
                "execution.checkpointing.data-inline-threshold",
                &[
                    "state.storage.fs.memory-threshold",
                    "state.backend.fs.memory-threshold",
                ],
            ),
            Setting::InlineThreshold if v(1, 13) => names(
                "state.storage.fs.memory-threshold",
                &["state.backend.fs.memory-threshold"],
            ),
            Setting::InlineThreshold => names("state.backend.fs.memory-threshold", &[]),
            // `CheckpointingOptions.INCREMENTAL_CHECKPOINTS` [1.6.2]–[1.19];
            // FLINK-34482 [1.20][2.0].
            Setting::Incremental if v(1, 20) => names(
                "execution.checkpointing.incremental",
                &["state.backend.incremental"],
            ),
            Setting::Incremental => names("state.backend.incremental", &[]),
            // `RocksDBOptions.TIMER_SERVICE_FACTORY` [1.6.2]–[2.0].
            Setting::TimerService => names("state.backend.rocksdb.timer-service.factory", &[]),
            // `ForStOptions.TIMER_SERVICE_FACTORY` [2.0].
            Setting::ForStTimerService if v(2, 0) => {
                names("state.backend.forst.timer-service.factory", &[])
            }
            Setting::ForStTimerService => None,
            // `AkkaOptions.FRAMESIZE` `akka.framesize` [1.6.2]–[1.17];
            // `pekko.framesize` with `akka.framesize` deprecated [1.18],
            // `RpcOptions.FRAMESIZE` [1.20][2.0].
            Setting::FrameSize if v(1, 18) => names("pekko.framesize", &["akka.framesize"]),
            Setting::FrameSize => names("akka.framesize", &[]),
            // `ExecutionCheckpointingOptions` is new in [1.10.0] (absent in
            // [1.9.0]: checkpointing is set in code only);
            // `CheckpointingOptions` [1.20][2.0].
            Setting::Interval if v(1, 10) => names("execution.checkpointing.interval", &[]),
            Setting::Timeout if v(1, 10) => names("execution.checkpointing.timeout", &[]),
            Setting::Interval | Setting::Timeout => None,
        }
    }

    /// Whether `key` is one of this setting's names in any version.
    pub fn has_key(self, key: &str) -> bool {
        known_versions().any(|v| {
            self.keys(v)
                .is_some_and(|k| k.key == key || k.deprecated.contains(&key))
        })
    }

    /// The setting `key` names in some version, if any.
    pub fn of_key(key: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|s| s.has_key(key))
    }
}

/// How a version treats a key that names a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// The version's own key.
    Current(Setting),
    /// An older name this version still reads; `key` is the current one.
    Deprecated {
        /// The setting.
        setting: Setting,
        /// What to write instead.
        key: &'static str,
    },
    /// A name of this setting in other versions only: this version ignores
    /// it. `first`/`last` are the versions that read it.
    Ignored {
        /// The setting.
        setting: Setting,
        /// The first version that reads the key.
        first: FlinkVersion,
        /// The last version that reads it.
        last: FlinkVersion,
        /// The key this version reads instead, if it has one.
        instead: Option<&'static str>,
    },
    /// Not a key of any setting statecap knows.
    Unknown,
}

/// Whether `version` reads `key`, and under which name.
pub fn key_status(key: &str, version: FlinkVersion) -> KeyStatus {
    let Some(setting) = Setting::of_key(key) else {
        return KeyStatus::Unknown;
    };
    match setting.keys(version) {
        Some(k) if k.key == key => KeyStatus::Current(setting),
        Some(k) if k.deprecated.contains(&key) => KeyStatus::Deprecated {
            setting,
            key: k.key,
        },
        current => {
            let reads = |v: FlinkVersion| {
                setting
                    .keys(v)
                    .is_some_and(|k| k.key == key || k.deprecated.contains(&key))
            };
            let first = known_versions().find(|&v| reads(v)).expect("has_key");
            let last = known_versions()
                .filter(|&v| reads(v))
                .last()
                .expect("has_key");
            KeyStatus::Ignored {
                setting,
                first,
                last,
                instead: current.map(|k| k.key),
            }
        }
    }
}

/// A value found in a configuration, and under which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The key it was read from.
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// Whether `key` is a deprecated name in this version.
    pub deprecated: bool,
}

/// Reads `setting` as Flink `version` does: its key first, then its
/// deprecated keys in order (`Configuration.getRawValueFromOption`); keys
/// of other versions are not read.
pub fn lookup_setting(
    conf: &BTreeMap<String, String>,
    setting: Setting,
    version: FlinkVersion,
) -> Option<Found> {
    let k = setting.keys(version)?;
    std::iter::once(k.key)
        .chain(k.deprecated.iter().copied())
        .find_map(|key| {
            conf.get(key).map(|v| Found {
                key: key.to_string(),
                value: v.trim().to_string(),
                deprecated: key != k.key,
            })
        })
}

/// Merges the entries of a configuration file over a scenario's
/// `[flink_conf]`: for every setting the file sets (under any of its names
/// in any version), the scenario's entries for that setting are dropped,
/// so the file wins; other entries are kept.
pub fn merge_conf(base: &mut BTreeMap<String, String>, overlay: &BTreeMap<String, String>) {
    for key in overlay.keys() {
        if let Some(s) = Setting::of_key(key) {
            base.retain(|k, _| !s.has_key(k));
        }
    }
    for (k, v) in overlay {
        base.insert(k.clone(), v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::flink::config::test_conf as conf;

    #[test]
    fn keys_follow_each_version() {
        let key = |s: Setting, v: (u32, u32)| s.keys(FlinkVersion::new(v.0, v.1)).map(|k| k.key);
        // StateBackendOptions: `state.backend` to 1.16, `state.backend.type` from 1.17.
        assert_eq!(key(Setting::Backend, (1, 16)), Some("state.backend"));
        assert_eq!(key(Setting::Backend, (1, 17)), Some("state.backend.type"));
        // CheckpointingOptions.CHECKPOINT_STORAGE: from 1.13, renamed in 1.20.
        assert_eq!(key(Setting::Storage, (1, 12)), None);
        assert_eq!(
            key(Setting::Storage, (1, 19)),
            Some("state.checkpoint-storage")
        );
        assert_eq!(
            key(Setting::Storage, (1, 20)),
            Some("execution.checkpointing.storage")
        );
        assert_eq!(
            key(Setting::InlineThreshold, (1, 12)),
            Some("state.backend.fs.memory-threshold")
        );
        assert_eq!(
            key(Setting::InlineThreshold, (1, 13)),
            Some("state.storage.fs.memory-threshold")
        );
        // AkkaOptions / RpcOptions.FRAMESIZE: pekko from 1.18.
        assert_eq!(key(Setting::FrameSize, (1, 17)), Some("akka.framesize"));
        assert_eq!(key(Setting::FrameSize, (1, 18)), Some("pekko.framesize"));
        // ExecutionCheckpointingOptions: from 1.10.
        assert_eq!(key(Setting::Interval, (1, 9)), None);
        assert_eq!(
            key(Setting::Interval, (1, 10)),
            Some("execution.checkpointing.interval")
        );
        assert_eq!(
            key_status("state.backend.type", FlinkVersion::new(1, 13)),
            KeyStatus::Ignored {
                setting: Setting::Backend,
                first: FlinkVersion::new(1, 17),
                last: FlinkVersion::new(2, 2),
                instead: Some("state.backend"),
            }
        );
        assert_eq!(
            key_status("state.checkpoints.dir", FlinkVersion::new(2, 0)),
            KeyStatus::Deprecated {
                setting: Setting::CheckpointDir,
                key: "execution.checkpointing.dir"
            }
        );
        assert_eq!(
            key_status("taskmanager.numberOfTaskSlots", FlinkVersion::new(1, 6)),
            KeyStatus::Unknown
        );
    }

    #[test]
    fn merging_a_file_replaces_every_name_of_a_setting() {
        let mut base = conf(&[
            ("state.checkpoints.dir", "file:///scenario"),
            ("taskmanager.numberOfTaskSlots", "4"),
        ]);
        merge_conf(
            &mut base,
            &conf(&[("execution.checkpointing.dir", "s3://file")]),
        );
        assert_eq!(
            base,
            conf(&[
                ("execution.checkpointing.dir", "s3://file"),
                ("taskmanager.numberOfTaskSlots", "4"),
            ])
        );
    }
}
