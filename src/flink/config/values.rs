//! Values, as each version parses them: the backend and storage shortcuts,
//! booleans, the inline threshold and the RPC frame size; and, more
//! leniently, the names a scenario gives in `[state] backend` and
//! `[checkpoints] storage`.

use super::model::{Backend, MAX_INLINE_THRESHOLD};
use crate::flink::version::FlinkVersion;

/// The backend named in a scenario's `[state] backend` (what the job sets
/// in code). Lenient on purpose: `hashmap` before 1.13 is the heap
/// `FsStateBackend`.
pub(super) fn backend_from_name(version: FlinkVersion, name: &str) -> Result<Backend, String> {
    let n = name.trim().to_ascii_lowercase();
    let legacy_ok = version.major < 2;
    match n.as_str() {
        "jobmanager" | "memory" if legacy_ok => Ok(Backend::Memory),
        "filesystem" | "fs" if legacy_ok => Ok(if version.at_least(1, 13) {
            // 1.13+: the `filesystem` shortcut loads HashMapStateBackend.
            Backend::HashMap
        } else {
            Backend::Fs
        }),
        "hashmap" | "heap" if version.at_least(1, 13) => Ok(Backend::HashMap),
        "hashmap" | "heap" => Ok(Backend::Fs),
        "rocksdb" => Ok(Backend::RocksDb),
        "forst" if version.major >= 2 => Ok(Backend::ForSt),
        "jobmanager" | "memory" | "filesystem" | "fs" => Err(format!(
            "state backend '{name}' was removed in Flink 2.0: use hashmap, rocksdb or forst"
        )),
        "forst" => Err(format!(
            "the ForSt backend exists from Flink 2.0, not in {version}"
        )),
        _ => Err(format!(
            "unknown state backend '{name}': expected hashmap, rocksdb{}",
            if legacy_ok {
                ", filesystem or jobmanager"
            } else {
                " or forst"
            }
        )),
    }
}

/// The backend a configuration value selects in `version`.
///
/// `StateBackendLoader.loadStateBackendFromConfig` lower-cases the value
/// and matches its shortcuts; any other value is loaded as a
/// `StateBackendFactory` class and fails with "Cannot find configured state
/// backend factory class". Shortcuts: `jobmanager` (MemoryStateBackend),
/// `filesystem` (FsStateBackend), `rocksdb` [1.6.2]–[1.12.7]; `hashmap`
/// added, `filesystem` falling through to HashMapStateBackend and
/// `jobmanager` still the legacy MemoryStateBackend [1.13.5]–[1.20];
/// `hashmap`, `rocksdb`, `forst` only [2.0][2.1].
pub fn backend_from_config(version: FlinkVersion, value: &str) -> Result<Backend, String> {
    let n = value.trim().to_lowercase();
    let shortcuts = if version.major >= 2 {
        "hashmap, rocksdb, forst"
    } else if version.at_least(1, 13) {
        "hashmap, rocksdb, filesystem (deprecated), jobmanager (deprecated)"
    } else {
        "jobmanager, filesystem, rocksdb"
    };
    let not_found = |extra: &str| {
        format!(
            "Cannot find configured state backend factory class: {value} \
             (Flink {version} fails to start the job; its shortcuts are {shortcuts}{extra})"
        )
    };
    match n.as_str() {
        "rocksdb" => Ok(Backend::RocksDb),
        "jobmanager" if version.major < 2 => Ok(Backend::Memory),
        "filesystem" if version.at_least(1, 13) && version.major < 2 => Ok(Backend::HashMap),
        "filesystem" if version.major < 2 => Ok(Backend::Fs),
        "hashmap" if version.at_least(1, 13) => Ok(Backend::HashMap),
        "forst" if version.major >= 2 => Ok(Backend::ForSt),
        "jobmanager" | "filesystem" => Err(not_found(
            "; the legacy backends were removed in 2.0: write hashmap, and \
             execution.checkpointing.storage: jobmanager or filesystem",
        )),
        "hashmap" => Err(not_found(
            "; HashMapStateBackend exists from 1.13: write filesystem \
             (FsStateBackend, the same heap backend with file checkpoints)",
        )),
        "forst" => Err(not_found("; ForSt exists from 2.0")),
        _ => Err(not_found("")),
    }
}

/// `CheckpointStorageLoader.fromConfig` [1.13.5][2.0]: `jobmanager` or
/// `filesystem`, lower-cased; anything else is loaded as a factory class.
/// Returns whether it is JobManager storage.
pub(super) fn storage_from_config(value: &str) -> Result<bool, String> {
    match value.trim().to_lowercase().as_str() {
        "jobmanager" => Ok(true),
        "filesystem" => Ok(false),
        _ => Err(format!(
            "Cannot find configured state backend factory class: {value} \
             (checkpoint storage shortcuts are jobmanager and filesystem)"
        )),
    }
}

/// The storage named in a scenario's `[checkpoints] storage`.
pub(super) fn storage_kind(name: &str) -> Result<bool, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "jobmanager" | "memory" => Ok(true),
        "filesystem" | "fs" => Ok(false),
        _ => Err(format!(
            "unknown checkpoint storage '{name}': expected jobmanager or filesystem"
        )),
    }
}

/// A boolean option's value. `Configuration.convertToBoolean` [1.6.2]
/// [1.9.0] is `Boolean.parseBoolean`: anything but `true` (any case) is
/// false; from [1.10.0] only `true`/`false` (any case), anything else is
/// an error.
pub(super) fn parse_bool(
    version: FlinkVersion,
    value: &str,
) -> Result<(bool, Option<String>), String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok((true, None)),
        "false" => Ok((false, None)),
        _ if !version.at_least(1, 10) => Ok((
            false,
            Some(format!(
                "'{value}' is not true: Flink {version} reads it as false"
            )),
        )),
        _ => Err(format!(
            "Unrecognized option for boolean: {value}. Expected either true or false(case insensitive)"
        )),
    }
}

/// Default inline threshold: 1024 bytes up to 1.10, 20 KiB from 1.11
/// (FLINK-17865; `CheckpointingOptions.FS_SMALL_FILE_THRESHOLD` is
/// `defaultValue(1024)` [1.10.0], `MemorySize.parse("20kb")` [1.11.0]).
pub fn default_inline_threshold(version: FlinkVersion) -> u64 {
    if version.at_least(1, 11) {
        20 * 1024
    } else {
        1024
    }
}

/// The inline threshold from a configured value, and a warning when Flink
/// falls back to the default.
///
/// [1.6.2]–[1.10.0] the option is an `Integer` of bytes: up to 1.9 a value
/// that is no integer (`"20kb"`) logs "Configuration cannot evaluate value
/// … as an integer number" and the default is used
/// (`Configuration.convertToInt`); 1.10 throws "Could not parse value"
/// (`Configuration.getOptional`). From [1.11.0] it is a `MemorySize`.
/// Values outside 0..=1 MiB are ignored with a warning and the default
/// used (`FsStateBackend` [1.6.2], `FileSystemCheckpointStorage`
/// [1.13.5]).
pub(super) fn parse_threshold(
    version: FlinkVersion,
    key: &str,
    value: &str,
) -> Result<(u64, Option<String>), String> {
    let default = default_inline_threshold(version);
    let parsed: Result<i128, String> = if version.at_least(1, 11) {
        crate::flink::units::parse_memory_size(value).map(|b| b as i128)
    } else {
        value
            .parse::<i32>()
            .map(i128::from)
            .map_err(|_| format!("'{value}' is not an integer number of bytes"))
    };
    match parsed {
        Err(e) if !version.at_least(1, 10) => Ok((
            default,
            Some(format!(
                "{e}: Flink {version} logs \"Configuration cannot evaluate value {value} as an \
                 integer number\" and uses the default {default} bytes (units such as 'kb' work \
                 from 1.11)"
            )),
        )),
        Err(e) => Err(format!(
            "Could not parse value '{value}' for key '{key}' ({e})"
        )),
        Ok(t) if !(0..=MAX_INLINE_THRESHOLD as i128).contains(&t) => Ok((
            default,
            Some(format!(
                "{value} is outside 0 to 1 MiB: Flink ignores it (\"Ignoring invalid file size \
                 threshold value\") and uses the default {default} bytes"
            )),
        )),
        Ok(t) => Ok((t as u64, None)),
    }
}

/// A size in Akka's / Pekko's HOCON syntax, as `akka.framesize` is handed
/// to the RPC system: `10485760b`, `10 MiB`, `10M`; `kB`/`MB`/`GB` are
/// powers of 1000.
pub fn parse_frame_size(value: &str) -> Result<u64, String> {
    let t = value.trim();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{value}' is not a size such as 10485760b"))?;
    let mult: u64 = match unit.trim() {
        "" | "b" | "B" | "byte" | "bytes" => 1,
        "k" | "K" | "Ki" | "KiB" | "kibibyte" | "kibibytes" => 1 << 10,
        "kB" | "kilobyte" | "kilobytes" => 1000,
        "m" | "M" | "Mi" | "MiB" | "mebibyte" | "mebibytes" => 1 << 20,
        "MB" | "megabyte" | "megabytes" => 1_000_000,
        "g" | "G" | "Gi" | "GiB" | "gibibyte" | "gibibytes" => 1 << 30,
        "GB" | "gigabyte" | "gigabytes" => 1_000_000_000,
        u => return Err(format!("unknown size unit '{u}' in '{value}'")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{value}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_per_version() {
        let v = |a, b| FlinkVersion::new(a, b);
        assert!(backend_from_config(v(1, 12), "hashmap").is_err());
        assert_eq!(backend_from_config(v(1, 12), "FileSystem"), Ok(Backend::Fs));
        assert_eq!(
            backend_from_config(v(1, 13), "filesystem"),
            Ok(Backend::HashMap)
        );
        assert_eq!(
            backend_from_config(v(1, 20), "jobmanager"),
            Ok(Backend::Memory)
        );
        assert!(backend_from_config(v(2, 0), "jobmanager").is_err());
        assert!(backend_from_config(v(1, 20), "forst").is_err());
        assert_eq!(backend_from_config(v(2, 1), "forst"), Ok(Backend::ForSt));
        // Quotes kept by the legacy parser make the name unknown.
        assert!(backend_from_config(v(1, 6), "\"rocksdb\"").is_err());
    }

    #[test]
    fn frame_sizes_in_akka_syntax() {
        assert_eq!(parse_frame_size("10485760b").unwrap(), 10_485_760);
        assert_eq!(parse_frame_size("20 MiB").unwrap(), 20 << 20);
        assert!(parse_frame_size("big").is_err());
    }
}
