//! The progress bar of long runs: one line on standard error, redrawn at most ten times a
//! second and removed before the report is printed.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Runs with more templates than this show a progress bar (on a terminal).
pub const PROGRESS_THRESHOLD: usize = 20;

/// Width of the bar, in characters.
const WIDTH: usize = 30;

/// Least time between two redraws.
const REDRAW: Duration = Duration::from_millis(100);

/// A progress bar on standard error, drawn only when more than [`PROGRESS_THRESHOLD`]
/// templates are checked and standard error is a terminal; otherwise it does nothing.
#[derive(Debug)]
pub struct Progress(Option<Bar>);

#[derive(Debug)]
struct Bar {
    total: usize,
    done: AtomicUsize,
    started: Instant,
    /// When the bar was last drawn; `None` before the first time.
    drawn: Mutex<Option<Instant>>,
}

impl Progress {
    /// Starts counting towards `total` templates.
    pub fn start(total: usize) -> Progress {
        if total <= PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        Progress(Some(Bar {
            total,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            drawn: Mutex::new(None),
        }))
    }

    /// One more template done. Called from every worker thread: a thread that finds another
    /// drawing goes on without waiting.
    pub fn tick(&self) {
        let Some(bar) = &self.0 else { return };
        let done = bar.done.fetch_add(1, Ordering::Relaxed) + 1;
        let Ok(mut drawn) = bar.drawn.try_lock() else {
            return;
        };
        let now = Instant::now();
        if drawn.is_some_and(|at| now.duration_since(at) < REDRAW) {
            return;
        }
        *drawn = Some(now);
        let text = line(done, bar.total, now.duration_since(bar.started));
        // The bar is a courtesy: a standard error that cannot be written loses nothing else.
        let _ = std::io::stderr().write_all(format!("\r{text}").as_bytes());
    }

    /// Removes the bar before the report is printed.
    pub fn finish(self) {
        let Some(bar) = self.0 else { return };
        if bar.drawn.lock().is_ok_and(|drawn| drawn.is_some()) {
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        }
    }
}

/// The text of the bar after `done` of `total` templates, `elapsed` into the run:
/// `checking templates [=========>        ] 300/900 2s`.
fn line(done: usize, total: usize, elapsed: Duration) -> String {
    let done = done.min(total);
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let bar = if filled == WIDTH {
        "=".repeat(WIDTH)
    } else {
        format!("{}>{}", "=".repeat(filled), " ".repeat(WIDTH - filled - 1))
    };
    format!(
        "checking templates [{bar}] {done}/{total} {}s",
        elapsed.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_in_proportion_to_the_templates_done() {
        let second = Duration::from_secs(1);
        assert_eq!(
            line(0, 90, Duration::ZERO),
            format!("checking templates [>{}] 0/90 0s", " ".repeat(29))
        );
        assert_eq!(
            line(30, 90, second),
            format!(
                "checking templates [{}>{}] 30/90 1s",
                "=".repeat(10),
                " ".repeat(19)
            )
        );
        assert_eq!(
            line(90, 90, 3 * second),
            format!("checking templates [{}] 90/90 3s", "=".repeat(30))
        );
    }

    #[test]
    fn the_bar_never_overflows() {
        assert_eq!(line(120, 90, Duration::ZERO).matches('=').count(), WIDTH);
        assert!(line(5, 0, Duration::ZERO).contains("[=============================="));
    }

    #[test]
    fn no_bar_is_drawn_for_a_few_templates() {
        let progress = Progress::start(PROGRESS_THRESHOLD);
        assert!(progress.0.is_none());
        progress.tick();
        progress.finish();
    }
}
