//! Errors statecap reports. Every one of them is fatal for the scenario it
//! concerns and maps to exit code 2: bad input, unreadable files, outputs
//! that could not be written.

use std::fmt;
use std::path::PathBuf;

/// One mistake in a scenario file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The field as written in the file, e.g. `operator[0].slide_ms`.
    pub field: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            // A field is one line of text, whatever the file holds.
            let mut field = String::with_capacity(self.field.len());
            for c in self.field.chars() {
                if c.is_control() {
                    field.extend(c.escape_default());
                } else {
                    field.push(c);
                }
            }
            write!(f, ": `{field}`: {}", self.message)
        }
    }
}

/// Everything that can stop statecap.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The scenario file has mistakes (all of them are listed).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Scenario(Vec<ScenarioError>),
    /// A trace file cannot be read or has a bad line.
    #[error("{path}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Trace {
        /// The trace file.
        path: PathBuf,
        /// 1-based line of the bad record, when there is one.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A configuration file given on the command line is bad.
    #[error("{}: {message}", .path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The scenario is valid but asks for more than statecap can hold.
    #[error("{0}")]
    Limit(String),
    /// A command-line option has a bad value (`--budget`, `--jobs`, …).
    #[error("{option}: {message}")]
    Usage {
        /// The option, as typed (`--budget`).
        option: String,
        /// What is wrong, and what would be right.
        message: String,
    },
    /// An output could not be produced (a CSV, JSON or chart encoder
    /// failed); nothing was written.
    #[error("{output}: {message}")]
    Output {
        /// The output (`timeline.csv`, `summary.json`, `chart`).
        output: String,
        /// The encoder's error.
        message: String,
    },
    /// Several inputs of one command are bad; each is listed, nothing ran.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<Error>),
}

impl Error {
    /// A bad value of the command-line option `option`.
    pub fn usage(option: &str, message: impl fmt::Display) -> Self {
        Error::Usage {
            option: option.to_string(),
            message: message.to_string(),
        }
    }

    /// An encoder of `output` failed.
    pub fn output(output: &str, message: impl fmt::Display) -> Self {
        Error::Output {
            output: output.to_string(),
            message: message.to_string(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// statecap's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
