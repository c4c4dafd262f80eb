//! The README says what the code does: its scenario file lists every field
//! the parser takes (`src/scenario/raw.rs`, aliases included) and parses as
//! a valid scenario, with its commented and alternative forms too; its
//! `explain-config` example is what the command prints.

use crate::support::{manifest_dir, statecap, stderr, stdout, write};
use statecap::scenario::{Assigner, PayloadKind, Scenario, TimerService};
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(manifest_dir().join("README.md")).expect("README.md")
}

/// The first fenced block after `heading` that opens with `fence`.
fn block_after(text: &str, heading: &str, fence: &str) -> String {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let start = at + text[at..].find(fence).expect("a fenced block") + fence.len();
    let end = start + text[start..].find("\n```").expect("its end");
    text[start..end].trim_start_matches('\n').to_string()
}

fn scenario_block() -> String {
    block_after(&readme(), "## The scenario file", "```toml")
}

/// Every field and alias of the raw scenario types: `pub NAME:` and
/// `alias = "NAME"` in `src/scenario/raw.rs`.
fn raw_fields() -> Vec<String> {
    let src = std::fs::read_to_string(manifest_dir().join("src/scenario/raw.rs")).unwrap();
    let mut out = Vec::new();
    for line in src.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub ")
            && let Some((name, _)) = rest.split_once(':')
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            out.push(name.to_string());
        }
        if let Some(rest) = line.strip_prefix("#[serde(alias = \"") {
            out.push(rest.trim_end_matches("\")]").to_string());
        }
    }
    assert!(out.len() > 40, "fields of raw.rs: {out:?}");
    out
}

fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let word_char = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word_char(before) && !word_char(after)
    })
}

#[test]
fn the_readme_scenario_names_every_field_the_parser_takes() {
    let block = scenario_block();
    let missing: Vec<String> = raw_fields()
        .into_iter()
        .filter(|f| {
            // `size_ms` and friends: "or *_ms integers" beside `size`.
            let ms = f
                .strip_suffix("_ms")
                .is_some_and(|base| mentions(&block, base) && block.contains("*_ms"));
            !mentions(&block, f) && !ms
        })
        .collect();
    assert!(
        missing.is_empty(),
        "fields of src/scenario/raw.rs the README's scenario file does not show: {missing:?}"
    );
}

#[test]
fn the_readme_scenario_parses_in_every_form_it_shows() {
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("jobs");
    std::fs::create_dir(&sub).unwrap();
    let block = scenario_block();
    let s = Scenario::parse(&block, &sub.join("readme.toml")).expect("the README's scenario");
    assert_eq!(s.source.events_per_second, 9100.0);
    assert!(s.description.is_some());

    // The commented fields and the alternative spellings it names.
    let uncomment =
        |text: &str, key: &str| text.replace(&format!("# {key} ="), &format!("{key} ="));
    let mut alt = block.clone();
    for key in ["payload", "offset", "timer_service", "max_parallelism"] {
        alt = uncomment(&alt, key);
    }
    alt = alt
        .replace("events_per_second = 9_100", "rate = 9_100")
        .replace("jitter_ms = 0", "jitter = \"200 ms\"")
        .replace("out_of_orderness_ms = 0", "out_of_orderness = \"500 ms\"")
        .replace("time = \"processing\"", "time = \"event\"")
        .replace("payload = \"random\"", "payload = \"text\"");
    let s = Scenario::parse(&alt, &sub.join("alt.toml")).unwrap_or_else(|e| panic!("{e:?}\n{alt}"));
    assert_eq!(s.source.events_per_second, 9100.0, "rate");
    assert_eq!(s.source.jitter_ms, 200, "jitter");
    assert_eq!(s.source.out_of_orderness_ms, 500, "out_of_orderness");
    assert_eq!(s.source.payload, PayloadKind::Text);
    assert_eq!(s.timer_service, TimerService::RocksDb);
    assert!(
        matches!(
            s.operators[0].assigner,
            Assigner::Tumbling {
                size_ms: 5000,
                offset_ms: 2000
            }
        ),
        "{:?}",
        s.operators[0].assigner
    );

    // `trace` is relative to the scenario file, not the working directory.
    write(&sub, "input.csv", "key,ts_ms,bytes\n1,0,100\n2,5,100\n");
    let traced = uncomment(&block, "trace").replace("input.csv.gz", "input.csv");
    let s = Scenario::parse(&traced, &sub.join("traced.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        s.source.trace.as_deref(),
        Some(sub.join("input.csv").as_path())
    );
    assert!(
        Scenario::parse(&traced, Path::new("elsewhere/traced.toml")).is_err(),
        "not found beside another file"
    );
}

/// The README's `explain-config` example is the command's output, cut:
/// every line it shows (or every piece of one cut with `...`) is printed.
#[test]
fn the_readme_explain_config_example_is_what_the_command_prints() {
    let text = readme();
    let block = block_after(&text, "`explain-config`", "```\n");
    let mut lines = block.lines();
    let command = lines.next().expect("the command").trim_start_matches("$ ");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    assert_eq!(args[0], "explain-config", "{command}");
    let o = std::process::Command::new(crate::support::bin())
        .args(&args)
        .current_dir(manifest_dir())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for line in lines {
        for piece in line.split("...").map(str::trim_end) {
            if !piece.trim().is_empty() {
                assert!(
                    out.contains(piece),
                    "README shows `{piece}`; the command prints:\n{out}"
                );
            }
        }
    }
    // And `statecap --help` lists the command the README describes.
    assert!(stdout(&statecap(["--help"])).contains("explain-config"));
}
