//! Real Flink's measurements, replayed: every uncompressed hashmap case of
//! `../shared/ground-truth` and the Flink 1.9 legacy case (no backend
//! configured), loaded in place (their relative `trace` resolves against
//! the case folder) and simulated through the library. Heap snapshots are
//! deterministic to the byte, so every comparison here is exact.

use crate::support::{Case, Expected, exact_cases};
use statecap::backend::CheckpointStatus;
use statecap::{Scenario, ScenarioResult};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Prefix of Flink's logged exception that statecap's message leaves out.
const IO_PREFIX: &str = "java.io.IOException: ";

/// One case, simulated.
struct Run {
    case: Case,
    scenario: Scenario,
    result: ScenarioResult,
    expected: Vec<Expected>,
}

impl Run {
    /// The predicted checkpoint taken after `records` records.
    fn checkpoint(&self, records: u64) -> Option<&statecap::CheckpointResult> {
        self.result.operators[0]
            .checkpoints
            .iter()
            .find(|c| c.records == records)
    }
}

/// Every case simulated once, shared by the tests of this module.
fn runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        exact_cases()
            .into_iter()
            .map(|case| {
                let path = case.scenario_path();
                let scenario = Scenario::load(&path)
                    .unwrap_or_else(|e| panic!("{}: does not load: {e}", case.name));
                let result = statecap::simulate(&scenario, &Default::default())
                    .map(statecap::Run::into_result)
                    .unwrap_or_else(|e| panic!("{}: does not simulate: {e}", case.name));
                assert_eq!(
                    result.operators.len(),
                    1,
                    "{}: one window operator",
                    case.name
                );
                let expected = case.expected();
                Run {
                    case,
                    scenario,
                    result,
                    expected,
                }
            })
            .collect()
    })
}

/// Fails listing the first differences, if there are any.
fn assert_no_differences(what: &str, compared: usize, diffs: &[String]) {
    assert!(compared > 0, "{what}: nothing was compared");
    if !diffs.is_empty() {
        let shown: Vec<&str> = diffs.iter().take(40).map(String::as_str).collect();
        panic!(
            "{what}: {} of {compared} differ from real Flink:\n  {}",
            diffs.len(),
            shown.join("\n  ")
        );
    }
    eprintln!("{what}: {compared} compared, all equal");
}

#[test]
fn subtask_bytes_and_checkpoint_status_equal_flinks() {
    let mut compared = 0;
    let mut diffs = Vec::new();
    for run in runs() {
        let name = &run.case.name;
        let op = &run.result.operators[0];
        // Every expected checkpoint is predicted, and no other.
        let want_ckpts: std::collections::BTreeSet<u64> =
            run.expected.iter().map(|e| e.records).collect();
        let got_ckpts: std::collections::BTreeSet<u64> =
            op.checkpoints.iter().map(|c| c.records).collect();
        if want_ckpts != got_ckpts {
            diffs.push(format!(
                "{name}: checkpoints at records {got_ckpts:?}, Flink took {want_ckpts:?}"
            ));
        }
        for e in &run.expected {
            let Some(cp) = run.checkpoint(e.records) else {
                continue;
            };
            let at = format!("{name} records={} subtask={}", e.records, e.subtask);
            let Some(st) = cp.subtasks.iter().find(|s| s.subtask == e.subtask) else {
                diffs.push(format!("{at}: no such subtask predicted"));
                continue;
            };
            compared += 1;
            if cp.checkpoint != e.checkpoint {
                diffs.push(format!(
                    "{at}: checkpoint {} (Flink {})",
                    cp.checkpoint, e.checkpoint
                ));
            }
            if (st.key_group_start, st.key_group_end) != (e.key_group_start, e.key_group_end) {
                diffs.push(format!(
                    "{at}: key groups {}-{} (Flink {}-{})",
                    st.key_group_start, st.key_group_end, e.key_group_start, e.key_group_end
                ));
            }
            if let Some(want) = e.state_bytes
                && st.state_bytes != want
            {
                diffs.push(format!(
                    "{at}: state_bytes {} (Flink {want}, {:+})",
                    st.state_bytes,
                    st.state_bytes as i64 - want as i64
                ));
            }
            if let Some(want) = e.checkpointed_bytes
                && st.checkpointed_bytes != want
            {
                diffs.push(format!(
                    "{at}: checkpointed_bytes {} (Flink {want})",
                    st.checkpointed_bytes
                ));
            }
            if cp.status.name() != e.checkpoint_status {
                diffs.push(format!(
                    "{at}: status {} (Flink {})",
                    cp.status.name(),
                    e.checkpoint_status
                ));
            }
        }
    }
    assert_no_differences("subtask rows", compared, &diffs);
}

#[test]
fn failed_checkpoints_carry_flinks_message() {
    let mut compared = 0;
    let mut diffs = Vec::new();
    for run in runs() {
        let name = &run.case.name;
        let reports: Vec<&Expected> = run
            .expected
            .iter()
            .filter(|e| e.source == "failure-report")
            .collect();
        if run.case.info["outcome"] == "failed" {
            assert!(
                !reports.is_empty(),
                "{name}: failed without a failure report"
            );
        }
        let mut same_subtask = 0;
        let mut reported: BTreeMap<u64, std::collections::BTreeSet<u32>> = BTreeMap::new();
        for e in &reports {
            reported.entry(e.records).or_default().insert(e.subtask);
        }
        for e in reports {
            let at = format!("{name} records={} subtask={}", e.records, e.subtask);
            let flink = e
                .flink_message
                .as_deref()
                .unwrap_or_else(|| panic!("{at}: failure report without a message"));
            let want = flink.strip_prefix(IO_PREFIX).unwrap_or(flink);
            let Some(cp) = run.checkpoint(e.records) else {
                diffs.push(format!("{at}: no such checkpoint predicted"));
                continue;
            };
            let CheckpointStatus::Failed {
                subtask,
                max_size,
                over_limit,
                message,
                ..
            } = &cp.status
            else {
                diffs.push(format!("{at}: predicted completed, Flink failed: {want}"));
                continue;
            };
            compared += 1;
            if !over_limit.contains(&e.subtask) {
                diffs.push(format!(
                    "{at}: Flink's declining subtask is not among those over the limit {over_limit:?}"
                ));
            }
            if *subtask == e.subtask {
                same_subtask += 1;
                if message != want {
                    diffs.push(format!("{at}: message\n    {message}\n  Flink\n    {want}"));
                }
            }
            // The message statecap would give for this very subtask.
            let bytes = cp
                .subtasks
                .iter()
                .find(|s| s.subtask == e.subtask)
                .map_or(0, |s| s.state_bytes);
            let mine = run.scenario.config.size_exceeded_message(bytes, *max_size);
            if mine != want {
                diffs.push(format!("{at}: message\n    {mine}\n  Flink\n    {want}"));
            }
        }
        // Flink 1.20 reports every subtask over the limit (the reports of a
        // checkpoint are exactly its over-limit set, checked above and
        // below), so statecap's reported subtask must be one of them. Flink
        // 1.9 logs one decline per checkpoint, whichever reached the
        // coordinator first: in the measured run never the largest, so
        // there only the message of each reported subtask is compared.
        if run.case.info["outcome"] == "failed" && run.case.info["flink_version"] != "1.9" {
            assert!(
                same_subtask > 0,
                "{name}: statecap never reports the subtask Flink's failure report names"
            );
            for (records, subtasks) in &reported {
                let cp = run.checkpoint(*records).expect("checkpoint");
                if let CheckpointStatus::Failed { over_limit, .. } = &cp.status {
                    let over: std::collections::BTreeSet<u32> =
                        over_limit.iter().copied().collect();
                    if &over != subtasks {
                        diffs.push(format!(
                            "{name} records={records}: over the limit {over:?}, Flink's reports {subtasks:?}"
                        ));
                    }
                }
            }
        }
    }
    assert_no_differences("failure reports", compared, &diffs);
}

#[test]
fn key_group_bytes_at_the_peak_equal_flinks() {
    let mut compared = 0;
    let mut cases = 0;
    let mut diffs = Vec::new();
    for run in runs() {
        let Some(kgs) = run.case.key_groups() else {
            continue;
        };
        let op = &run.result.operators[0];
        let peak = &op.checkpoints[op.peak.expect("a peak checkpoint")];
        let want: Vec<&crate::support::KeyGroupRow> =
            kgs.iter().filter(|r| r.records == peak.records).collect();
        if want.is_empty() {
            // Flink wrote no key groups for a failed checkpoint.
            assert!(
                matches!(peak.status, CheckpointStatus::Failed { .. }),
                "{}: no key groups measured at the peak ({} records)",
                run.case.name,
                peak.records
            );
            continue;
        }
        cases += 1;
        assert_eq!(
            op.peak_key_group_bytes.len(),
            run.scenario.max_parallelism as usize,
            "{}: one entry per key group",
            run.case.name
        );
        for r in want {
            compared += 1;
            let got = op.peak_key_group_bytes[r.key_group as usize];
            if got != r.bytes {
                diffs.push(format!(
                    "{} records={} key_group={}: {got} (Flink {})",
                    run.case.name, r.records, r.key_group, r.bytes
                ));
            }
        }
    }
    assert!(cases >= 35, "only {cases} cases had key groups at the peak");
    assert_no_differences("key groups at the peak", compared, &diffs);
}

/// Bytes of every key group at every checkpoint, through the library's
/// lower layers (`simulate_scenario` keeps only the peak's).
fn key_group_bytes_at_every_checkpoint(s: &Scenario) -> BTreeMap<u64, Vec<u64>> {
    use statecap::backend::HeapModel;
    use statecap::flink::KeyGroupLayout;
    use statecap::scenario::Assigner;
    use statecap::sim::{self, OperatorSpec};
    use statecap::workload::Workload;

    let workload = Workload::new(s).expect("workload");
    let op = &s.operators[0];
    let heap = HeapModel::new(
        KeyGroupLayout::new(s.parallelism, s.max_parallelism),
        sim::value_layout(op),
        matches!(op.assigner, Assigner::Session { .. }),
    );
    let mut out = BTreeMap::new();
    sim::simulate(
        &OperatorSpec::new(s, 0),
        &workload.keys,
        workload.records,
        workload.input(),
        &mut |snap| {
            let kgs = (0..snap.kg_bytes.len())
                .map(|kg| heap.key_group_bytes(snap, kg))
                .collect();
            out.insert(snap.records, kgs);
        },
        &|_| {},
    );
    out
}

#[test]
fn key_group_bytes_at_every_checkpoint_equal_flinks() {
    let mut compared = 0;
    let mut diffs = Vec::new();
    for run in runs() {
        let Some(rows) = run.case.key_groups() else {
            continue;
        };
        let got = key_group_bytes_at_every_checkpoint(&run.scenario);
        let layout = statecap::flink::KeyGroupLayout::new(
            run.scenario.parallelism,
            run.scenario.max_parallelism,
        );
        // Per subtask, the key groups and the header make up the stream.
        let mut sums: HashMap<(u64, u32), u64> = HashMap::new();
        for r in &rows {
            let at = format!(
                "{} records={} key_group={}",
                run.case.name, r.records, r.key_group
            );
            if layout.subtask_of(r.key_group) != r.subtask {
                diffs.push(format!(
                    "{at}: statecap puts it on subtask {} (Flink {})",
                    layout.subtask_of(r.key_group),
                    r.subtask
                ));
            }
            *sums.entry((r.records, r.subtask)).or_default() += r.bytes;
            compared += 1;
            match got
                .get(&r.records)
                .and_then(|v| v.get(r.key_group as usize))
            {
                Some(&b) if b == r.bytes => {}
                Some(&b) => diffs.push(format!("{at}: {b} (Flink {})", r.bytes)),
                None => diffs.push(format!("{at}: not predicted")),
            }
        }
        // Flink's key groups and the header (measured, README "Facts
        // learned") make up statecap's subtask stream.
        let header = header_bytes(&run.case.info["function"], &run.case.info["window"]);
        for ((records, subtask), sum) in sums {
            let cp = run.checkpoint(records).expect("checkpoint predicted");
            let st = &cp.subtasks[subtask as usize];
            if header + sum != st.state_bytes {
                diffs.push(format!(
                    "{} records={records} subtask={subtask}: header {header} + Flink's key groups {sum} = {}, statecap {}",
                    run.case.name,
                    header + sum,
                    st.state_bytes
                ));
            }
        }
    }
    assert_no_differences("key groups at every checkpoint", compared, &diffs);
}

/// The serialization-proxy header of one subtask's stream, as measured.
fn header_bytes(function: &str, window: &str) -> u64 {
    let base = match function {
        "process" | "apply" => 1492,
        "aggregate" => 1318,
        "reduce" => 1405,
        other => panic!("unknown function {other}"),
    };
    if window == "session" {
        base + 630
    } else {
        base
    }
}

/// In every case, each subtask's registered states (window contents,
/// merging-window set, timers) plus Flink's framing and header add up to
/// its snapshot bytes, which equal Flink's; the contents' entries and the
/// timers are the subtask's.
#[test]
fn per_state_bytes_add_up_to_each_subtasks_bytes() {
    let mut compared = 0;
    let mut diffs = Vec::new();
    for run in runs() {
        for op in &run.result.operators {
            for cp in &op.checkpoints {
                for st in &cp.subtasks {
                    let at = format!(
                        "{} checkpoint {} subtask {}",
                        run.case.name, cp.checkpoint, st.subtask
                    );
                    let Some(states) = cp.states.get(st.subtask as usize) else {
                        diffs.push(format!("{at}: no per-state bytes"));
                        continue;
                    };
                    compared += 1;
                    let kgs = (st.key_group_end - st.key_group_start + 1) as u64;
                    let sum: u64 = states
                        .iter()
                        .map(|s| s.entry_bytes + op.framing.state_framing(kgs))
                        .sum::<u64>()
                        + op.framing.subtask_framing(kgs);
                    if sum != st.state_bytes {
                        diffs.push(format!(
                            "{at}: states add up to {sum}, not {}",
                            st.state_bytes
                        ));
                    }
                    let timers: u64 = op
                        .states
                        .iter()
                        .zip(states)
                        .filter(|(n, _)| n.starts_with("_timer_state/"))
                        .map(|(_, s)| s.entries)
                        .sum();
                    if (states[0].entries, timers) != (st.entries, st.timers) {
                        diffs.push(format!(
                            "{at}: {} contents and {timers} timers, not {} and {}",
                            states[0].entries, st.entries, st.timers
                        ));
                    }
                }
            }
        }
    }
    assert_no_differences("per-state sums", compared, &diffs);
    assert!(compared >= 1400, "only {compared} subtasks compared");
}
