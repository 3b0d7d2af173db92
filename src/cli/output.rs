//! Where output goes and how it looks: colour only on a terminal and never with `NO_COLOR`;
//! reports written to a file atomically.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::render::Style;

/// Colour for standard output: a terminal and no (non-empty) `NO_COLOR`.
pub fn stdout_style() -> Style {
    Style {
        color: color_allowed() && std::io::stdout().is_terminal(),
    }
}

/// Colour for standard error.
pub fn stderr_style() -> Style {
    Style {
        color: color_allowed() && std::io::stderr().is_terminal(),
    }
}

fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes `text` to `path` through a temporary file in the same folder, renamed into place,
/// so readers never see half a report.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Runs with more templates than this show a progress bar (on a terminal).
pub const PROGRESS_THRESHOLD: usize = 20;

/// A progress bar on standard error, drawn only when more than [`PROGRESS_THRESHOLD`]
/// templates are checked and standard error is a terminal; otherwise it does nothing.
#[derive(Debug)]
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// Starts counting towards `total` templates.
    pub fn start(total: usize) -> Progress {
        if total <= PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} checking templates [{bar:30}] {pos}/{len} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        )
        .with_style(style);
        Progress(Some(bar))
    }

    /// One more template done.
    pub fn tick(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// Removes the bar before the report is printed.
    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
