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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date of a day since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses an RFC 3339 date and time (`2026-12-07T09:00:00Z`,
/// `2026-12-07T10:00:00.5+01:00`) into milliseconds since 1970 (UTC).
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "expected an RFC 3339 date and time such as \"2026-12-07T09:00:00Z\" \
             (or with an offset, \"+01:00\"), got {text:?}"
        )
    };
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = b.get(r).ok_or_else(bad)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] {
        return Err(format!("{}: no such date", bad()));
    }
    if h > 23 || mi > 59 || sec > 59 {
        return Err(format!("{}: no such time of day", bad()));
    }
    let mut i = 19;
    let mut ms = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        let frac = &text.trim()[start..i];
        ms = format!("{:0<3}", &frac[..frac.len().min(3)])
            .parse::<i64>()
            .map_err(|_| bad())?;
    }
    let offset_min = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let m = oh * 60 + om;
            if c == b'-' { -m } else { m }
        }
        _ => return Err(bad()),
    };
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Ok(secs * 1000 + ms)
}

/// Milliseconds since 1970 as a UTC date and time to the minute:
/// `2026-12-07 12:12 UTC`.
pub fn format_utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        t / 3600,
        t / 60 % 60
    )
}

/// A span for people: `3 h 12 min`, `2 d 4 h`, `45 min`, `3 min 24 s`,
/// `40 s` (to the second below an hour, to the minute above).
pub fn human_span_ms(ms: i64) -> String {
    let ms = ms.max(0);
    let min = ms / 60_000;
    if min == 0 {
        return format!("{} s", ms / 1000);
    }
    let (d, h, m) = (min / 1440, min / 60 % 24, min % 60);
    match (d, h, m) {
        (0, 0, m) if ms / 1000 % 60 == 0 => format!("{m} min"),
        (0, 0, m) => format!("{m} min {} s", ms / 1000 % 60),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) if d >= 1 => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates_and_times() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Ok(0));
        // 2026-12-07: 20794 days after 1970-01-01.
        let day = 20794 * 86_400_000;
        assert_eq!(
            parse_rfc3339_ms("2026-12-07T09:00:00Z"),
            Ok(day + 9 * 3_600_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-12-07T10:00:00.25+01:00"),
            Ok(day + 9 * 3_600_000 + 250)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00-00:30"),
            Ok(1_709_166_600_000)
        );
        for bad in [
            "2026-12-07",
            "2026-12-07T09:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-12-07T24:00:00Z",
            "2026-12-07T09:00:00+1:00",
            "tomorrow",
        ] {
            assert!(parse_rfc3339_ms(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format_utc_minute(day + 12 * 3_600_000 + 12 * 60_000 + 59_999),
            "2026-12-07 12:12 UTC"
        );
        assert_eq!(format_utc_minute(1_709_166_600_000), "2024-02-29 00:30 UTC");
        assert_eq!(
            human_span_ms(3 * 3_600_000 + 12 * 60_000 + 5000),
            "3 h 12 min"
        );
        assert_eq!(
            human_span_ms(2 * 86_400_000 + 4 * 3_600_000 + 60_000),
            "2 d 4 h"
        );
        assert_eq!(human_span_ms(45 * 60_000), "45 min");
        assert_eq!(human_span_ms(40_000), "40 s");
        assert_eq!(human_span_ms(204_000), "3 min 24 s");
    }

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
