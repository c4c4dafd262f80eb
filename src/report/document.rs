//! The report model every command's `report.html` and `report.md` share:
//! a [`Document`] of [`Section`]s made of [`Block`]s, built once (by the
//! section builders of [`super::sections`], which the commands assemble in
//! [`super::pages`]) and rendered twice, by [`super::html`] and
//! [`super::markdown`]. Neither renderer decides what to say: they only
//! format blocks.

/// One report.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `statecap run: seed_flink16_memory_backend`.
    pub title: String,
    /// The scenario's own description.
    pub lead: Option<String>,
    /// Top to bottom.
    pub sections: Vec<Section>,
    /// The footer line (version, scenario hash, date).
    pub footer: String,
}

/// A section: a heading and what is under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The HTML anchor (`verdict`, `checkpoints`).
    pub id: String,
    /// The heading.
    pub heading: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

impl Section {
    /// A section with `blocks`.
    pub fn new(id: &str, heading: impl Into<String>, blocks: Vec<Block>) -> Section {
        Section {
            id: id.to_string(),
            heading: heading.into(),
            blocks,
        }
    }
}

/// One piece of content. Text may hold `code` spans in backticks.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph.
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A verdict box: holds (`ok`) or not, a bold head, the sentence, a
    /// detail line and Flink's own log line.
    Verdict {
        /// Holds.
        ok: bool,
        /// `operator 'user-window'`.
        head: String,
        /// The sentence.
        text: String,
        /// A second, quieter line.
        detail: Option<String>,
        /// What Flink logs (the exception line).
        log: Option<String>,
    },
    /// Two columns, a name and its value.
    Pairs(Vec<(String, String)>),
    /// A table. `right[i]`: column `i` is numbers (right-aligned).
    Table {
        /// Column heads.
        head: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
        /// Which columns are numbers.
        right: Vec<bool>,
    },
    /// Content folded away (`<details>`), with its summary line.
    Details {
        /// The line shown when folded.
        summary: String,
        /// The content.
        blocks: Vec<Block>,
    },
    /// Literal text: `lang` is its Markdown fence language.
    Code {
        /// `yaml`, `java`, `text`.
        lang: &'static str,
        /// The text.
        text: String,
    },
    /// A chart: inline SVG in the HTML page, `file.svg` beside `report.md`.
    Chart {
        /// File stem: `timeline`.
        file: String,
        /// What to look at.
        caption: String,
        /// The SVG without its font (the page declares it once).
        svg: String,
    },
}
