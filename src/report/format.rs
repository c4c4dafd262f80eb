//! Numbers and operators in words, as the table after a run and
//! `report.md` both write them.

use crate::flink::units::human_duration_ms;
use crate::scenario::{Assigner, Scenario, TimeCharacteristic, WindowFunction};

pub use crate::flink::units::group_digits as group;

/// Where an operator is described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wording {
    /// The table after a run, after the operator's name: with the window
    /// function's Flink interface and the allowed lateness.
    Table,
    /// The report's brief: the operator named first.
    Report,
}

/// The window operator `i` of `s` in words: its window (size, slide or
/// gap, and time) and what its function keeps.
pub(crate) fn describe_operator(s: &Scenario, i: usize, wording: Wording) -> String {
    let op = &s.operators[i];
    let table = wording == Wording::Table;
    if let Some(k) = &op.keyed {
        let d = describe_keyed(k);
        return match wording {
            Wording::Table => d,
            Wording::Report => format!("'{}': {d}", op.name),
        };
    }
    let time = match op.time {
        TimeCharacteristic::Event => "event-time",
        TimeCharacteristic::Processing => "processing-time",
    };
    let win = match op.assigner {
        Assigner::Tumbling { size_ms, .. } => {
            format!("tumbling {} {time} window", human_duration_ms(size_ms))
        }
        Assigner::Sliding {
            size_ms, slide_ms, ..
        } => format!(
            "sliding {} every {} {time} window",
            human_duration_ms(size_ms),
            human_duration_ms(slide_ms)
        ),
        Assigner::Session { gap_ms } if table => {
            format!("session gap {} {time} window", human_duration_ms(gap_ms))
        }
        Assigner::Session { gap_ms } => {
            format!("{time} session window, gap {}", human_duration_ms(gap_ms))
        }
    };
    let f = match op.function {
        WindowFunction::Process => "process (keeps every element)".to_string(),
        WindowFunction::Apply if table => "apply (WindowFunction: keeps every element)".to_string(),
        WindowFunction::Apply => "apply (keeps every element)".to_string(),
        WindowFunction::Aggregate { accumulator_bytes } if table => {
            format!("aggregate ({accumulator_bytes}-byte accumulator)")
        }
        WindowFunction::Aggregate { accumulator_bytes } => {
            format!("aggregate ({accumulator_bytes} B accumulator)")
        }
        WindowFunction::Reduce => "reduce (keeps one element)".to_string(),
    };
    match wording {
        Wording::Table if op.allowed_lateness_ms > 0 => format!(
            "{win}, {f}, lateness {}",
            human_duration_ms(op.allowed_lateness_ms)
        ),
        Wording::Table => format!("{win}, {f}"),
        Wording::Report => format!("'{}': {win}, {f}", op.name),
    }
}

/// A process or dedup operator in words: its states, TTL and timer.
fn describe_keyed(k: &crate::scenario::KeyedOperator) -> String {
    use crate::scenario::{JoinUnique, KeyedKind, SqlShape, StateKind, TtlCleanup};
    let ttl = |t: &Option<crate::scenario::Ttl>| match t {
        None => String::new(),
        Some(t) => format!(
            ", TTL {} {}{}, cleanup {}",
            human_duration_ms(t.ttl_ms),
            if t.update_on_read {
                "OnReadAndWrite"
            } else {
                "OnCreateAndWrite"
            },
            if t.return_expired {
                " ReturnExpiredIfNotCleanedUp"
            } else {
                ""
            },
            match t.cleanup {
                TtlCleanup::None => "none".to_string(),
                TtlCleanup::FullSnapshot => "full snapshot".to_string(),
                TtlCleanup::Incremental { size } => format!("incremental {size}"),
            }
        ),
    };
    match k.sql {
        Some(SqlShape::DedupFirst) => {
            return format!(
                "SQL dedup keeping the first row (ValueState<Boolean> 'deduplicate-state'{})",
                ttl(&k.states[0].ttl)
            );
        }
        Some(SqlShape::DedupLast) => {
            return format!(
                "SQL dedup keeping the last row (ValueState<RowData> 'deduplicate-state'{})",
                ttl(&k.states[0].ttl)
            );
        }
        Some(SqlShape::Join { left, right }) => {
            let side = |u: JoinUnique| match u {
                JoinUnique::None => "MapState<RowData, Integer>: row -> count",
                JoinUnique::JoinKey => "ValueState<RowData>: the key's last row",
                JoinUnique::Other => "MapState<RowData, RowData>: unique key -> row",
            };
            return format!(
                "SQL join ('left-records' {}; 'right-records' {})",
                side(left),
                side(right)
            );
        }
        None => {}
    }
    match k.kind {
        KeyedKind::Dedup => {
            return format!(
                "dedup (ValueState<Boolean> 'seen'{})",
                ttl(&k.states[0].ttl)
            );
        }
        KeyedKind::Join => {
            return "join (ListStates 'left' and 'right': every record of both inputs)".into();
        }
        KeyedKind::IntervalJoin { lower_ms, upper_ms } => {
            return format!(
                "interval join between {} and {} (LEFT_BUFFER / RIGHT_BUFFER, cleanup timers)",
                human_duration_ms(lower_ms),
                human_duration_ms(upper_ms)
            );
        }
        KeyedKind::Process => {}
    }
    let states: Vec<String> = k
        .states
        .iter()
        .map(|s| {
            let what = match &s.kind {
                StateKind::Value { value_bytes: 1 } => "value<Boolean>".to_string(),
                StateKind::Value { .. } => "value<Long>".to_string(),
                StateKind::List {
                    max_elements: Some(n),
                } => format!("list of the newest {n} records"),
                StateKind::List { max_elements: None } => "list of every record".to_string(),
                StateKind::Map { map_keys, .. } => format!("map of {map_keys} sub-keys"),
            };
            format!("'{}' {what}{}", s.name, ttl(&s.ttl))
        })
        .collect();
    let timer = match &k.timer {
        Some(t) => format!("; event-time timer +{}", human_duration_ms(t.delay_ms)),
        None => String::new(),
    };
    format!(
        "process ({}){timer}",
        if states.is_empty() {
            "no state".to_string()
        } else {
            states.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(62_000), "62,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }
}
