//! Real Flink's measurements of keyed operators other than windows
//! (`tests/ground-truth-ops`, Flink 1.20.5 and 2.2.1): every hashmap case
//! of a `process` or `dedup` operator (TTL cleanup none, full snapshot,
//! incremental and the heap's default), alone or chained before a window
//! with its own parallelism, and of the two-input joins (regular and
//! interval), and Flink SQL's deduplication (keep first / last row) and
//! regular join (each unique-key layout) replayed from its trace through the library, each
//! row's bytes and checkpoint status equal to the byte. The RocksDB cases
//! (their writes replayed into one LSM per subtask) within the error
//! reached.

use crate::support::{Table, manifest_dir};
use statecap::Scenario;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn root() -> PathBuf {
    manifest_dir().join("tests/ground-truth-ops")
}

/// One row of a case's `expected.csv` (format v2: with `operator`).
#[derive(Debug, Clone, serde::Deserialize)]
struct Row {
    records: u64,
    checkpoint: u64,
    operator: String,
    subtask: u32,
    key_group_start: u32,
    key_group_end: u32,
    checkpoint_status: String,
    state_bytes: Option<u64>,
}

fn expected(case: &str) -> Vec<Row> {
    let p = root().join("cases").join(case).join("expected.csv");
    let mut r = csv::Reader::from_path(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    r.deserialize()
        .map(|row| row.unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The cases.csv lines of the hashmap cases.
fn heap_cases() -> Vec<std::collections::BTreeMap<String, String>> {
    Table::read(&root().join("cases.csv"))
        .rows
        .into_iter()
        .filter(|r| r["backend"] == "hashmap")
        .collect()
}

/// Whether statecap simulates the case: a process or dedup operator (any
/// TTL cleanup, or none), alone or chained before a window of its own
/// parallelism; a regular join (with TTL or without) or an interval join of
/// two inputs; a join after two dedups, each at its own parallelism.
fn covered(r: &std::collections::BTreeMap<String, String>) -> bool {
    matches!(
        r["job"].as_str(),
        "process"
            | "dedup"
            | "process_window"
            | "join"
            | "interval_join"
            | "dedup_join"
            | "sql_dedup"
            | "sql_join"
    ) && matches!(
        r["ttl_cleanup"].as_str(),
        "" | "none" | "full_snapshot" | "incremental" | "default"
    )
}

/// Every difference between the simulation of `case` and `rows`.
fn differences(case: &str, rows: &[Row]) -> (usize, Vec<String>) {
    let path = root().join("cases").join(case).join("scenario.toml");
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{case}: does not load: {e}"));
    let result = statecap::simulate(&scenario, &Default::default())
        .map(statecap::Run::into_result)
        .unwrap_or_else(|e| panic!("{case}: does not simulate: {e}"));
    let mut diffs = Vec::new();
    let mut compared = 0;
    let names: BTreeSet<&str> = rows.iter().map(|r| r.operator.as_str()).collect();
    for name in names {
        let Some(op) = result.operators.iter().find(|o| o.name == name) else {
            diffs.push(format!("{case}: no operator '{name}' predicted"));
            continue;
        };
        let want: BTreeSet<u64> = rows
            .iter()
            .filter(|r| r.operator == name)
            .map(|r| r.records)
            .collect();
        let got: BTreeSet<u64> = op.checkpoints.iter().map(|c| c.records).collect();
        if want != got {
            diffs.push(format!(
                "{case} {name}: checkpoints at records {got:?}, Flink took {want:?}"
            ));
        }
        for e in rows.iter().filter(|r| r.operator == name) {
            let at = format!("{case} {name} records={} subtask={}", e.records, e.subtask);
            let Some(cp) = op.checkpoints.iter().find(|c| c.records == e.records) else {
                continue;
            };
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
            if let Some(want) = e.state_bytes {
                if st.state_bytes != want {
                    diffs.push(format!(
                        "{at}: {} bytes, Flink {want} ({:+})",
                        st.state_bytes,
                        st.state_bytes as i64 - want as i64
                    ));
                }
                if (st.state_bytes_low, st.state_bytes_high) != (st.state_bytes, st.state_bytes) {
                    diffs.push(format!("{at}: given as a range, not exact"));
                }
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
    (compared, diffs)
}

#[test]
fn every_heap_case_bytes_and_status_equal_flinks() {
    let cases: Vec<String> = heap_cases()
        .into_iter()
        .filter(covered)
        .map(|r| r["case"].clone())
        .collect();
    assert!(
        cases.len() >= 32
            && cases.iter().any(|c| c.starts_with("V22_"))
            && cases.iter().any(|c| c.starts_with("OP_dedupjoin_"))
            && cases.iter().any(|c| c.starts_with("V22_dedupjoin_"))
            && cases
                .iter()
                .any(|c| c.starts_with("OP_join_") && c.contains("_ttl_")),
        "expected the 32 heap cases (seven on 2.2.1; joins with TTL, joins after two dedups), \
         found {cases:?}"
    );
    let mut compared = 0;
    let mut diffs = Vec::new();
    for case in &cases {
        let (n, d) = differences(case, &expected(case));
        compared += n;
        diffs.extend(d);
    }
    assert!(compared >= 569, "only {compared} rows compared");
    assert!(
        diffs.is_empty(),
        "{} of {compared} rows differ from real Flink:\n  {}",
        diffs.len(),
        diffs
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    eprintln!("{} cases, {compared} rows, all equal", cases.len());
}

/// The comparison sees a single byte off, and a changed status.
#[test]
fn one_byte_off_is_a_difference() {
    let case = "OP_dedup_p2_k20000_ttl_ocw_full";
    let mut rows = expected(case);
    rows[3].state_bytes = rows[3].state_bytes.map(|b| b + 1);
    rows[5].checkpoint_status = "failed".into();
    let (_, diffs) = differences(case, &rows);
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert!(diffs[0].contains("(-1)"), "{diffs:?}");
}

/// Every hashmap case is simulated (a case whose job or cleanup statecap
/// does not know fails here).
#[test]
fn every_heap_case_is_covered() {
    let all = Table::read(&root().join("cases.csv")).rows;
    let missed: Vec<&String> = all
        .iter()
        .filter(|r| r["backend"] == "hashmap" && !covered(r))
        .map(|r| &r["case"])
        .collect();
    assert!(missed.is_empty(), "heap cases not simulated: {missed:?}");
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(q * (v.len() - 1) as f64) as usize]
}

/// The RocksDB cases (a process function with TTL, cleanup none and the
/// compaction filter; interval joins on 1.20.5 and 2.2.1): their writes
/// replayed into one LSM per subtask give `state_bytes` within the error
/// reached per job (median, 90th percentile of the relative error, share
/// of rows inside `state_bytes_low..=state_bytes_high`). Real Flink's own
/// run-to-run spread (the `_rep2` twins) is -1 % to +8 % for the process
/// case and -10 % to +25 % for the interval join: the bars hold what the
/// replay reaches, and fail if it regresses.
#[test]
fn rocksdb_cases_are_within_the_error_reached() {
    // job -> (median, p90, inside share)
    let bars: BTreeMap<&str, (f64, f64, f64)> = [
        ("process", (0.040, 0.090, 0.85)),
        ("interval_join", (0.180, 0.520, 0.95)),
        // Within 0.1 % until the replay compacts (after the fourth flush
        // per column family) where Flink did not (six L0 files each, no
        // compaction in the measured run): 52-62 % under on those rows.
        ("join", (0.010, 0.650, 0.65)),
    ]
    .into_iter()
    .collect();
    let all = Table::read(&root().join("cases.csv")).rows;
    let rocks: Vec<_> = all.iter().filter(|r| r["backend"] == "rocksdb").collect();
    assert!(rocks.len() >= 5, "{} RocksDB cases", rocks.len());
    let mut stats: BTreeMap<String, (Vec<f64>, usize)> = BTreeMap::new();
    for r in rocks {
        let case = &r["case"];
        let path = root().join("cases").join(case).join("scenario.toml");
        let scenario =
            Scenario::load(&path).unwrap_or_else(|e| panic!("{case}: does not load: {e}"));
        let run = statecap::simulate(&scenario, &Default::default())
            .unwrap_or_else(|e| panic!("{case}: does not simulate: {e}"));
        assert!(run.result().rocksdb_replayed, "{case}: not replayed");
        let result = run.into_result();
        for e in expected(case) {
            let op = result
                .operators
                .iter()
                .find(|o| o.name == e.operator)
                .unwrap_or_else(|| panic!("{case}: no operator {}", e.operator));
            let cp = op
                .checkpoints
                .iter()
                .find(|c| c.records == e.records)
                .unwrap_or_else(|| panic!("{case}: no checkpoint at {}", e.records));
            assert_eq!(cp.status.name(), e.checkpoint_status, "{case}");
            let st = &cp.subtasks[e.subtask as usize];
            let Some(want) = e.state_bytes else { continue };
            let s = stats.entry(r["job"].clone()).or_default();
            s.0.push((st.state_bytes as f64 - want as f64).abs() / want.max(1) as f64);
            s.1 += (st.state_bytes_low <= want && want <= st.state_bytes_high) as usize;
        }
    }
    let mut failures = Vec::new();
    for (job, (mut errors, inside)) in stats {
        let n = errors.len();
        let median = quantile(&mut errors, 0.5);
        let p90 = quantile(&mut errors, 0.9);
        let share = inside as f64 / n as f64;
        eprintln!(
            "{job:14} {n:3} rows: median {:5.2}%, p90 {:5.2}%, inside the range {inside}/{n}",
            median * 100.0,
            p90 * 100.0
        );
        let &(m, p, i) = bars
            .get(job.as_str())
            .unwrap_or_else(|| panic!("no bar for RocksDB cases of job {job}"));
        if median > m || p90 > p || share < i {
            failures.push(format!(
                "{job}: median {median:.4} (bar {m}), p90 {p90:.4} (bar {p}), inside {share:.3} (bar {i})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The README's commented examples of each kind (dedup, process, a chain
/// of a window after the process, two inputs with an interval join and a
/// join), uncommented, parse and run exact (with the README's own source
/// fields, on the heap backend).
#[test]
fn the_readme_examples_of_each_kind_parse() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let at = readme.find("## The scenario file").unwrap();
    let block = &readme[at..];
    let start = block.find("# A deduplication operator").unwrap();
    let end = block[start..].find("\n[state]").unwrap() + start;
    let examples = &block[start..end];
    let (dedup, rest) = examples
        .split_once("# A KeyedProcessFunction")
        .expect("the process example");
    let (process, rest) = rest.split_once("# A chain").expect("the chain example");
    let (chain, two) = rest
        .split_once("# Two inputs")
        .expect("the two-input example");
    let (two, rest) = two
        .split_once("# A join after two dedups")
        .expect("the join after two dedups");
    let (after_dedups, sql) = rest
        .split_once("# A Flink SQL deduplication")
        .expect("the SQL dedup example");
    let (sql_dedup, sql_join) = sql
        .split_once("# A Flink SQL regular join")
        .expect("the SQL join example");
    let toml_of = |ex: &str| -> String {
        ex.lines()
            .filter(|l| l.starts_with("# ") && !l.starts_with("# A ") && !l.starts_with("#   "))
            .map(|l| {
                let l = &l[2..];
                // Drop the trailing comment, keep the TOML.
                match l.find("  #") {
                    Some(i) if !l.trim_start().starts_with('#') => l[..i].trim_end().to_string(),
                    _ => l.to_string(),
                }
            })
            .filter(|l| {
                !l.trim_start().starts_with('#')
                    && !l.contains("ttl_query_time_after_entries")
                    && !l.starts_with("Two inputs")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let top = "name = \"x\"\nflink_version = \"1.20\"\nseed = 1\n";
    let one = "[source]\nrecords = 1000\nevents_per_second = 1000\nkeys = 10\nrecord_bytes = 117\n\
               processing_time = \"event_time\"\nprocessing_lag_ms = 0\n";
    let job = "[job]\nparallelism = 2\n";
    let tail = "[state]\nbackend = \"hashmap\"\n[checkpoints]\nevery_records = 500\n";
    let chain_body = format!("{}\n{}", toml_of(process), toml_of(chain));
    // The SQL join after the two inputs of the two-input example.
    let two_toml = toml_of(two);
    let inputs = &two_toml[..two_toml.find("[[operator]]").unwrap()];
    let sql_join_body = format!("{inputs}\n{}", toml_of(sql_join));
    for (kind, body, two_inputs) in [
        ("dedup", toml_of(sql_dedup), false),
        ("join", sql_join_body, true),
        ("dedup", toml_of(dedup), false),
        ("process", toml_of(process), false),
        ("window", chain_body, false),
        ("interval_join", toml_of(two), true),
        (
            "dedup_join",
            format!("{}\n{}", toml_of(two), toml_of(after_dedups)),
            true,
        ),
    ] {
        let text = if two_inputs {
            format!("{top}{job}{body}\n{tail}").replace("records = 50000", "records = 1000")
        } else {
            format!("{top}{one}{job}{body}\n{tail}")
        };
        let s = Scenario::parse(&text, std::path::Path::new("readme.toml"))
            .unwrap_or_else(|e| panic!("{kind}: {e}\n{text}"));
        let last = s.operators.last().unwrap();
        let first = &s.operators[0];
        assert!(
            first.kind_name() == kind || last.kind_name() == kind || kind == "dedup_join",
            "{kind}: {:?}",
            s.operators
                .iter()
                .map(|o| o.kind_name())
                .collect::<Vec<_>>()
        );
        let r = statecap::simulate(&s, &Default::default()).unwrap();
        assert_eq!(r.mode, statecap::pipeline::Mode::Exact);
        for op in &r.result().operators {
            assert_eq!(op.checkpoints.len(), 2, "{kind}: {}", op.name);
        }
        if kind == "window" {
            // The chained window at its own parallelism.
            let w = &r.result().operators[1];
            assert_eq!(w.checkpoints[0].subtasks.len(), 3);
        }
        if kind == "dedup_join" {
            // Two dedups at their own parallelism, each reading one input,
            // and a join of what they pass on: it holds fewer bytes than
            // the join of every record.
            let ops = &r.result().operators;
            let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
            assert_eq!(
                names,
                [
                    "interval_join",
                    "join",
                    "dedup_orders",
                    "dedup_payments",
                    "orders_payments"
                ]
            );
            assert_eq!(ops[2].checkpoints[0].subtasks.len(), 1);
            assert_eq!(ops[3].checkpoints[0].subtasks.len(), 4);
            let last =
                |o: &statecap::pipeline::OperatorResult| o.checkpoints[1].total_state_bytes();
            assert!(last(&ops[4]) > 0 && last(&ops[4]) < last(&ops[1]));
            continue;
        }
        if let Some(k) = &last.keyed {
            // The SQL examples are SQL operators, the others are not.
            assert_eq!(
                k.sql.is_some(),
                last.name.contains("sql") || text.contains("style = \"sql\"")
            );
        }
        if two_inputs && kind == "interval_join" {
            assert_eq!(s.sides.len(), 2);
            assert_eq!(
                s.operators
                    .iter()
                    .map(|o| o.kind_name())
                    .collect::<Vec<_>>(),
                ["interval_join", "join"]
            );
            // Both joins hold bytes of both inputs.
            for op in &r.result().operators {
                assert!(op.checkpoints[1].total_state_bytes() > 0, "{}", op.name);
            }
        }
    }
}

/// Bad values in the new fields are errors at their file, line and field.
#[test]
fn bad_values_in_the_new_fields_are_named_at_their_line() {
    let text = "name = \"x\"\nflink_version = \"1.20\"\nseed = 1\n\
[source]\nrecords = 1000\nevents_per_second = 1000\nkeys = 10\nrecord_bytes = 117\n\
processing_time = \"wall_clock\"\n\
[job]\nparallelism = 2\n\
[[operator]]\nname = \"p\"\nkind = \"process\"\nparallelism = 0\n\
timer = { time = \"event\", delay = \"1 s\", clears = [\"nope\"] }\n\
[[operator.state]]\nname = \"a\"\nkind = \"value\"\nvalue_bytes = 4\n\
[[operator.state]]\nname = \"b\"\nkind = \"list\"\nelement = \"record\"\nttl = \"1 s\"\nttl_update = \"OnWrite\"\nttl_cleanup = \"incremental\"\nttl_cleanup_size = 0\n\
[[operator.state]]\nname = \"c\"\nkind = \"set\"\n\
[state]\nbackend = \"hashmap\"\n[checkpoints]\nevery_records = 500\n";
    let e = match Scenario::parse(text, std::path::Path::new("bad.toml")) {
        Err(statecap::Error::Scenario(e)) => e,
        other => panic!("{other:?}"),
    };
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    for (field, at) in [
        ("source.processing_time", line_of("processing_time")),
        ("operator[0].parallelism", line_of("parallelism = 0")),
        ("operator[0].timer.clears", line_of("timer =")),
        (
            "operator[0].state[0].value_bytes",
            line_of("value_bytes = 4"),
        ),
        ("operator[0].state[1].ttl_update", line_of("ttl_update")),
        (
            "operator[0].state[1].ttl_cleanup_size",
            line_of("ttl_cleanup_size"),
        ),
        ("operator[0].state[2].kind", line_of("kind = \"set\"")),
    ] {
        let Some(err) = e.iter().find(|x| x.field == field) else {
            panic!("no error at {field}: {e:?}");
        };
        assert_eq!(err.line, Some(at), "{field}: {err:?}");
        assert!(
            err.to_string().starts_with(&format!("bad.toml:{at}:")),
            "{err}"
        );
    }
}

/// The fast modes do not simulate these operators: `--mode analytic` and
/// `--mode sampled` are refused at the operator's line (a join's `kind`, a
/// chained window's own `parallelism`), exit 2 and nothing written; `auto`
/// runs exact and its mode line says why.
#[test]
fn fast_modes_are_refused_at_the_operator_and_auto_says_exact() {
    use crate::support::{statecap, stderr, stdout, write};
    let dir = tempfile::tempdir().unwrap();
    // A window of its own parallelism, reading the source.
    let own = write(
        dir.path(),
        "own.toml",
        "name = \"own\"\nflink_version = \"1.20\"\nseed = 1\n[source]\nrecords = 2000\n\
         events_per_second = 1000\nkeys = 50\nrecord_bytes = 117\n[job]\nparallelism = 2\n\
         [[operator]]\nname = \"w\"\nkind = \"window\"\nparallelism = 3\nassigner = \"tumbling\"\n\
         size_ms = 1000\nfunction = \"process\"\n[checkpoints]\nevery_records = 500\n",
    );
    let case = |c: &str| root().join("cases").join(c).join("scenario.toml");
    for (path, field, needle) in [
        (
            case("OP_join_p2_k2000"),
            "operator[0].kind",
            "kind = \"join\"",
        ),
        (
            case("OP_ijoin_p2_m2s_p1s"),
            "operator[0].kind",
            "kind = \"interval_join\"",
        ),
        (
            case("OP_chain_p2_w3_tum5s"),
            "operator[0].kind",
            "kind = \"process\"",
        ),
        (
            case("OP_dedup_p2_k20000_ttl_ocw_default"),
            "operator[0].kind",
            "kind = \"dedup\"",
        ),
        (own, "operator[0].parallelism", "parallelism = 3"),
    ] {
        let case = path.display();
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
        for mode in ["analytic", "sampled"] {
            let out = tempfile::tempdir().unwrap();
            let o = statecap([
                "run".as_ref(),
                path.as_os_str(),
                "--out".as_ref(),
                out.path().as_os_str(),
                "--mode".as_ref(),
                mode.as_ref(),
            ]);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{case} {mode}: {e}");
            assert!(
                e.contains(&format!(".toml:{line}:")) && e.contains(&format!("`{field}`")),
                "{case} {mode}: not at line {line}, `{field}`: {e}"
            );
            assert!(e.contains("exact mode only"), "{case} {mode}: {e}");
            assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
        }
        let out = tempfile::tempdir().unwrap();
        let o = statecap([
            "run".as_ref(),
            path.as_os_str(),
            "--out".as_ref(),
            out.path().as_os_str(),
        ]);
        let s = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{case}: {}", stderr(&o));
        let mode = s.lines().find(|l| l.starts_with("mode:")).unwrap_or("");
        assert!(
            mode.starts_with("mode: exact") && mode.contains("exact mode only"),
            "{case}: {mode}"
        );
    }
}

/// Bad values in the SQL fields (`style`, `keep`, `unique_key`, a SQL
/// dedup's fixed TTL settings, `table.exec.state.ttl`) are errors at their
/// file, line and field.
#[test]
fn bad_sql_fields_are_named_at_their_line() {
    let text = "name = \"x\"\nflink_version = \"1.20\"\nseed = 1\n\
[source]\nrecords = 1000\nevents_per_second = 1000\nkeys = 10\nrecord_bytes = 117\n\
[job]\nparallelism = 2\n\
[[operator]]\nname = \"d\"\nkind = \"dedup\"\nstyle = \"sql\"\nkeep = \"middle\"\n\
ttl = \"1 h\"\nttl_update = \"OnReadAndWrite\"\nunique_key = \"none\"\n\
[[operator]]\nname = \"e\"\nkind = \"dedup\"\nstyle = \"table\"\n\
[[operator]]\nname = \"w\"\nkind = \"window\"\nassigner = \"tumbling\"\nsize_ms = 1000\n\
time = \"event\"\nfunction = \"process\"\nkeep = \"first\"\n\
[flink_conf]\n\"table.exec.state.ttl\" = \"soon\"\n\
[checkpoints]\nevery_records = 500\n";
    let e = match Scenario::parse(text, std::path::Path::new("bad.toml")) {
        Err(statecap::Error::Scenario(e)) => e,
        other => panic!("{other:?}"),
    };
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    for (field, at) in [
        ("operator[0].keep", line_of("keep = \"middle\"")),
        ("operator[2].keep", line_of("keep = \"first\"")),
        ("operator[0].ttl_update", line_of("ttl_update")),
        ("operator[0].unique_key", line_of("unique_key")),
        ("operator[1].style", line_of("style = \"table\"")),
        (
            "flink_conf.table.exec.state.ttl",
            line_of("\"table.exec.state.ttl\""),
        ),
    ] {
        let Some(err) = e.iter().find(|x| x.field == field) else {
            panic!("no error at {field}: {e:?}");
        };
        assert_eq!(err.line, Some(at), "{field}: {err:?}");
        assert!(
            err.to_string().starts_with(&format!("bad.toml:{at}:")),
            "{err}"
        );
    }
    // A SQL join with table.exec.state.ttl and a unique key (join_key):
    // not simulated yet, said at the key.
    let join = "name = \"x\"\nflink_version = \"1.20\"\nseed = 1\n\
[input]\nrecords = 1000\n\
[[source]]\nname = \"l\"\nevents_per_second = 1000\nkeys = 10\nrecord_bytes = 117\nseed = 1\n\
[[source]]\nname = \"r\"\nevents_per_second = 1000\nkeys = 10\nrecord_bytes = 57\nseed = 2\n\
[job]\nparallelism = 2\n\
[[operator]]\nname = \"j\"\nkind = \"join\"\nstyle = \"sql\"\nunique_key = [\"join_key\", \"maybe\"]\n\
[flink_conf]\n\"table.exec.state.ttl\" = \"1 h\"\n\
[checkpoints]\nevery_records = 500\n";
    let e = match Scenario::parse(join, std::path::Path::new("bad.toml")) {
        Err(statecap::Error::Scenario(e)) => e,
        other => panic!("{other:?}"),
    };
    let line_of = |needle: &str| join.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    for (field, at) in [
        ("operator[0].unique_key", line_of("unique_key")),
        (
            "flink_conf.table.exec.state.ttl",
            line_of("\"table.exec.state.ttl\""),
        ),
    ] {
        let Some(err) = e.iter().find(|x| x.field == field) else {
            panic!("no error at {field}: {e:?}");
        };
        assert_eq!(err.line, Some(at), "{field}: {err:?}");
    }
}

/// A SQL operator on RocksDB is not simulated, and says so.
#[test]
fn a_sql_operator_on_rocksdb_is_named_unsimulated() {
    let case = root().join("cases/SQL_dedup_last_p3_k2000/scenario.toml");
    let text = std::fs::read_to_string(&case)
        .unwrap()
        .replace("backend = \"hashmap\"", "backend = \"rocksdb\"");
    let s = Scenario::parse(&text, &case).unwrap();
    let why = statecap::pipeline::unsimulated(&s, &s.config).expect("unsimulated");
    assert!(
        why.contains("style = \"sql\"") && why.contains("heap"),
        "{why}"
    );
    let heap = Scenario::load(&case).unwrap();
    assert_eq!(statecap::pipeline::unsimulated(&heap, &heap.config), None);
}

/// Every difference between statecap's per-state bytes of `case` and the
/// states Flink wrote (`states.csv.gz`, decoded from its snapshots), row by
/// row: a state's `entries` and entry bytes (namespace + key + value of its
/// entries, Flink's `total_bytes - framing_bytes`) and its framing (6 bytes
/// per key group); the header row's meta info and key-group ids. Also
/// checks, for every predicted subtask, that the states' entry bytes plus
/// the framing and header add up to its `state_bytes`.
fn state_differences(case: &str) -> (usize, Vec<String>) {
    let dir = root().join("cases").join(case);
    let scenario = Scenario::load(&dir.join("scenario.toml"))
        .unwrap_or_else(|e| panic!("{case}: does not load: {e}"));
    let result = statecap::simulate(&scenario, &Default::default())
        .map(statecap::Run::into_result)
        .unwrap_or_else(|e| panic!("{case}: does not simulate: {e}"));
    let rows = Table::read(&dir.join("states.csv.gz")).rows;
    let n = |r: &BTreeMap<String, String>, c: &str| -> u64 {
        r[c].parse()
            .unwrap_or_else(|e| panic!("{case}: {c} = {:?}: {e}", r[c]))
    };
    let mut diffs = Vec::new();
    let mut compared = 0;
    let mut seen: BTreeMap<(String, u64, u32), BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        let name = &r["operator"];
        let at = format!(
            "{case} {name} records={} subtask={} {}",
            r["records"], r["subtask"], r["state"]
        );
        let Some(op) = result.operators.iter().find(|o| &o.name == name) else {
            diffs.push(format!("{at}: no such operator predicted"));
            continue;
        };
        let records = n(r, "records");
        let subtask = n(r, "subtask") as u32;
        let Some(cp) = op.checkpoints.iter().find(|c| c.records == records) else {
            diffs.push(format!("{at}: no such checkpoint predicted"));
            continue;
        };
        let Some(st) = cp.subtasks.iter().find(|s| s.subtask == subtask) else {
            diffs.push(format!("{at}: no such subtask predicted"));
            continue;
        };
        let kgs = (st.key_group_end - st.key_group_start + 1) as u64;
        if n(r, "key_groups") != kgs {
            diffs.push(format!("{at}: {kgs} key groups, Flink {}", r["key_groups"]));
        }
        compared += 1;
        if r["state_id"] == "-" {
            let got = (op.framing.header, op.framing.key_group_id * kgs);
            let want = (n(r, "meta_bytes"), n(r, "framing_bytes"));
            if got != want {
                diffs.push(format!(
                    "{at}: header, key-group ids {got:?}, Flink {want:?}"
                ));
            }
            continue;
        }
        seen.entry((name.clone(), records, subtask))
            .or_default()
            .insert(r["state"].clone());
        let Some(i) = op.states.iter().position(|s| s == &r["state"]) else {
            diffs.push(format!(
                "{at}: no such state predicted (statecap has {:?})",
                op.states
            ));
            continue;
        };
        let Some(got) = cp.states.get(subtask as usize).and_then(|s| s.get(i)) else {
            diffs.push(format!("{at}: no per-state bytes predicted"));
            continue;
        };
        let want_entry_bytes = n(r, "total_bytes") - n(r, "framing_bytes");
        if (got.entry_bytes, got.entries) != (want_entry_bytes, n(r, "entries")) {
            diffs.push(format!(
                "{at}: {} entry bytes in {} entries, Flink {want_entry_bytes} in {} ({:+})",
                got.entry_bytes,
                got.entries,
                r["entries"],
                got.entry_bytes as i64 - want_entry_bytes as i64
            ));
        }
        if op.framing.state_framing(kgs) != n(r, "framing_bytes") {
            diffs.push(format!(
                "{at}: framing {}, Flink {}",
                op.framing.state_framing(kgs),
                r["framing_bytes"]
            ));
        }
    }
    // The same states, no more, and they add up to the subtask's bytes.
    for op in &result.operators {
        for cp in &op.checkpoints {
            for st in &cp.subtasks {
                let kgs = (st.key_group_end - st.key_group_start + 1) as u64;
                let states = &cp.states[st.subtask as usize];
                let sum: u64 = states
                    .iter()
                    .map(|s| s.entry_bytes + op.framing.state_framing(kgs))
                    .sum::<u64>()
                    + op.framing.subtask_framing(kgs);
                if sum != st.state_bytes {
                    diffs.push(format!(
                        "{case} {} checkpoint {} subtask {}: states add up to {sum}, not {}",
                        op.name, cp.checkpoint, st.subtask, st.state_bytes
                    ));
                }
                if let Some(want) = seen.get(&(op.name.clone(), cp.records, st.subtask)) {
                    let got: BTreeSet<String> = op.states.iter().cloned().collect();
                    if &got != want {
                        diffs.push(format!(
                            "{case} {} records={} subtask {}: states {got:?}, Flink {want:?}",
                            op.name, cp.records, st.subtask
                        ));
                    }
                }
            }
        }
    }
    (compared, diffs)
}

/// Every hashmap case's per-state bytes equal the states real Flink wrote,
/// row by row (`states.csv.gz`), and add up to each subtask's bytes.
#[test]
fn every_heap_case_per_state_bytes_equal_flinks() {
    let cases: Vec<String> = heap_cases()
        .into_iter()
        .filter(covered)
        .map(|r| r["case"].clone())
        .collect();
    let mut compared = 0;
    let mut diffs = Vec::new();
    for case in &cases {
        let (n, d) = state_differences(case);
        compared += n;
        diffs.extend(d);
    }
    assert!(compared >= 1800, "only {compared} state rows compared");
    assert!(
        diffs.is_empty(),
        "{} of {compared} state rows differ from real Flink:\n  {}",
        diffs.len(),
        diffs
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    eprintln!("{} cases, {compared} state rows, all equal", cases.len());
}

/// A Flink SQL join with `table.exec.state.ttl` (no unique key,
/// incremental cleanup) is order-dependent in real Flink: the join takes
/// its two inputs as their buffers arrive, and whether an iteration of a
/// key's map drops its last expired entries (leaving the key's map in the
/// state table, empty: the key, the namespace and a 4-byte size, 25 bytes)
/// or the incremental cleanup removes the map first depends on that
/// order. Six runs of the case differ by up to 225 bytes per row
/// (`repeats.csv`), so it is not a byte-exact case of cases.csv. What
/// holds: before anything expires (checkpoints 1-3) every state is equal to
/// the byte, and after, every state differs from Flink's by whole empty
/// maps only (entry bytes = 25 x entries), a few per state, and each
/// subtask is within three empty maps of the runs' range.
#[test]
fn sql_join_ttl_differs_from_flink_only_in_emptied_maps() {
    const EMPTY_MAP: i64 = 20 + 1 + 4;
    let case = "SQL_join_p2_k2000_ttl10s";
    let dir = root().join("cases").join(case);
    let scenario = Scenario::load(&dir.join("scenario.toml")).expect("loads");
    let result = statecap::simulate(&scenario, &Default::default())
        .map(statecap::Run::into_result)
        .expect("simulates");
    let op = &result.operators[0];
    let n = |r: &BTreeMap<String, String>, c: &str| -> i64 { r[c].parse().unwrap() };
    let mut compared = 0;
    let mut diffs = Vec::new();
    for r in Table::read(&dir.join("states.csv.gz")).rows {
        if r["state_id"] == "-" {
            continue;
        }
        let cp = op
            .checkpoints
            .iter()
            .find(|c| c.records as i64 == n(&r, "records"))
            .expect("checkpoint predicted");
        let i = op.states.iter().position(|s| s == &r["state"]).unwrap();
        let got = &cp.states[n(&r, "subtask") as usize][i];
        let entries = n(&r, "entries") - got.entries as i64;
        let bytes = n(&r, "total_bytes") - n(&r, "framing_bytes") - got.entry_bytes as i64;
        let at = format!(
            "records={} subtask={} {}",
            r["records"], r["subtask"], r["state"]
        );
        compared += 1;
        if cp.checkpoint <= 3 && (entries, bytes) != (0, 0) {
            diffs.push(format!(
                "{at}: {entries:+} entries, {bytes:+} bytes before any expiry"
            ));
        } else if bytes != EMPTY_MAP * entries || entries.abs() > 8 {
            diffs.push(format!("{at}: {entries:+} entries, {bytes:+} bytes"));
        }
    }
    assert_eq!(compared, 24, "state rows compared");
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The six runs agree where nothing expired and differ after, in whole
    // empty maps; statecap is within three empty maps of their range.
    let reps = Table::read(&dir.join("repeats.csv")).rows;
    assert_eq!(reps.len(), 12);
    let mut spreads = 0;
    for r in &reps {
        let runs: BTreeSet<i64> = (1..=6)
            .map(|i| n(r, &format!("run{i}_state_bytes")))
            .collect();
        let (lo, hi) = (*runs.first().unwrap(), *runs.last().unwrap());
        assert_eq!((hi - lo) % EMPTY_MAP, 0, "{r:?}");
        if n(r, "checkpoint") <= 3 {
            assert_eq!(hi, lo, "{r:?}");
        }
        spreads += (hi > lo) as usize;
        let got = op
            .checkpoints
            .iter()
            .find(|c| c.records as i64 == n(r, "records"))
            .and_then(|c| {
                c.subtasks
                    .iter()
                    .find(|s| s.subtask as i64 == n(r, "subtask"))
            })
            .expect("predicted")
            .state_bytes as i64;
        assert!(
            got >= lo - 3 * EMPTY_MAP && got <= hi + 3 * EMPTY_MAP,
            "{got} outside the runs' {lo}..={hi}: {r:?}"
        );
    }
    assert_eq!(spreads, 6, "the runs differ after checkpoint 3");
}
