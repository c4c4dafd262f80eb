//! The house rule, checked on the source: every module of `src/` imports
//! only from its own floor or the floors below it, nothing in the library
//! prints or draws a progress bar, and `clap` lives in the binary only.
//!
//! Floors, from the ground up (lib.rs says the same in words):
//! error < flink < scenario < workload < sim < backend < pipeline < plan <
//! report < the CLI (main.rs, cli.rs, cli/).

use std::path::{Path, PathBuf};

/// The floors, lowest first.
const FLOORS: [&str; 10] = [
    "error", "flink", "scenario", "workload", "sim", "backend", "pipeline", "plan", "report", "cli",
];

/// The items lib.rs re-exports at the crate root, and the floor each comes
/// from (a root name not listed here is a violation: it has no floor).
const ROOT_ITEMS: [(&str, &str); 10] = [
    ("Error", "error"),
    ("Result", "error"),
    ("Scenario", "scenario"),
    ("CheckpointResult", "pipeline"),
    ("OperatorResult", "pipeline"),
    ("Run", "pipeline"),
    ("RunOptions", "pipeline"),
    ("ScenarioResult", "pipeline"),
    ("Mode", "pipeline"),
    ("simulate", "pipeline"),
];

fn floor_of_name(name: &str) -> Option<usize> {
    let module = ROOT_ITEMS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, m)| m);
    FLOORS.iter().position(|f| *f == module)
}

/// The floor of a file, from its path under `src/`.
fn floor_of_file(rel: &Path) -> Option<usize> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let module = match first.strip_suffix(".rs").unwrap_or(first) {
        "main" | "cli" => "cli",
        "lib" => return None,
        m => m,
    };
    FLOORS.iter().position(|f| *f == module)
}

/// The code of a file without comments and test modules.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment of every `crate::…` (or `statecap::…`) path in
/// `code`, including each item of `crate::{a, b::c}`.
fn imported(code: &str, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    let pat = format!("{root}::");
    let mut rest = code;
    while let Some(i) = rest.find(&pat) {
        let before = rest[..i].chars().last();
        rest = &rest[i + pat.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

/// What is wrong with one file on `floor`.
fn violations(floor: usize, code: &str, library: bool) -> Vec<String> {
    let mut v = Vec::new();
    let root = if library { "crate" } else { "statecap" };
    for name in imported(code, root) {
        match floor_of_name(&name) {
            None => v.push(format!("`{root}::{name}` has no floor")),
            Some(f) if f > floor => v.push(format!(
                "imports `{root}::{name}` from floor '{}' above its own '{}'",
                FLOORS[f], FLOORS[floor]
            )),
            _ => {}
        }
    }
    if library {
        for bad in [
            "println!",
            "print!",
            "eprintln!",
            "eprint!",
            "dbg!",
            "indicatif",
            "stdout()",
            "stderr()",
        ] {
            if code.contains(bad) {
                v.push(format!("prints or draws progress (`{bad}`)"));
            }
        }
        if code.contains("clap") {
            v.push("uses `clap` (flags belong to the binary)".into());
        }
    }
    v
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_imports_only_from_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let Some(floor) = floor_of_file(rel) else {
            continue;
        };
        let library = FLOORS[floor] != "cli";
        let text = std::fs::read_to_string(f).unwrap();
        for p in violations(floor, &code(&text), library) {
            problems.push(format!("src/{}: {p}", rel.display()));
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} files checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn lib_rs_declares_every_floor() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for floor in &FLOORS[..FLOORS.len() - 1] {
        assert!(
            lib.contains(&format!("pub mod {floor};")),
            "lib.rs does not declare `{floor}`"
        );
    }
}

#[test]
fn the_check_catches_what_it_forbids() {
    let flink = floor_of_name("flink").unwrap();
    let sim = floor_of_name("sim").unwrap();
    let report = floor_of_name("report").unwrap();
    // Reaching up, plainly or inside a group.
    assert_eq!(
        violations(flink, "use crate::scenario::units;", true).len(),
        1
    );
    assert_eq!(
        violations(sim, "use crate::{error::Result, plan::compare};", true).len(),
        1
    );
    assert_eq!(
        violations(sim, "let r = crate::simulate(&s, &o);", true).len(),
        1
    );
    // An unknown root item has no floor.
    assert_eq!(violations(report, "use crate::Whatever;", true).len(), 1);
    // Printing, progress bars and flags in the library.
    assert_eq!(violations(sim, "println!(\"x\");", true).len(), 1);
    assert_eq!(
        violations(report, "let b = indicatif::ProgressBar::new(1);", true).len(),
        1
    );
    assert_eq!(violations(sim, "#[derive(clap::ValueEnum)]", true).len(), 1);
    // Looking down or sideways is fine; so is the binary printing.
    assert!(violations(report, "use crate::{pipeline::Run, flink::units};", true).is_empty());
    assert!(violations(sim, "use crate::sim::timeline::Head;", true).is_empty());
    assert!(
        violations(
            FLOORS.len() - 1,
            "println!(\"x\"); use statecap::report;",
            false
        )
        .is_empty()
    );
    // Comments and test modules do not count.
    assert!(
        code("// use crate::report;\nfn f() {}\n#[cfg(test)]\nuse crate::report;")
            .find("report")
            .is_none()
    );
}
