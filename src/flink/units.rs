//! Flink's own syntax for sizes and durations, as a person writes them in a
//! scenario or a Flink configuration: `"5 mb"`, `"64kb"`, `"10 s"`,
//! `"1 h"`, `"500"` (bytes / milliseconds).
//!
//! Follows `MemorySize.parse` (units are powers of 1024: `b`, `k`/`kb`,
//! `m`/`mb`, `g`/`gb`, `t`/`tb` and their long names) and
//! `TimeUtils.parseDuration` (`ns`, `us`, `ms`, `s`, `min`/`m`, `h`, `d` and
//! long names; no unit means milliseconds).

/// Splits `"5 mb"` into `(5.0, "mb")`.
fn split(text: &str) -> Result<(f64, String), String> {
    let t = text.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    let num: String = num.chars().filter(|&c| c != '_').collect();
    if num.is_empty() {
        return Err(format!("'{text}' does not start with a number"));
    }
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{num}' in '{text}' is not a number"))?;
    Ok((n, unit.trim().to_ascii_lowercase()))
}

/// Parses a memory size in Flink's `MemorySize` syntax into bytes.
pub fn parse_memory_size(text: &str) -> Result<u64, String> {
    let (n, unit) = split(text)?;
    let mult: u64 = match unit.as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        _ => {
            return Err(format!(
                "unknown size unit '{unit}' in '{text}': use b, kb, mb, gb or tb"
            ));
        }
    };
    let v = n * mult as f64;
    if !v.is_finite() || v > u64::MAX as f64 / 2.0 {
        return Err(format!("'{text}' is too large"));
    }
    if v.fract() != 0.0 {
        return Err(format!("'{text}' is not a whole number of bytes"));
    }
    Ok(v as u64)
}

/// Parses a duration in Flink's `TimeUtils.parseDuration` syntax into
/// milliseconds (sub-millisecond durations must be whole milliseconds).
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let (n, unit) = split(text)?;
    let ms: f64 = match unit.as_str() {
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1e-6,
        "us" | "µs" | "micro" | "micros" | "microsecond" | "microseconds" => 1e-3,
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1e3,
        "m" | "min" | "mins" | "minute" | "minutes" => 60e3,
        "h" | "hour" | "hours" => 3600e3,
        "d" | "day" | "days" => 86400e3,
        _ => {
            return Err(format!(
                "unknown time unit '{unit}' in '{text}': use ms, s, min, h or d"
            ));
        }
    };
    let v = n * ms;
    if !v.is_finite() || v > 1e17 {
        return Err(format!("'{text}' is too long"));
    }
    if v.fract() != 0.0 {
        return Err(format!("'{text}' is not a whole number of milliseconds"));
    }
    Ok(v as u64)
}

/// Thousands separators, as every table and message writes counts: `62,000`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats bytes for people: `5.0 MiB`, `812 B`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Formats milliseconds for people: `950 ms`, `12.5 s`, `3.0 min`, `2.0 h`.
pub fn human_duration_ms(ms: i64) -> String {
    let a = ms.unsigned_abs() as f64;
    let sign = if ms < 0 { "-" } else { "" };
    if a < 1000.0 {
        format!("{ms} ms")
    } else if a < 60e3 {
        format!("{sign}{:.1} s", a / 1e3)
    } else if a < 3600e3 {
        format!("{sign}{:.1} min", a / 60e3)
    } else if a < 86400e3 {
        format!("{sign}{:.1} h", a / 3600e3)
    } else {
        format!("{sign}{:.1} d", a / 86400e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_flink_syntax() {
        assert_eq!(parse_memory_size("5 mb").unwrap(), 5_242_880);
        assert_eq!(parse_memory_size("20kb").unwrap(), 20_480);
        assert_eq!(parse_memory_size("1024").unwrap(), 1024);
        assert_eq!(parse_memory_size("1.5 kb").unwrap(), 1536);
        assert_eq!(parse_memory_size("10485760b").unwrap(), 10_485_760);
        assert!(parse_memory_size("5 parsecs").is_err());
        assert!(parse_memory_size("mb").is_err());
    }

    #[test]
    fn durations_in_flink_syntax() {
        assert_eq!(parse_duration_ms("10 s").unwrap(), 10_000);
        assert_eq!(parse_duration_ms("5 min").unwrap(), 300_000);
        assert_eq!(parse_duration_ms("1h").unwrap(), 3_600_000);
        assert_eq!(parse_duration_ms("250").unwrap(), 250);
        assert_eq!(parse_duration_ms("1 d").unwrap(), 86_400_000);
        assert!(parse_duration_ms("3 fortnights").is_err());
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(5_242_880), "5.0 MiB");
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_duration_ms(12_500), "12.5 s");
    }
}
