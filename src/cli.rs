//! The command line: clap definitions and what each command does with the
//! library. Exit codes: 0 the simulation ran, 1 (`check`) the job will fail,
//! 2 bad input or an error.

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

use statecap::{Error, Scenario, report, simulate_scenario};

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
    #[command(after_help = "Writes DIR/<name>/timeline.csv, summary.csv, summary.json and keygroups.csv.\n\n".to_string() + EXAMPLES)]
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
        /// Your own per-subtask budget, drawn on the charts (e.g. "64 mb"); repeatable.
        #[arg(long, value_name = "SIZE")]
        budget: Vec<String>,
    },
    /// Run a scenario over a grid of parameter values (in parallel on all cores) and find where it stops holding.
    #[command(after_help = SWEEP_HELP)]
    Sweep {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// NAME=VALUES: a list (parallelism=1,2,4,8) or a range FROM..TO:log|lin:N (keys=1e5..1e8:log:7). Repeat for more dimensions.
        #[arg(long, required = true, value_name = "NAME=VALUES")]
        vary: Vec<String>,
        /// Where the outputs go: DIR/<scenario name>-sweep/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Your own per-subtask budget (e.g. "64 mb"): crossings are reported for it too; repeatable.
        #[arg(long, value_name = "SIZE")]
        budget: Vec<String>,
        /// Threads (default: every core).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Print nothing (outputs are still written).
        #[arg(long, short)]
        quiet: bool,
        /// Never show a progress bar.
        #[arg(long)]
        no_progress: bool,
    },
}

const SWEEP_HELP: &str = "\
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

/// Runs the command; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Run {
            scenarios,
            out,
            quiet,
            no_progress,
            budget,
        } => {
            let budgets = budgets(&budget)?;
            // Validate everything first: one bad file writes nothing.
            let mut loaded = Vec::new();
            let mut errors = Vec::new();
            for p in &scenarios {
                match Scenario::load(p) {
                    Ok(s) => loaded.push(s),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            let mut names = std::collections::HashMap::new();
            for s in &loaded {
                if let Some(first) = names.insert(s.name.as_str(), &s.path) {
                    errors.push(format!(
                        "{}: `name`: '{}' is also the name of {}: outputs would overwrite each other",
                        s.path.display(),
                        s.name,
                        first.display()
                    ));
                }
            }
            if !errors.is_empty() {
                return Err(Error::Limit(errors.join("\n")));
            }
            let mut rendered = Vec::new();
            let mut tables = String::new();
            for s in &loaded {
                let total = s
                    .source
                    .records
                    .min(u64::MAX / 4)
                    .saturating_mul(s.operators.len() as u64);
                let bar = progress_bar(total, !no_progress && !quiet, &s.name);
                let result = simulate_scenario(s, &|n| {
                    if let Some(b) = &bar {
                        b.set_position(n);
                    }
                })?;
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                let files = report::render_outputs_with(s, &result, &budgets)?;
                tables.push_str(&report::render_table(s, &result));
                rendered.push((s.name.clone(), files));
            }
            // Only once every scenario ran: print, then write.
            if !quiet {
                print!("{tables}");
            }
            for (name, files) in &rendered {
                let dir = report::write_outputs(&out, name, files)?;
                if !quiet {
                    println!("wrote {}", dir.display());
                }
            }
            Ok(0)
        }
        Command::Sweep {
            scenario,
            vary,
            out,
            budget,
            jobs,
            quiet,
            no_progress,
        } => statecap::sweep::command(&statecap::sweep::SweepOptions {
            scenario,
            vary,
            out,
            budgets: budget,
            jobs,
            quiet,
            no_progress,
        }),
    }
}

fn budgets(texts: &[String]) -> Result<Vec<report::chart::Limit>, Error> {
    texts
        .iter()
        .map(|b| {
            statecap::scenario::units::parse_memory_size(b)
                .map(|bytes| report::chart::Limit {
                    label: "budget".into(),
                    bytes,
                })
                .map_err(|e| Error::Limit(format!("--budget: {e}")))
        })
        .collect()
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
