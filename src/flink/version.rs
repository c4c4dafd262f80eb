//! Flink release lines: [`FlinkVersion`] (`major.minor`, written `1.20` or
//! `1.20.5`) and [`known_versions`], every line statecap knows, 1.6 to 2.2.
//!
//! What a version reads in a configuration, and what it selects, is
//! [`crate::flink::config`]'s business.

use std::fmt;
use std::str::FromStr;

/// A Flink release line, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlinkVersion {
    /// 1 or 2.
    pub major: u32,
    /// Minor release.
    pub minor: u32,
}

impl FlinkVersion {
    /// Builds a version.
    pub const fn new(major: u32, minor: u32) -> Self {
        FlinkVersion { major, minor }
    }
    /// Whether this is `major.minor` or later.
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self >= FlinkVersion::new(major, minor)
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for FlinkVersion {
    type Err = String;
    /// Accepts `1.6`, `1.6.2`, `1.20.5`, `2.0`, `2.2.1`; versions 1.6 to 2.x.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut it = s.trim().split('.');
        let parse = |p: Option<&str>| -> Option<u32> { p?.parse().ok() };
        let major = parse(it.next());
        let minor = parse(it.next());
        let patch_ok = it.next().is_none_or(|p| p.parse::<u32>().is_ok()) && it.next().is_none();
        match (major, minor) {
            (Some(major), Some(minor)) if patch_ok => {
                let v = FlinkVersion::new(major, minor);
                if v < FlinkVersion::new(1, 6) || major > 2 {
                    Err(format!(
                        "Flink {s} is not supported: statecap knows 1.6 to 2.x"
                    ))
                } else {
                    Ok(v)
                }
            }
            _ => Err(format!(
                "'{s}' is not a Flink version: write major.minor, e.g. \"1.20\" or \"1.6.2\""
            )),
        }
    }
}

/// Every release line statecap knows, oldest first.
pub fn known_versions() -> impl Iterator<Item = FlinkVersion> {
    (6..=20)
        .map(|m| FlinkVersion::new(1, m))
        .chain((0..=2).map(|m| FlinkVersion::new(2, m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(
            "1.20.5".parse::<FlinkVersion>().unwrap(),
            FlinkVersion::new(1, 20)
        );
        assert!("1.5".parse::<FlinkVersion>().is_err());
        assert!("x".parse::<FlinkVersion>().is_err());
        assert!("1.2.3.4".parse::<FlinkVersion>().is_err());
    }
}
