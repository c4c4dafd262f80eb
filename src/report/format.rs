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
