//! Every configuration key each Flink version knows: the `ConfigOption`
//! fields of its distribution's classes, read from the real jars (how the
//! files under `catalog/` were made: `tools/keycat/README.md`). Flink
//! ignores a key it does not know without a word; `explain-config` says so,
//! with the closest key the version does know.

use crate::flink::FlinkVersion;
use std::collections::HashSet;
use std::sync::OnceLock;

/// One version's catalog: `key<TAB>kind` lines (`kind`: `key`,
/// `deprecated:<current>`, `fallback:<current>`).
struct Catalog {
    major: u32,
    minor: u32,
    text: &'static str,
}

/// The catalogs statecap carries, oldest first.
const CATALOGS: &[Catalog] = &[
    Catalog {
        major: 1,
        minor: 9,
        text: include_str!("catalog/1.9.txt"),
    },
    Catalog {
        major: 1,
        minor: 10,
        text: include_str!("catalog/1.10.txt"),
    },
    Catalog {
        major: 1,
        minor: 11,
        text: include_str!("catalog/1.11.txt"),
    },
    Catalog {
        major: 1,
        minor: 12,
        text: include_str!("catalog/1.12.txt"),
    },
    Catalog {
        major: 1,
        minor: 13,
        text: include_str!("catalog/1.13.txt"),
    },
    Catalog {
        major: 1,
        minor: 14,
        text: include_str!("catalog/1.14.txt"),
    },
    Catalog {
        major: 1,
        minor: 15,
        text: include_str!("catalog/1.15.txt"),
    },
    Catalog {
        major: 1,
        minor: 16,
        text: include_str!("catalog/1.16.txt"),
    },
    Catalog {
        major: 1,
        minor: 17,
        text: include_str!("catalog/1.17.txt"),
    },
    Catalog {
        major: 1,
        minor: 18,
        text: include_str!("catalog/1.18.txt"),
    },
    Catalog {
        major: 1,
        minor: 19,
        text: include_str!("catalog/1.19.txt"),
    },
    Catalog {
        major: 1,
        minor: 20,
        text: include_str!("catalog/1.20.txt"),
    },
    Catalog {
        major: 2,
        minor: 0,
        text: include_str!("catalog/2.0.txt"),
    },
    Catalog {
        major: 2,
        minor: 1,
        text: include_str!("catalog/2.1.txt"),
    },
    Catalog {
        major: 2,
        minor: 2,
        text: include_str!("catalog/2.2.txt"),
    },
    Catalog {
        major: 2,
        minor: 3,
        text: include_str!("catalog/2.3.txt"),
    },
];

/// A version's keys, parsed once.
struct Keys {
    major: u32,
    minor: u32,
    all: Vec<&'static str>,
    set: HashSet<&'static str>,
    /// Keys with a placeholder (`metrics.reporter.<name>.factory.class`),
    /// split into segments.
    patterns: Vec<Vec<&'static str>>,
}

impl Keys {
    fn contains(&self, key: &str) -> bool {
        self.set.contains(key) || self.patterns.iter().any(|p| matches(p, key))
    }
}

/// Whether `key` fits `pattern`: a `<name>` segment stands for one segment
/// of the key; a last `<parameter>`, `<param>` or `<key>` for one or more.
fn matches(pattern: &[&str], key: &str) -> bool {
    let segments: Vec<&str> = key.split('.').collect();
    let open_end = pattern
        .last()
        .is_some_and(|l| matches!(*l, "<parameter>" | "<param>" | "<key>"));
    let fixed = if open_end {
        pattern.len() - 1
    } else {
        pattern.len()
    };
    if segments.len() < fixed + usize::from(open_end) || (!open_end && segments.len() != fixed) {
        return false;
    }
    pattern[..fixed]
        .iter()
        .zip(&segments)
        .all(|(p, s)| (p.starts_with('<') && p.ends_with('>') && !s.is_empty()) || p == s)
}

fn parsed() -> &'static [Keys] {
    static PARSED: OnceLock<Vec<Keys>> = OnceLock::new();
    PARSED.get_or_init(|| {
        CATALOGS
            .iter()
            .map(|c| {
                let all: Vec<&'static str> = c
                    .text
                    .lines()
                    .filter_map(|l| l.split('\t').next())
                    .map(str::trim)
                    .filter(|k| !k.is_empty() && !k.starts_with('#'))
                    .collect();
                Keys {
                    major: c.major,
                    minor: c.minor,
                    set: all.iter().copied().collect(),
                    patterns: all
                        .iter()
                        .filter(|k| k.contains('<'))
                        .map(|k| k.split('.').collect())
                        .collect(),
                    all: all.into_iter().filter(|k| !k.contains('<')).collect(),
                }
            })
            .collect()
    })
}

/// The catalog of `v`, if statecap has one for its minor version.
fn of(v: FlinkVersion) -> Option<&'static Keys> {
    parsed()
        .iter()
        .find(|k| k.major == v.major && k.minor == v.minor)
}

/// Whether Flink `v` knows `key` (`None`: no catalog for that version).
pub fn knows(v: FlinkVersion, key: &str) -> Option<bool> {
    of(v).map(|k| k.contains(key))
}

/// Whether any version statecap has a catalog of knows `key`.
pub fn known_anywhere(key: &str) -> bool {
    parsed().iter().any(|k| k.contains(key))
}

/// The versions with a catalog, as `1.20`, `2.2`.
pub fn versions() -> Vec<String> {
    parsed()
        .iter()
        .map(|k| format!("{}.{}", k.major, k.minor))
        .collect()
}

/// The key of `v` closest to `key` (edit distance at most a fifth of its
/// length, at least 2, at most 6), if one is.
pub fn closest(v: FlinkVersion, key: &str) -> Option<&'static str> {
    let keys = of(v)?;
    let n = key.chars().count();
    let limit = (n / 5).clamp(2, 6);
    keys.all
        .iter()
        .filter(|k| k.len().abs_diff(key.len()) <= limit)
        .map(|k| (distance(k, key, limit), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance of `a` and `b`, or `limit + 1` once it is sure to
/// be above `limit`.
pub fn distance(a: &str, b: &str, limit: usize) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_stand_for_a_segment_or_the_rest() {
        let p: Vec<&str> = "metrics.reporter.<name>.factory.class".split('.').collect();
        assert!(matches(&p, "metrics.reporter.prom.factory.class"));
        assert!(!matches(&p, "metrics.reporter.factory.class"));
        let p: Vec<&str> = "metrics.reporter.<name>.<parameter>".split('.').collect();
        assert!(matches(&p, "metrics.reporter.prom.port"));
        assert!(matches(&p, "metrics.reporter.prom.a.b"));
        assert!(!matches(&p, "metrics.reporter.prom"));
        let v = FlinkVersion::new(1, 20);
        assert_eq!(knows(v, "metrics.reporter.prom.factory.class"), Some(true));
        assert_eq!(knows(v, "taskmanager.numberOfTaskSlots"), Some(true));
        assert_eq!(knows(v, "taskmanager.numberOfTaskManagers"), Some(false));
        assert_eq!(knows(FlinkVersion::new(1, 6), "state.backend"), None);
    }

    #[test]
    fn distance_is_levenshtein_within_the_limit() {
        assert_eq!(distance("kitten", "sitting", 10), 3);
        assert_eq!(distance("state.backend", "state.backend", 2), 0);
        assert_eq!(distance("abc", "xyz", 1), 2);
    }
}
