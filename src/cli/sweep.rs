//! `statecap sweep`: its flags, the progress bar (one step per point, only
//! on a terminal), the threads, the files written and the text printed.
//! Running the grid is [`statecap::plan::sweep`]'s; the files and words are
//! [`statecap::report::sweep`]'s.

use std::io::IsTerminal;
use std::path::PathBuf;

use statecap::plan::sweep;
use statecap::{Error, Scenario, report};

use super::ModeArg;

pub(super) const HELP: &str = "\
Parameters: parallelism, max_parallelism, source.keys, source.events_per_second
(records scale with it: the played duration is kept), source.records,
source.duration_ms, window.size_ms, window.slide_ms, window.gap_ms,
checkpoints.interval_ms, checkpoints.every_records. Durations may be written 5s, 1min.

Writes DIR/<name>-sweep/sweep.csv, capacity_<parameter>.png/.svg, report.html and
report.md (the crossings, then the scenario as written), and prints where each limit
is crossed. SOURCE_DATE_EPOCH (seconds since 1970), when set, is the report's date.

Examples:
  statecap sweep scenarios/seed_flink16_memory_backend.toml --vary parallelism=4,8,16 \\
      --vary source.events_per_second=2000..40000:log:6
  statecap sweep my_job.toml --vary keys=1e5..1e8:log:7 --budget \"256 mb\"";

// The flags of `statecap sweep` (what the command does is said where it is
// declared, in cli.rs).
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// NAME=VALUES: a list (parallelism=1,2,4,8) or a range FROM..TO:log|lin:N (keys=1e5..1e8:log:7). Repeat for more dimensions.
    #[arg(long, required = true, value_name = "NAME=VALUES")]
    vary: Vec<String>,
    /// Where the outputs go: DIR/<scenario name>-sweep/.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Your own per-subtask budget (e.g. "64 mb"): crossings are reported for it too; repeatable.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    budget: Vec<String>,
    /// Threads, 1 to 1024 (default: every core).
    #[arg(long, short, value_name = "N", allow_negative_numbers = true)]
    jobs: Option<i64>,
    /// Print nothing (outputs are still written).
    #[arg(long, short)]
    quiet: bool,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// exact, sampled, analytic or auto (per point, as `run` picks).
    #[arg(long, value_enum, default_value_t = ModeArg::Auto)]
    mode: ModeArg,
    /// Run every point even when its estimate is over the budget (10 s, 2 GiB
    /// a point): without it, such a point is an `error` row with the numbers.
    #[arg(long)]
    ignore_budget: bool,
}

/// Runs `statecap sweep`; returns the exit code.
pub fn command(a: SweepArgs) -> Result<i32, Error> {
    let budgets = super::budgets(&a.budget)?;
    let stamp = report::provenance::Stamp::from_env()?;
    let jobs = a.jobs.map(super::threads).transpose()?;
    let base = Scenario::load(&a.scenario)?;
    let vary = sweep::parse_dimensions(&a.vary)?;
    let n = sweep::grid_points(&vary)?;
    let bar = if !a.quiet && !a.no_progress && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(n as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} points  {elapsed_precise}  eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b.set_message(format!("sweep {}", base.name));
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mode = a.mode.into();
    let budget = super::run_budget(a.ignore_budget);
    let go = || sweep::run(&base, vary.clone(), mode, budget, &|| bar.inc(1));
    let result = match jobs {
        Some(j) => rayon::ThreadPoolBuilder::new()
            .num_threads(j)
            .build()
            .map_err(|e| Error::usage("--jobs", e))?
            .install(go),
        None => go(),
    };
    bar.finish_and_clear();
    let mut files = report::sweep::outputs(&result, &budgets)?;
    files.extend(base_report(&result, &budgets, mode, budget, stamp)?);
    let dir = report::write_outputs(&a.out, &format!("{}-sweep", base.name), &files)?;
    if !a.quiet {
        print!("{}", report::sweep::render(&result, &budgets));
        println!("wrote {}", dir.display());
    }
    no_point_ran(&result)?;
    Ok(0)
}

/// The sweep's report: the grid, then the scenario as written (run once
/// more, with the recommendation). A scenario that cannot run as written
/// (over the budget, say) still gets the grid, and the report says why the
/// rest is missing.
fn base_report(
    sw: &sweep::Sweep,
    budgets: &[report::chart::Limit],
    mode: statecap::pipeline::Mode,
    budget: statecap::pipeline::Budget,
    stamp: report::provenance::Stamp,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    use statecap::pipeline::{self, RunOptions};
    use statecap::report::sections::Advice;
    let options = RunOptions {
        mode,
        budget,
        ..RunOptions::default()
    };
    match pipeline::simulate(&sw.base, &options) {
        Ok(run) => {
            let advice = Advice::after(
                &sw.base,
                &run,
                statecap::backend::memory::DEFAULT_BANDWIDTH,
                budget,
            );
            report::pages::sweep(sw, budgets, run.result(), &advice, stamp)
        }
        Err(e) => {
            let empty = pipeline::ScenarioResult {
                name: sw.base.name.clone(),
                backend: sw.base.config.backend.short_name(),
                storage: sw.base.config.storage.short_name(),
                operators: Vec::new(),
                mode,
                rocksdb_replayed: false,
                rocksdb_replay: Default::default(),
                sampled_error: None,
            };
            let advice = Advice::Unavailable(format!("the scenario as written did not run: {e}"));
            report::pages::sweep(sw, budgets, &empty, &advice, stamp)
        }
    }
}

/// A sweep none of whose points could be simulated (every one invalid, or
/// stopped by an error) is bad input, though its table and sweep.csv,
/// which say why for each point, were printed and written. A point that
/// ran but saw no checkpoint did run: sweep.csv says `no_checkpoint`.
fn no_point_ran(result: &sweep::Sweep) -> Result<(), Error> {
    let ran = |p: &&sweep::Point| {
        matches!(
            p.status,
            sweep::Status::Holds | sweep::Status::Fails | sweep::Status::NoCheckpoint(_)
        )
    };
    if result.points.is_empty() || result.points.iter().any(|p| ran(&p)) {
        return Ok(());
    }
    let first = result.points.iter().find_map(|p| match &p.status {
        sweep::Status::Invalid(why) | sweep::Status::Error(why) => Some(why.as_str()),
        _ => None,
    });
    Err(Error::usage(
        "--vary",
        format!(
            "no point of the sweep could be simulated ({} of {} invalid); the first: {}",
            result
                .points
                .iter()
                .filter(|p| matches!(p.status, sweep::Status::Invalid(_)))
                .count(),
            result.points.len(),
            first.unwrap_or("")
        ),
    ))
}
