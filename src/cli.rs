//! The command line: clap definitions and what each command does with the
//! library. Exit codes: 0 the simulation ran, 1 (`check`) the job will fail,
//! 2 bad input or an error (`check`: also no checkpoint inside the run). `sweep` has a file of its own, [`sweep`].

mod sweep;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use statecap::pipeline::{self, Mode, RunOptions};
use statecap::{Error, Scenario, report};

const EXAMPLES: &str = "\
Examples:
  statecap run scenarios/seed_flink16_memory_backend.toml
  statecap run scenarios/*.toml --out /tmp/reports
  statecap run my_job.toml --quiet        # outputs only, no table";

/// Predicts Apache Flink keyed-state and checkpoint sizes per subtask, before deploy.
#[derive(Debug, Parser)]
#[command(name = "statecap", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate scenarios and predict every subtask's snapshot bytes at every checkpoint.
    #[command(after_help = "Writes DIR/<name>/timeline.csv, summary.csv, summary.json, keygroups.csv, states.csv, the charts (PNG + SVG), report.html and report.md. SOURCE_DATE_EPOCH (seconds since 1970), when set, is the date the report gives.\n\n".to_string() + EXAMPLES)]
    Run {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Where the outputs go: DIR/<scenario name>/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Print no table (outputs are still written).
        #[arg(long, short)]
        quiet: bool,
        /// Never show a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Take backend, storage and limits from this Flink configuration file
        /// (flink-conf.yaml or config.yaml, read as the scenario's Flink version
        /// reads it); [state] and [checkpoints] in the scenario still win.
        #[arg(long, value_name = "FILE")]
        flink_conf: Option<PathBuf>,
        /// Your own per-subtask budget, drawn on the charts (e.g. "64 mb"); repeatable.
        #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
        budget: Vec<String>,
        /// exact plays every record; sampled plays every record but simulates the
        /// heaviest subtask and a sample of the others' key groups (error bound
        /// printed); analytic computes tumbling/sliding window state in closed
        /// form (generated input); auto, above 2×10^8 element-window
        /// assignments, picks analytic when eligible, else sampled.
        #[arg(long, value_enum, default_value_t = ModeArg::Auto)]
        mode: ModeArg,
        /// Threads for an exact run, 1 to 1024 (default: every core): key groups
        /// are split among them. The result is the same, byte for byte, on any number.
        #[arg(long, short, value_name = "N", allow_negative_numbers = true)]
        jobs: Option<i64>,
        /// Run even when the estimate is over the budget (10 s, 2 GiB): without
        /// it, such a scenario is refused before it starts, with the numbers.
        #[arg(long)]
        ignore_budget: bool,
        /// Write every row of timeline.csv (above 100,000 rows it is summarized:
        /// the largest subtask of each checkpoint).
        #[arg(long)]
        full_timeline: bool,
    },
    /// Every backend option side by side on the same traffic, and the recommendation for your Flink version.
    #[command(after_help = COMPARE_HELP)]
    Compare {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Where the outputs go: DIR/<scenario name>-compare/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Upload bandwidth per subtask, in Flink's size syntax per second.
        #[arg(long, default_value = "100 mb", allow_hyphen_values = true)]
        bandwidth: String,
        /// Print nothing (outputs are still written).
        #[arg(long, short)]
        quiet: bool,
        /// Run even when the estimate is over the budget (10 s, 2 GiB).
        #[arg(long)]
        ignore_budget: bool,
    },
    /// The CI gate: exit 1 when the job as configured will fail a checkpoint, 0 when it holds.
    #[command(after_help = CHECK_HELP)]
    Check {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// A flink-conf.yaml / config.yaml whose entries override the scenario's [flink_conf].
        #[arg(long, value_name = "FILE")]
        flink_conf: Option<PathBuf>,
        /// Run even when the estimate is over the budget (10 s, 2 GiB).
        #[arg(long)]
        ignore_budget: bool,
        /// text for people; json for scripts; junit (JUnit XML) for any CI
        /// server's test report; github for GitHub Actions annotations on the
        /// scenario line that decides the outcome.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Also write a report per scenario, DIR/<name>-check/report.html and
        /// report.md (with timeline.png/.svg), to keep as a CI artifact; the
        /// verdict and exit code are the same.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
    },
    /// Run a scenario over a grid of parameter values (in parallel on all cores) and find where it stops holding.
    #[command(after_help = sweep::HELP)]
    Sweep(sweep::SweepArgs),
    /// Explain what a flink-conf.yaml / config.yaml really gives on a Flink version.
    #[command(after_help = EXPLAIN_HELP)]
    ExplainConfig {
        /// The configuration file (flink-conf.yaml or config.yaml).
        file: PathBuf,
        /// The Flink version that reads it, e.g. 1.6.2, 1.20, 2.0.
        #[arg(long, value_name = "V")]
        flink_version: String,
        /// A dynamic property, as `flink run -D` or the launch scripts take it
        /// (applied over the file and FLINK_PROPERTIES); repeatable.
        #[arg(short = 'D', value_name = "KEY=VALUE", allow_hyphen_values = true)]
        dynamic: Vec<String>,
        /// The FLINK_PROPERTIES value of the official Docker image (`key: value`
        /// lines, appended to the file, so they win over it), e.g.
        /// --flink-properties "$FLINK_PROPERTIES".
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        flink_properties: Option<String>,
    },
}

const COMPARE_HELP: &str = "\
Writes DIR/<name>-compare/compare.csv, compare.txt (table and recommendation),
job-changes.csv/.json (the job changes, each simulated), compare.png/.svg, timeline.png/.svg, report.html, report.md and
recommended-flink-conf.yaml (recommended-config.yaml, nested, from Flink 1.19).

Examples:
  statecap compare scenarios/seed_flink16_memory_backend.toml
  statecap compare my_job.toml --bandwidth \"40 mb\"";

const CHECK_HELP: &str = "\
Exit codes: 0 every checkpoint completes, 1 a checkpoint will fail (the checkpoint,
subtask, limit and Flink's error are printed), 2 bad input, or no checkpoint falls
inside the played records (nothing to check: play longer or checkpoint more often).

Examples:
  statecap check scenarios/seed_flink16_memory_backend.toml            # exits 1
  statecap check scenarios/seed_flink16_memory_backend.toml \\
      --flink-conf reports/seed_flink16_memory_backend-compare/recommended-flink-conf.yaml   # exits 0
  statecap check scenarios/*.toml --format junit > statecap-junit.xml   # JUnit XML test report
  statecap check scenarios/*.toml --format github   # ::error file=…,line=…:: on the deciding line
  statecap check scenarios/*.toml --report ci-reports   # and ci-reports/<name>-check/report.html

SOURCE_DATE_EPOCH (seconds since 1970), when set, is the date the reports give.";

/// `explain-config`: what a Flink configuration file really gives.
const EXPLAIN_HELP: &str = "\
Prints the backend, checkpoint storage and limits the file selects on that Flink
version, the defaults it relies on and the traps in it, then the same configuration
in that version's key names, as Java and as SQL SET lines. Exit 0, or 2 when Flink
would refuse the file (or it cannot be read).

Examples:
  statecap explain-config conf/flink-conf.yaml --flink-version 1.6.2
  statecap explain-config conf/config.yaml --flink-version 2.0";

/// `check --format`: how verdicts are written (see [`report::ci::Format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// One paragraph per scenario.
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML (Jenkins, GitLab, Azure Pipelines, CircleCI test reports).
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

impl From<FormatArg> for report::ci::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => report::ci::Format::Text,
            FormatArg::Json => report::ci::Format::Json,
            FormatArg::Junit => report::ci::Format::Junit,
            FormatArg::Github => report::ci::Format::Github,
        }
    }
}

/// `--mode`: how a scenario is simulated (see [`Mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Play every record (discrete-event simulation).
    Exact,
    /// Play every record, simulate a sample of the key groups (the heaviest
    /// subtask whole) and estimate the rest.
    Sampled,
    /// Closed-form occupancy (tumbling and sliding windows, generated input).
    Analytic,
    /// Above the work threshold: analytic when eligible, else sampled;
    /// below it, exact.
    Auto,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Exact => Mode::Exact,
            ModeArg::Sampled => Mode::Sampled,
            ModeArg::Analytic => Mode::Analytic,
            ModeArg::Auto => Mode::Auto,
        }
    }
}

/// How long the simulation took (not the charts and reports), and its rate,
/// on the threads it actually ran on.
fn simulated_line(run: &pipeline::Run) -> String {
    let records: u64 = run.result().operators.iter().map(|o| o.stats.records).sum();
    let secs = run.elapsed.as_secs_f64();
    let rate = records as f64 / secs.max(1e-9) / 1e6;
    let how = match run.mode {
        Mode::Exact => format!(
            "{rate:.1}M records/s on {} thread{}",
            run.threads,
            if run.threads == 1 { "" } else { "s" }
        ),
        Mode::Sampled => format!(
            "{rate:.1}M records/s read on {} thread{}, a sample of the key groups simulated",
            run.threads,
            if run.threads == 1 { "" } else { "s" }
        ),
        _ => "closed form".to_string(),
    };
    format!(
        "simulated {} records in {secs:.3} s ({how}; estimated {} before the run)\n",
        report::group_digits(records),
        run.plan.estimate.text(),
    )
}

/// Runs the command; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Run {
            scenarios,
            out,
            quiet,
            no_progress,
            flink_conf,
            budget,
            mode,
            jobs,
            ignore_budget,
            full_timeline,
        } => run_scenarios(
            &scenarios,
            flink_conf.as_deref(),
            &out,
            &budget,
            RunFlags {
                quiet,
                progress: !no_progress && !quiet,
                mode: mode.into(),
                // 0: every core.
                threads: jobs.map(threads).transpose()?.unwrap_or(0),
                budget: run_budget(ignore_budget),
                full_timeline,
            },
        ),
        Command::Compare {
            scenario,
            out,
            bandwidth,
            quiet,
            ignore_budget,
        } => compare(
            &scenario,
            &out,
            &bandwidth,
            quiet,
            run_budget(ignore_budget),
        ),
        Command::Check {
            scenarios,
            flink_conf,
            ignore_budget,
            format,
            report,
        } => check(
            &scenarios,
            flink_conf.as_deref(),
            run_budget(ignore_budget),
            format.into(),
            report.as_deref(),
        ),
        Command::Sweep(args) => sweep::command(args),
        Command::ExplainConfig {
            file,
            flink_version,
            dynamic,
            flink_properties,
        } => {
            let e = statecap::flink::explain::explain_file_with(
                &file,
                &flink_version,
                flink_properties.as_deref(),
                &dynamic,
            )?;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), e.to_string().as_bytes());
            if let Some(line) = e.error_line() {
                eprintln!("error: {line}");
            }
            Ok(e.exit_code())
        }
    }
}

/// Loads and validates every scenario first (with the Flink configuration
/// file laid over each, if given): one bad file, or two scenarios that
/// would write to the same place, and nothing runs.
fn load_all(paths: &[PathBuf], flink_conf: Option<&Path>) -> Result<Vec<Scenario>, Error> {
    let mut loaded: Vec<Scenario> = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let one = match flink_conf {
            Some(c) => Scenario::load_with_flink_conf(p, c),
            None => Scenario::load(p),
        };
        match one {
            Ok(s) => loaded.push(s),
            Err(e) => errors.push(e),
        }
    }
    let mut names = std::collections::HashMap::new();
    for s in &loaded {
        if let Some(first) = names.insert(s.name.as_str(), &s.path) {
            errors.push(Error::Scenario(vec![s.error_at(
                "name",
                format!(
                    "'{}' is also the name of {}: outputs would overwrite each other",
                    s.name,
                    first.display()
                ),
            )]));
        }
    }
    match errors.len() {
        0 => Ok(loaded),
        1 => Err(errors.pop().expect("one")),
        _ => Err(Error::Inputs(errors)),
    }
}

/// How `run` runs and what it shows.
struct RunFlags {
    quiet: bool,
    progress: bool,
    mode: Mode,
    threads: usize,
    budget: pipeline::Budget,
    full_timeline: bool,
}

/// The budget a run is held to: none with `--ignore-budget`.
pub(crate) fn run_budget(ignore: bool) -> pipeline::Budget {
    if ignore {
        pipeline::Budget::UNLIMITED
    } else {
        pipeline::Budget::DEFAULT
    }
}

/// Records × operators, for the progress bar.
fn records_to_play(s: &Scenario) -> u64 {
    s.source
        .records
        .min(u64::MAX / 4)
        .saturating_mul(s.operators.len() as u64)
}

/// `statecap run`: every scenario simulated and rendered before anything is
/// printed or written.
fn run_scenarios(
    paths: &[PathBuf],
    flink_conf: Option<&Path>,
    out: &Path,
    budget: &[String],
    flags: RunFlags,
) -> Result<i32, Error> {
    let budgets = budgets(budget)?;
    let stamp = report::provenance::Stamp::from_env()?;
    let loaded = load_all(paths, flink_conf)?;
    let mut rendered = Vec::new();
    let mut tables = String::new();
    for s in &loaded {
        let bar = progress_bar(records_to_play(s), flags.progress, &s.name);
        let run = pipeline::simulate(
            s,
            &RunOptions {
                mode: flags.mode,
                threads: flags.threads,
                configs: &[],
                progress: &|n| {
                    if let Some(b) = &bar {
                        b.set_position(n);
                    }
                },
                budget: flags.budget,
                replay: None,
            },
        )?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let result = run.result();
        for line in code_over_file(s, flink_conf)? {
            eprintln!("note: {}: {line}", s.name);
        }
        if let Some(why) = statecap::plan::no_checkpoint(s, result) {
            eprintln!("warning: {}: {why}", s.name);
        }
        let shape = report::timeline_shape(result, flags.full_timeline);
        // The report's recommendation: every option compared and the job
        // changes simulated, as `statecap compare` does.
        let advice = report::sections::Advice::after(
            s,
            &run,
            statecap::backend::memory::DEFAULT_BANDWIDTH,
            flags.budget,
        );
        let files = report::render_run(s, result, &budgets, &shape, &advice, stamp)?;
        tables.push_str(&report::render_table(s, result));
        tables.push_str(&report::states::render_summary(&report::states::analyze(
            s, result,
        )));
        tables.push_str(&report::mode_line(s, result));
        tables.push('\n');
        if let Some(summary) = &shape.summary {
            tables.push_str(summary);
            tables.push('\n');
        }
        tables.push_str(&simulated_line(&run));
        rendered.push((s.name.clone(), files));
    }
    // Only once every scenario ran: print, then write.
    if !flags.quiet {
        print!("{tables}");
    }
    for (name, files) in &rendered {
        let dir = report::write_outputs(out, name, files)?;
        if !flags.quiet {
            println!("wrote {}", dir.display());
        }
    }
    Ok(0)
}

/// `statecap compare`: every backend option of the version on the same
/// traffic, the recommendation and its configuration.
fn compare(
    scenario: &Path,
    out: &Path,
    bandwidth: &str,
    quiet: bool,
    budget: pipeline::Budget,
) -> Result<i32, Error> {
    let bw = positive_size("--bandwidth", bandwidth)? as f64;
    let stamp = report::provenance::Stamp::from_env()?;
    let s = Scenario::load(scenario)?;
    let bar = progress_bar(records_to_play(&s), !quiet, &s.name);
    let cmp = statecap::plan::compare(&s, bw, budget, &|n| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let plan = statecap::plan::plan(&s, &cmp)?;
    let advice = report::sections::Advice::Planned {
        cmp: Box::new(cmp),
        plan: Box::new(plan),
    };
    let files = report::compare::outputs(&s, &advice, bw, stamp)?;
    let dir = report::write_outputs(out, &format!("{}-compare", s.name), &files)?;
    if !quiet && let (Some(cmp), Some(plan)) = (advice.comparison(), advice.plan()) {
        print!("{}", report::compare::render_table(&s, cmp));
        println!();
        print!("{}", report::compare::render_plan(&s, cmp, plan));
        println!("wrote {}", dir.display());
    }
    Ok(0)
}

/// `statecap check`: the CI gate, 0 when every scenario holds, 1 when one
/// will fail, 2 when one cannot be answered (no checkpoint inside the run).
fn check(
    paths: &[PathBuf],
    flink_conf: Option<&Path>,
    budget: pipeline::Budget,
    format: report::ci::Format,
    report_dir: Option<&Path>,
) -> Result<i32, Error> {
    let stamp = report_dir
        .map(|_| report::provenance::Stamp::from_env())
        .transpose()?;
    let loaded = load_all(paths, flink_conf)?;
    let options = RunOptions {
        budget,
        ..RunOptions::default()
    };
    let mut runs = Vec::with_capacity(loaded.len());
    let mut advice = Vec::new();
    for s in &loaded {
        let notes = code_over_file(s, flink_conf)?;
        let run = pipeline::simulate(s, &options)?;
        if report_dir.is_some() {
            advice.push(report::sections::Advice::after(
                s,
                &run,
                statecap::backend::memory::DEFAULT_BANDWIDTH,
                budget,
            ));
        }
        runs.push((notes, run.into_result()));
    }
    let gates: Vec<report::ci::Gate> = loaded
        .iter()
        .zip(&runs)
        .map(|(s, (notes, r))| report::ci::Gate {
            scenario: s,
            result: r,
            verdict: report::compare::check_verdict(s, r),
            notes: notes.clone(),
        })
        .collect();
    // The reports are rendered before anything is printed or written, and
    // written all together: a CI artifact is never half there.
    let mut pages = Vec::new();
    if let (Some(dir), Some(stamp)) = (report_dir, stamp) {
        for (g, advice) in gates.iter().zip(&advice) {
            pages.push((
                format!("{}-check", g.scenario.name),
                report::pages::check(g, advice, stamp)?,
            ));
        }
        for (name, files) in &pages {
            let written = report::write_outputs(dir, name, files)?;
            eprintln!("wrote {}", written.display());
        }
    }
    print!("{}", report::ci::render(format, &gates));
    Ok(report::ci::exit_code(&gates))
}

/// Where the scenario's `[state]` / `[checkpoints]` (the job's code) win
/// over the `--flink-conf` file: one line each.
fn code_over_file(s: &Scenario, flink_conf: Option<&Path>) -> Result<Vec<String>, Error> {
    let Some(path) = flink_conf else {
        return Ok(Vec::new());
    };
    let conf = statecap::flink::conf_file::load(path, s.flink_version)?;
    Ok(statecap::plan::code_over_file(s, &conf))
}

/// The `--budget` values: sizes of more than 0 bytes.
fn budgets(texts: &[String]) -> Result<Vec<report::chart::Limit>, Error> {
    texts
        .iter()
        .map(|b| {
            positive_size("--budget", b).map(|bytes| report::chart::Limit {
                label: "budget".into(),
                bytes,
            })
        })
        .collect()
}

/// A size option (`--budget`, `--bandwidth`): Flink's size syntax, more
/// than 0 bytes.
fn positive_size(option: &str, text: &str) -> Result<u64, Error> {
    let positive = || {
        Error::usage(
            option,
            format!("'{text}' must be positive: give a size such as \"64 mb\""),
        )
    };
    if let Some(rest) = text.trim_start().strip_prefix('-') {
        return Err(
            if rest
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '.')
            {
                positive()
            } else {
                Error::usage(
                    option,
                    format!("expects a size such as \"64 mb\", got '{text}'"),
                )
            },
        );
    }
    match statecap::flink::units::parse_memory_size(text) {
        Ok(0) => Err(positive()),
        Ok(b) => Ok(b),
        Err(e) => Err(Error::usage(option, e)),
    }
}

/// Most threads `--jobs` takes: far more than any machine statecap runs
/// on has cores, and few enough that a typo does not start 100,000.
const MAX_JOBS: i64 = 1024;

/// `--jobs N`: 1 to [`MAX_JOBS`] threads.
fn threads(n: i64) -> Result<usize, Error> {
    if (1..=MAX_JOBS).contains(&n) {
        Ok(n as usize)
    } else {
        Err(Error::usage(
            "--jobs",
            format!("{n} threads: give 1 to {MAX_JOBS} (leave --jobs out to use every core)"),
        ))
    }
}

fn progress_bar(total: u64, enabled: bool, name: &str) -> Option<indicatif::ProgressBar> {
    // Only long runs on a terminal get a bar.
    if !enabled || total < 20_000_000 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {human_pos}/{human_len} records  {per_sec}  eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(name.to_string());
    Some(bar)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
