//! `statecap run` writes the charts (PNG + SVG) and a self-contained
//! `report.html` + `report.md`; headless Chromium renders the page and the
//! charts are there, with size and colour.
//!
//! The Chromium test needs headless Chromium (`$STATECAP_CHROMIUM`, else
//! `chromium` or `chromium-browser` on PATH). Without it the test says
//! "skipped" on the console and passes, so `cargo test` works on a machine
//! with nothing but Rust; with `STATECAP_REQUIRE_BROWSER=1` (set by `.ci/run`,
//! which installs Debian's `chromium`) a missing browser fails it.

use crate::support::{statecap, stderr, write};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small job whose checkpoints cross a 256 KiB JobManager limit part of
/// the time: the charts have failed checkpoints and completed ones.
const SCENARIO: &str = r#"
name = "html_report"
flink_version = "1.20"
seed = 5
description = "small tumbling window around a 256 KiB JobManager limit"

[source]
records = 20000
events_per_second = 1000
keys = 500
key_distribution = "zipf"
zipf_exponent = 0.8
record_bytes = 100

[job]
parallelism = 4

[[operator]]
name = "w"
kind = "window"
assigner = "tumbling"
size = "10 s"
time = "processing"
function = "process"

[checkpoints]
every_records = 700
storage = "jobmanager"
max_state_size = "256 kb"
"#;

/// Runs the scenario into a fresh directory; returns (tempdir, report dir).
fn run_report() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = write(dir.path(), "html_report.toml", SCENARIO);
    let out = dir.path().join("out");
    let o = statecap([
        "run".as_ref(),
        sc.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
        "--budget".as_ref(),
        "192 kb".as_ref(),
    ]);
    assert!(o.status.success(), "run failed: {}", stderr(&o));
    let rep = out.join("html_report");
    (dir, rep)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Width, height and RGB(A) pixels of a PNG.
pub(crate) fn decode_png(bytes: &[u8]) -> (u32, u32, usize, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut r = dec.read_info().expect("a PNG");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("a frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type.samples(), buf)
}

/// Pixels within `tol` of `rgb`.
fn count_color(px: &[u8], samples: usize, rgb: (u8, u8, u8), tol: i32) -> usize {
    px.chunks(samples)
        .filter(|p| {
            (p[0] as i32 - rgb.0 as i32).abs() <= tol
                && (p[1] as i32 - rgb.1 as i32).abs() <= tol
                && (p[2] as i32 - rgb.2 as i32).abs() <= tol
        })
        .count()
}

pub(crate) fn non_white(px: &[u8], samples: usize) -> usize {
    px.chunks(samples)
        .filter(|p| p[0] < 240 || p[1] < 240 || p[2] < 240)
        .count()
}

#[test]
fn run_writes_charts_as_png_and_svg_with_the_font_embedded() {
    let (_d, rep) = run_report();
    for name in ["timeline", "skew", "comparison"] {
        let png = read(&rep.join(format!("{name}.png")));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}.png is a PNG");
        let (w, h, n, px) = decode_png(&png);
        // The comparison is a row per option (one for `run`'s own backend).
        let min_h = if name == "comparison" { 150 } else { 400 };
        assert!(w >= 800 && h >= min_h, "{name}.png is {w}x{h}");
        // Not blank: axes, bars, lines and text.
        let ink = non_white(&px, n);
        assert!(
            ink > (w * h) as usize / 50,
            "{name}.png is nearly blank ({ink} non-white pixels)"
        );
        let svg = String::from_utf8(read(&rep.join(format!("{name}.svg")))).expect("UTF-8");
        assert!(svg.contains("<svg"), "{name}.svg");
        assert!(
            svg.contains("@font-face") && svg.contains("data:font/ttf;base64,"),
            "{name}.svg embeds its font"
        );
        assert!(svg.contains("<text"), "{name}.svg has text");
        assert!(!svg.contains("href=\"http"), "{name}.svg links nothing");
    }
    // The timeline: the largest subtask highlighted (orange), failed
    // checkpoints (red), the limits labelled.
    let (_, _, n, px) = decode_png(&read(&rep.join("timeline.png")));
    assert!(
        count_color(&px, n, (217, 95, 2), 30) > 300,
        "highlight line"
    );
    assert!(
        count_color(&px, n, (200, 30, 30), 30) > 200,
        "failed checkpoints / limit"
    );
    let svg = String::from_utf8(read(&rep.join("timeline.svg"))).unwrap();
    assert!(
        svg.contains("JobManager storage limit 256.0 KiB"),
        "limit label"
    );
    assert!(svg.contains("budget 192.0 KiB"), "budget label");
    assert!(svg.contains("KiB"), "bytes axis in KiB");
    assert!(svg.contains(">\ncheckpoint\n<"), "checkpoint numbers below");
    assert!(
        svg.contains("time at the checkpoint barrier (processing time)"),
        "barrier time on top"
    );
    assert!(svg.contains("7 s\n"), "time axis in seconds");
}

#[test]
fn report_html_is_self_contained_and_report_md_says_the_same() {
    let (_d, rep) = run_report();
    let html = String::from_utf8(read(&rep.join("report.html"))).expect("UTF-8");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Timeline, skew, comparison, and the states of its one operator.
    assert_eq!(html.matches("<svg").count(), 4, "four charts inline");
    for id in [
        "verdict",
        "brief",
        "charts",
        "recommendation",
        "checkpoints",
        "configuration",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "section {id}"
        );
    }
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("<link"), "no external stylesheet");
    assert!(!html.contains("<img"), "no external image");
    // Every http(s) URL is an XML namespace, never a resource to load.
    for (i, _) in html.match_indices("http") {
        let before = &html[i.saturating_sub(8)..i];
        assert!(
            before.contains("xmlns") || before.ends_with("=\""),
            "external reference near: {}",
            &html[i.saturating_sub(40)..(i + 60).min(html.len())]
        );
        assert!(
            html[i..].starts_with("http://www.w3.org/"),
            "only namespaces"
        );
    }
    assert_eq!(html.matches("@font-face").count(), 1, "the font once");
    assert!(html.contains("FAIL"), "the verdict");
    assert!(html.contains("Size of the state is larger than the maximum permitted"));
    // The recommendation in 1.20's own file, config.yaml, nested as
    // standard YAML: execution.checkpointing.storage = filesystem.
    assert!(
        html.contains("Paste into <code>config.yaml</code>"),
        "the recommendation"
    );
    assert!(
        html.contains("execution:\n  checkpointing:\n")
            && html.contains("\n    storage: filesystem\n"),
        "the recommendation"
    );
    assert!(
        html.contains(
            "config.set(CheckpointingOptions.CHECKPOINT_STORAGE, &quot;filesystem&quot;);"
        ),
        "the recommendation in Java"
    );

    let md = String::from_utf8(read(&rep.join("report.md"))).expect("UTF-8");
    for h in [
        "## Verdict",
        "## The scenario in brief",
        "## Charts",
        "## Recommendation",
        "## Every checkpoint",
        "## Configuration",
    ] {
        assert!(md.contains(h), "report.md: {h}");
        let text = h.trim_start_matches("## ");
        assert!(html.contains(text), "report.html: {text}");
    }
    for chart in ["timeline", "skew", "comparison"] {
        assert!(md.contains(&format!("![{chart}]({chart}.svg)")), "{chart}");
    }
    assert!(md.contains("FAIL"));
}

// ------------------------------------------------------------- Chromium

/// What to do about the browser: run it, or skip (or fail) with a reason.
#[derive(Debug, PartialEq)]
enum Browser {
    /// Run this binary.
    Found(PathBuf),
    /// No browser: say so and pass.
    Skip(String),
    /// No browser and one is required: fail with this message.
    Missing(String),
}

/// Where the browser is, from the environment's values (passed in, so the
/// rule is tested without touching the environment): `STATECAP_CHROMIUM`
/// when set (a path that is not a file counts as no browser, never as a
/// reason to look elsewhere), else `chromium` or `chromium-browser` on
/// `path`. `require` is `STATECAP_REQUIRE_BROWSER`: set to anything but
/// empty or `0`, a missing browser fails.
fn find_browser(
    statecap_chromium: Option<&OsStr>,
    path: Option<&OsStr>,
    require: Option<&OsStr>,
) -> Browser {
    let found = match statecap_chromium {
        Some(p) => Some(PathBuf::from(p)).filter(|p| p.is_file()),
        None => std::env::split_paths(path.unwrap_or_default())
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
            .find(|p| p.is_file()),
    };
    if let Some(p) = found {
        return Browser::Found(p);
    }
    let looked = match statecap_chromium {
        Some(p) => format!("STATECAP_CHROMIUM={} is not a file", Path::new(p).display()),
        None => "no chromium or chromium-browser on PATH".to_string(),
    };
    let required = require.is_some_and(|v| !v.is_empty() && v != "0");
    if required {
        Browser::Missing(format!(
            "headless Chromium is required (STATECAP_REQUIRE_BROWSER is set) but not found: \
             {looked}; install it (`apt-get install -y chromium`, as .ci/run does) or point \
             STATECAP_CHROMIUM at it"
        ))
    } else {
        Browser::Skip(format!(
            "skipped: no Chromium ({looked}; set STATECAP_REQUIRE_BROWSER=1 to make this fail)"
        ))
    }
}

/// The Chromium binary for `test`, or `None` after printing why the test
/// is skipped; panics when a browser is required and missing. The line
/// goes straight to stderr, past the test harness's capture, so a plain
/// `cargo test` shows it.
pub(crate) fn chromium(test: &str) -> Option<PathBuf> {
    let var = std::env::var_os;
    match find_browser(
        var("STATECAP_CHROMIUM").as_deref(),
        var("PATH").as_deref(),
        var("STATECAP_REQUIRE_BROWSER").as_deref(),
    ) {
        Browser::Found(p) => Some(p),
        Browser::Skip(why) => {
            let line = format!("\n{test}: {why}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            None
        }
        Browser::Missing(why) => panic!("{test}: {why}"),
    }
}

/// Runs headless Chromium with `args` on `page`, with a fresh profile, no
/// network services, and a 120 s deadline; returns stdout.
pub(crate) fn headless(browser: &Path, page: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", page.canonicalize().expect("page").display());
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .arg(&url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("chromium starts");
    let out_pipe = child.stdout.take().expect("stdout");
    let err_pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { out_pipe }, &mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { err_pipe }, &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    assert!(status.success(), "chromium failed ({status}): {err}");
    out
}

/// `(width, height)` of every `<svg ...>` start tag in `dom`.
fn svg_sizes(dom: &str) -> Vec<(f64, f64)> {
    dom.match_indices("<svg")
        .map(|(i, _)| {
            let tag = &dom[i..i + dom[i..].find('>').expect("tag end")];
            let attr = |name: &str| -> f64 {
                let key = format!(" {name}=\"");
                let at = tag
                    .find(&key)
                    .unwrap_or_else(|| panic!("no {name} in {tag}"));
                let v = &tag[at + key.len()..];
                v[..v.find('"').expect("quote")].parse().expect("a number")
            };
            (attr("width"), attr("height"))
        })
        .collect()
}

#[test]
fn chromium_renders_the_report_with_its_charts() {
    let Some(browser) = chromium("chromium_renders_the_report_with_its_charts") else {
        return;
    };
    let (d, rep) = run_report();
    let page = rep.join("report.html");

    // The DOM Chromium built: the real report, three charts with a size.
    let dom = headless(&browser, &page, &["--dump-dom".to_string()]);
    assert!(dom.contains("statecap run: html_report"), "the title");
    for id in ["chart-timeline", "chart-skew", "chart-comparison"] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "figure {id} in the DOM"
        );
    }
    let sizes = svg_sizes(&dom);
    assert_eq!(sizes.len(), 4, "four inline SVG charts");
    // Timeline, skew and the states at least 400 high; the comparison a
    // row per option.
    for (w, h) in &sizes {
        assert!(*w >= 800.0 && *h >= 150.0, "chart size {w}x{h}");
    }
    assert_eq!(
        sizes.iter().filter(|(_, h)| *h >= 400.0).count(),
        3,
        "timeline, skew and states at full height: {sizes:?}"
    );
    assert!(dom.contains("<text"), "chart text");

    // The screenshot: the page is drawn, with the charts' colours.
    let shot = d.path().join("report.png");
    headless(
        &browser,
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,3000".to_string(),
        ],
    );
    let (w, h, n, px) = decode_png(&read(&shot));
    assert_eq!((w, h), (1200, 3000), "screenshot size");
    let ink = non_white(&px, n);
    assert!(
        ink > 150_000,
        "the screenshot is nearly blank ({ink} pixels of ink)"
    );
    // The highlighted subtask (orange) and failed checkpoints / limits
    // (red) of the timeline, the band and bars (blue): the charts rendered.
    let orange = count_color(&px, n, (217, 95, 2), 25);
    let red = count_color(&px, n, (200, 30, 30), 25);
    let blue = count_color(&px, n, (117, 157, 200), 25) + count_color(&px, n, (31, 119, 180), 25);
    assert!(
        orange > 500,
        "highlight colour in the screenshot: {orange} pixels"
    );
    assert!(red > 300, "failure colour in the screenshot: {red} pixels");
    assert!(
        blue > 2000,
        "band and bar colours in the screenshot: {blue} pixels"
    );
    // The verdict box (red border of a failing verdict) sits above the charts.
    let first_red_row = px
        .chunks(n * w as usize)
        .position(|row| count_color(row, n, (200, 30, 30), 25) > 3)
        .expect("a red row");
    assert!(
        first_red_row < 600,
        "verdict near the top (row {first_red_row})"
    );
}

/// Without a browser the test skips, unless one is required; a
/// `STATECAP_CHROMIUM` that names no file is no browser, even when one is
/// on PATH.
#[test]
fn a_missing_browser_skips_unless_required() {
    let d = tempfile::tempdir().expect("tempdir");
    let fake = write(d.path(), "chromium", "");
    let on_path = Some(d.path().as_os_str());
    let none = OsStr::new("/nonexistent/chromium");
    let one = Some(OsStr::new("1"));

    assert_eq!(
        find_browser(None, on_path, None),
        Browser::Found(fake.clone())
    );
    assert_eq!(
        find_browser(Some(fake.as_os_str()), None, one),
        Browser::Found(fake.clone())
    );
    match find_browser(Some(none), on_path, None) {
        Browser::Skip(why) => {
            assert!(
                why.starts_with("skipped: no Chromium")
                    && why.contains("set STATECAP_REQUIRE_BROWSER=1 to make this fail"),
                "{why}"
            )
        }
        other => panic!("a missing STATECAP_CHROMIUM skips: {other:?}"),
    }
    assert!(matches!(
        find_browser(None, Some(OsStr::new("")), Some(OsStr::new("0"))),
        Browser::Skip(_)
    ));
    match find_browser(Some(none), on_path, one) {
        Browser::Missing(why) => assert!(why.contains("STATECAP_REQUIRE_BROWSER"), "{why}"),
        other => panic!("a required browser that is missing fails: {other:?}"),
    }
    assert!(matches!(
        find_browser(None, Some(OsStr::new("")), one),
        Browser::Missing(_)
    ));
}
