//! The ground-truth cases without their traces: statecap generates the
//! input from the scenario's seed, keys, rate and record sizes, so bytes
//! can no longer be exact. What a user plans with is the largest subtask
//! per checkpoint; its median relative error over all checkpoints of all
//! cases must stay within 3 % (`gt_check.py --generated --bar peak3`).

use crate::support::{exact_cases, median, without_trace};
use statecap::Scenario;
use std::collections::BTreeMap;

/// Largest allowed median error of the largest subtask per checkpoint.
const BAR: f64 = 0.03;

#[test]
fn generated_input_predicts_the_largest_subtask_within_3_percent() {
    let mut all = Vec::new();
    let mut table = Vec::new();
    for case in exact_cases() {
        let path = case.scenario_path();
        let text = std::fs::read_to_string(&path).expect("scenario text");
        let s = Scenario::parse(&without_trace(&text), &path)
            .unwrap_or_else(|e| panic!("{}: without its trace: {e}", case.name));
        assert!(s.source.trace.is_none());
        let r = statecap::simulate(&s, &Default::default())
            .map(statecap::Run::into_result)
            .unwrap_or_else(|e| panic!("{}: does not simulate: {e}", case.name));
        let op = &r.operators[0];

        // Flink's largest subtask per checkpoint.
        let mut want: BTreeMap<u64, u64> = BTreeMap::new();
        for e in case.expected() {
            if let Some(b) = e.state_bytes {
                let w = want.entry(e.records).or_default();
                *w = (*w).max(b);
            }
        }
        let mut errs = Vec::new();
        for (&records, &w) in &want {
            let cp = op
                .checkpoints
                .iter()
                .find(|c| c.records == records)
                .unwrap_or_else(|| panic!("{}: no checkpoint at {records} records", case.name));
            let g = cp.max_state_bytes();
            errs.push((g as f64 - w as f64).abs() / (w.max(1) as f64));
        }
        let med = median(&errs);
        let worst = errs.iter().copied().fold(0.0, f64::max);
        table.push(format!(
            "{:<34} {:>5} {:>8.2}% {:>8.2}%",
            case.name,
            errs.len(),
            med * 100.0,
            worst * 100.0
        ));
        all.extend(errs);
    }
    let overall = median(&all);
    eprintln!(
        "\ngenerated input, largest subtask per checkpoint vs real Flink\n{:<34} {:>5} {:>9} {:>9}\n{}\nall: {} checkpoints, median error {:.2}% (bar {:.0}%)\n",
        "case",
        "ckpts",
        "median",
        "worst",
        table.join("\n"),
        all.len(),
        overall * 100.0,
        BAR * 100.0
    );
    assert!(
        overall <= BAR,
        "median error of the largest subtask {:.2}% is above {:.0}%:\n{}",
        overall * 100.0,
        BAR * 100.0,
        table.join("\n")
    );
}
