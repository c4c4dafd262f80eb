//! The comparison charts read at a glance: no text over another text or
//! over a bar, the limit drawn only across the options it bounds (JobManager
//! storage), the failing option and the recommended one marked. Checked on
//! the SVG the commands write, from each element's coordinates.

use crate::support::{manifest_dir, statecap, stderr};
use std::path::Path;

/// A text box: left, top, right, bottom (pixels), and the text.
#[derive(Debug, Clone)]
struct Label {
    b: (f64, f64, f64, f64),
    text: String,
}

fn attr(tag: &str, name: &str) -> Option<f64> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()?.parse().ok()
}

fn attr_s<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()
}

fn unescape(t: &str) -> String {
    t.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Every `<text>` of `svg` with a box from its position, anchor and size: a
/// character is taken as 0.6 of the font size wide (the upper end for the
/// sans-serif font the charts embed), a line as the font size high
/// (`dy="0.76em"`: `y` is the top).
fn labels(svg: &str) -> Vec<Label> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        let close = rest.find("</text>").unwrap();
        let text = unescape(rest[end + 1..close].trim());
        rest = &rest[close..];
        let (x, y, size) = (
            attr(tag, "x").unwrap(),
            attr(tag, "y").unwrap(),
            attr(tag, "font-size").unwrap(),
        );
        let w = 0.6 * size * text.chars().count() as f64;
        let left = match attr_s(tag, "text-anchor") {
            Some("middle") => x - w / 2.0,
            Some("end") => x - w,
            _ => x,
        };
        out.push(Label {
            b: (left, y, left + w, y + size),
            text,
        });
    }
    out
}

/// Every filled `<rect>` (the bars), as left, top, right, bottom.
fn bars(svg: &str) -> Vec<(f64, f64, f64, f64)> {
    let mut out = Vec::new();
    for tag in svg.split("<rect ").skip(1) {
        let tag = &tag[..tag.find('>').unwrap()];
        let (Some(x), Some(y), Some(w), Some(h)) = (
            attr(&format!(" {tag}"), "x"),
            attr(&format!(" {tag}"), "y"),
            attr(&format!(" {tag}"), "width"),
            attr(&format!(" {tag}"), "height"),
        ) else {
            continue;
        };
        // The white background and the legend's box (white, or an outline)
        // are not bars; neither are the legend's swatches (18 × 10).
        if w >= 1000.0
            || tag.contains("fill=\"#FFFFFF\"")
            || tag.contains("fill=\"none\"")
            || (w == 18.0 && h == 10.0)
        {
            continue;
        }
        out.push((x, y, x + w, y + h));
    }
    out
}

/// Every segment of the limit's color (`#C81E1E` strokes): x and its y range.
fn limit_segments(svg: &str) -> Vec<(f64, f64, f64)> {
    let mut out = Vec::new();
    for tag in svg.split("<polyline ").skip(1) {
        let tag = &tag[..tag.find("/>").unwrap_or(tag.len())];
        if !tag.contains("stroke=\"#C81E1E\"") {
            continue;
        }
        let pts: Vec<(f64, f64)> = attr_s(&format!(" {tag}"), "points")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|p| {
                let (a, b) = p.split_once(',')?;
                Some((a.parse().ok()?, b.parse().ok()?))
            })
            .collect();
        if let [(x0, y0), (x1, y1)] = pts[..]
            && (x0 - x1).abs() < 0.5
        {
            out.push((x0, y0.min(y1), y0.max(y1)));
        }
    }
    out
}

fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// No two texts and no text and bar of `svg` overlap.
fn assert_readable(svg: &str, what: &str) {
    let ls = labels(svg);
    assert!(!ls.is_empty(), "{what}: no text");
    for (i, a) in ls.iter().enumerate() {
        for b in &ls[i + 1..] {
            assert!(
                !overlap(a.b, b.b),
                "{what}: '{}' {:?} overlaps '{}' {:?}",
                a.text,
                a.b,
                b.text,
                b.b
            );
        }
        for r in bars(svg) {
            assert!(
                !overlap(a.b, r),
                "{what}: '{}' {:?} lies on a bar {r:?}",
                a.text,
                a.b
            );
        }
    }
}

fn compare_svg(dir: &Path) -> String {
    let seed = manifest_dir().join("scenarios/seed_flink16_memory_backend.toml");
    let o = statecap([
        "compare".as_ref(),
        seed.as_os_str(),
        "--out".as_ref(),
        dir.as_os_str(),
        "-q".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(dir.join("seed_flink16_memory_backend-compare/compare.svg")).unwrap()
}

#[test]
fn the_compare_chart_marks_the_decision_without_overprinting() {
    let d = tempfile::tempdir().unwrap();
    let svg = compare_svg(d.path());
    assert_readable(&svg, "compare.svg");
    let ls = labels(&svg);
    let find = |t: &str| {
        ls.iter()
            .find(|l| l.text.contains(t))
            .unwrap_or_else(|| panic!("no '{t}' in compare.svg"))
            .clone()
    };
    // The failing option and the recommended one, marked under their names.
    let memory = find("memory (jobmanager)");
    let fails = find("FAILS: 5 of 29 checkpoints");
    assert!(fails.b.1 > memory.b.1 && fails.b.1 - memory.b.1 < 40.0);
    let fs = find("filesystem");
    let rec = find("RECOMMENDED");
    assert!(rec.b.1 > fs.b.1 && rec.b.1 - fs.b.1 < 40.0);
    // Three panels, each with its own scale: the 512 MiB of RocksDB's
    // managed memory leaves the 5.8 MiB snapshots their length.
    for t in [
        "peak snapshot",
        "upload per checkpoint",
        "TaskManager memory",
    ] {
        find(t);
    }
    let snapshot_bars: Vec<_> = bars(&svg)
        .into_iter()
        .filter(|r| r.0 < find("upload per checkpoint").b.0)
        .collect();
    assert!(
        snapshot_bars.iter().all(|r| r.2 - r.0 > 100.0),
        "snapshot bars flattened: {snapshot_bars:?}"
    );
    // The JobManager limit only across the memory (JobManager storage) row.
    let segments = limit_segments(&svg);
    assert!(!segments.is_empty(), "no limit drawn");
    for (x, y0, y1) in segments {
        assert!(
            y0 >= memory.b.1 - 12.0 && y1 <= fs.b.1,
            "a limit segment at x={x}, y {y0}..{y1} runs outside the memory row \
             ({}..{})",
            memory.b.1,
            fs.b.1
        );
    }
}

#[test]
fn the_run_comparison_chart_is_readable() {
    let d = tempfile::tempdir().unwrap();
    let seed = manifest_dir().join("scenarios/seed_flink16_memory_backend.toml");
    let o = statecap([
        "run".as_ref(),
        seed.as_os_str(),
        "--out".as_ref(),
        d.path().as_os_str(),
        "-q".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(d.path().join("seed_flink16_memory_backend/comparison.svg"))
        .unwrap();
    assert_readable(&svg, "comparison.svg");
    assert!(labels(&svg).iter().any(|l| l.text.starts_with("FAILS")));
}

#[test]
fn the_skew_and_timeline_charts_are_readable() {
    let d = tempfile::tempdir().unwrap();
    let seed = manifest_dir().join("scenarios/seed_flink16_memory_backend.toml");
    let o = statecap([
        "run".as_ref(),
        seed.as_os_str(),
        "--out".as_ref(),
        d.path().as_os_str(),
        "-q".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["skew", "timeline"] {
        let svg = std::fs::read_to_string(
            d.path()
                .join(format!("seed_flink16_memory_backend/{name}.svg")),
        )
        .unwrap();
        assert_readable(&svg, &format!("{name}.svg"));
    }
}

/// The centres of the filled circles of `color` (`#C81E1E`).
fn dots(svg: &str, color: &str) -> Vec<(f64, f64)> {
    svg.split("<circle ")
        .skip(1)
        .filter_map(|tag| {
            let tag = format!(" {}", &tag[..tag.find('>').unwrap()]);
            (tag.contains(&format!("fill=\"{color}\"")))
                .then(|| Some((attr(&tag, "cx")?, attr(&tag, "cy")?)))
                .flatten()
        })
        .collect()
}

/// The vertices of every polyline stroked in `color`.
fn lines_of(svg: &str, color: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline ")
        .skip(1)
        .filter(|tag| {
            tag[..tag.find("/>").unwrap_or(tag.len())].contains(&format!("stroke=\"{color}\""))
        })
        .map(|tag| {
            attr_s(&format!(" {tag}"), "points")
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|p| {
                    let (a, b) = p.split_once(',')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                })
                .collect()
        })
        .collect()
}

/// The seed's timeline, from every command that draws it: readable, and
/// every failed checkpoint's red dot on the drawn line of the largest
/// subtask (the orange polyline), not floating over the band.
#[test]
fn the_timeline_marks_failures_on_its_line_in_every_report() {
    let d = tempfile::tempdir().unwrap();
    let seed = manifest_dir().join("scenarios/seed_flink16_memory_backend.toml");
    let out = d.path().join("out");
    for args in [
        vec!["run", "--out"],
        vec!["compare", "--out"],
        vec!["check", "--report"],
    ] {
        let o = statecap([
            args[0].as_ref(),
            seed.as_os_str(),
            args[1].as_ref(),
            out.as_os_str(),
        ]);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    }
    for dir in ["", "-compare", "-check"] {
        let what = format!("seed_flink16_memory_backend{dir}/timeline.svg");
        let svg = std::fs::read_to_string(out.join(&what)).unwrap();
        assert_readable(&svg, &what);
        let line: Vec<(f64, f64)> = lines_of(&svg, "#D95F02").into_iter().flatten().collect();
        let bottom = line.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        let failed: Vec<(f64, f64)> = dots(&svg, "#C81E1E")
            .into_iter()
            .filter(|d| d.1 <= bottom + 1.0)
            .collect();
        assert_eq!(failed.len(), 5, "{what}: five failed checkpoints marked");
        for (x, y) in failed {
            assert!(
                line.iter()
                    .any(|p| (p.0 - x).abs() < 1.0 && (p.1 - y).abs() < 1.0),
                "{what}: the dot at ({x}, {y}) is not on the largest subtask's line"
            );
        }
        // The saw-tooth is explained on the chart.
        assert!(
            svg.contains("Saw-tooth: a barrier every 10.2 s lands 200 ms later"),
            "{what}"
        );
    }
}
