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
    },
}

/// Runs the command; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Run {
            scenarios,
            out,
            quiet,
            no_progress,
        } => {
            // Validate everything first: one bad file writes nothing.
            let mut loaded = Vec::new();
            let mut errors = Vec::new();
            for p in &scenarios {
                match Scenario::load(p) {
                    Ok(s) => loaded.push(s),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            if !errors.is_empty() {
                return Err(Error::Limit(errors.join("\n")));
            }
            let mut rendered = Vec::new();
            for s in &loaded {
                let total = s.source.records.min(u64::MAX / 4) * s.operators.len() as u64;
                let bar = progress_bar(total, !no_progress && !quiet, &s.name);
                let result = simulate_scenario(s, &|n| {
                    if let Some(b) = &bar {
                        b.set_position(n);
                    }
                })?;
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                let files = report::render_outputs(s, &result)?;
                if !quiet {
                    print!("{}", report::render_table(s, &result));
                }
                rendered.push((s.name.clone(), files));
            }
            for (name, files) in &rendered {
                let dir = report::write_outputs(&out, name, files)?;
                if !quiet {
                    println!("wrote {}", dir.display());
                }
            }
            Ok(0)
        }
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
