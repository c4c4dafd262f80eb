//! Where a report comes from: statecap's version, the scenario file and
//! the SHA-256 of its bytes, the date. The date follows the
//! reproducible-builds convention: `SOURCE_DATE_EPOCH` (seconds since
//! 1970-01-01 UTC), when set, is the date written, so the same scenario
//! and seed give the same report bytes; without it, the current time.

use crate::error::{Error, Result};
use crate::scenario::Scenario;
use sha2::{Digest, Sha256};

/// When a report is dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Seconds since 1970-01-01 UTC.
    pub epoch: i64,
    /// Taken from `SOURCE_DATE_EPOCH` (else the clock).
    pub from_source_date_epoch: bool,
}

impl Stamp {
    /// `SOURCE_DATE_EPOCH` when set (a whole number of seconds, else an
    /// error naming it), else now.
    pub fn from_env() -> Result<Stamp> {
        Self::from_value(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
    }

    /// [`Stamp::from_env`] with the variable's value passed in.
    pub fn from_value(v: Option<&str>) -> Result<Stamp> {
        match v {
            Some(t) if !t.is_empty() => match t.trim().parse::<i64>() {
                Ok(epoch) if epoch >= 0 => Ok(Stamp {
                    epoch,
                    from_source_date_epoch: true,
                }),
                _ => Err(Error::usage(
                    "SOURCE_DATE_EPOCH",
                    format!(
                        "'{t}' is not a whole number of seconds since 1970-01-01 UTC (the \
                         reproducible-builds convention); unset it to date reports by the clock"
                    ),
                )),
            },
            _ => Ok(Stamp {
                epoch: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
                from_source_date_epoch: false,
            }),
        }
    }

    /// `2018-11-06 14:03 UTC`.
    pub fn text(&self) -> String {
        let days = self.epoch.div_euclid(86_400);
        let secs = self.epoch.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
            secs / 3600,
            secs % 3600 / 60
        )
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What a report says of its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// statecap's version.
    pub version: &'static str,
    /// The scenario file as given.
    pub file: String,
    /// SHA-256 of its bytes, lowercase hex (empty if it cannot be read).
    pub sha256: String,
    /// When.
    pub stamp: Stamp,
    /// The command: `run`, `compare`, `check`, `sweep`.
    pub command: &'static str,
}

impl Provenance {
    /// The provenance of a report on `s` written by `command` at `stamp`.
    pub fn new(s: &Scenario, command: &'static str, stamp: Stamp) -> Provenance {
        let sha256 = std::fs::read(&s.path)
            .map(|b| hex(&Sha256::digest(&b)))
            .unwrap_or_default();
        Provenance {
            version: env!("CARGO_PKG_VERSION"),
            file: s.path.display().to_string(),
            sha256,
            stamp,
            command,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_the_epoch() {
        let at = |epoch| {
            Stamp {
                epoch,
                from_source_date_epoch: true,
            }
            .text()
        };
        assert_eq!(at(0), "1970-01-01 00:00 UTC");
        // 2000-02-29 (a leap day of a century leap year), 12:34.
        assert_eq!(at(951_827_640), "2000-02-29 12:34 UTC");
        // 2018-11-06 14:03:20 UTC.
        assert_eq!(at(1_541_513_000), "2018-11-06 14:03 UTC");
    }

    #[test]
    fn source_date_epoch_is_read_or_refused() {
        assert_eq!(Stamp::from_value(Some("86400")).unwrap().epoch, 86_400);
        assert!(
            Stamp::from_value(Some("86400"))
                .unwrap()
                .from_source_date_epoch
        );
        assert!(Stamp::from_value(Some("yesterday")).is_err());
        assert!(!Stamp::from_value(None).unwrap().from_source_date_epoch);
    }

    #[test]
    fn sha256_of_known_bytes() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
