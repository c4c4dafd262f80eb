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

Writes DIR/<name>-sweep/sweep.csv and capacity_<parameter>.png/.svg, and prints
where each limit is crossed.

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
    let files = report::sweep::outputs(&result, &budgets)?;
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let dir = report::write_outputs(&a.out, &format!("{}-sweep", base.name), &refs)?;
    if !a.quiet {
        print!("{}", report::sweep::render(&result, &budgets));
        println!("wrote {}", dir.display());
    }
    no_point_ran(&result)?;
    Ok(0)
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
