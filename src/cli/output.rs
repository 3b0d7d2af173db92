//! Where output goes and how it looks: colour only on a terminal and never with `NO_COLOR`;
//! reports written to a file atomically.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::render::{Style, printable};

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

/// A path as messages show it: as text, with the characters that could take over a terminal
/// (escape sequences, bidirectional marks) written as escapes, as the reports write them.
pub fn shown(path: &Path) -> String {
    printable(&path.to_string_lossy()).into_owned()
}

fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Standard output that remembers why writing to it failed. Every command writes through one,
/// so that a report lost to a full disk fails the run instead of passing it silently. A closed
/// pipe (`palisade validate … | head`) is not a failure: the reader has what it wanted. Once a
/// write has failed, every later one fails at once, so that renderers stop early.
#[derive(Debug)]
pub struct Latch<W: Write> {
    inner: W,
    failed: Option<std::io::Error>,
    closed: bool,
}

impl<W: Write> Latch<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Latch {
            inner,
            failed: None,
            closed: false,
        }
    }

    /// Flushes, then returns the first failure other than a closed pipe, if any.
    pub fn finish(mut self) -> Option<std::io::Error> {
        let _ = self.flush();
        self.failed
    }

    fn check<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed = true;
            } else if e.kind() != std::io::ErrorKind::Interrupted && self.failed.is_none() {
                self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        result
    }

    fn stopped(&self) -> Option<std::io::Error> {
        if self.closed {
            return Some(std::io::ErrorKind::BrokenPipe.into());
        }
        self.failed
            .as_ref()
            .map(|e| std::io::Error::new(e.kind(), e.to_string()))
    }
}

impl<W: Write> Write for Latch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(e) = self.stopped() {
            return Err(e);
        }
        let result = self.inner.write(buf);
        self.check(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.stopped() {
            return Err(e);
        }
        let result = self.inner.flush();
        self.check(result)
    }
}

/// True when `path` exists and is something other than a regular file: a symbolic link, a
/// named pipe, a device (`/dev/stdout`). The report is written through it, never in its place.
fn special(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file())
}

/// `Ok` when [`write_report`] can write `path`: its folder exists and takes a new file, and
/// `path` is not a folder; or `path` is a link, a device or a pipe that opens for writing.
/// Checked before the work, so that a report that cannot be written is known before the
/// templates are read (and its exit code wins, as it should).
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a folder",
        ));
    }
    if special(path) {
        // Opening a named pipe would wait for its reader: it is opened when the report is
        // ready. Anything else is opened now, without truncating it (a link to no file yet
        // makes the file, as a shell's `>` would).
        let fifo = std::fs::metadata(path).is_ok_and(|m| {
            use std::os::unix::fs::FileTypeExt;
            m.file_type().is_fifo()
        });
        if fifo {
            return Ok(());
        }
        return std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map(|_| ());
    }
    let tmp = temporary(path);
    std::fs::File::create(&tmp)?;
    std::fs::remove_file(&tmp)
}

/// The file [`write_report`] writes before it renames it to `path`.
fn temporary(path: &Path) -> std::path::PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes the report to `path`. A regular file (or a new one) is written through a temporary
/// file in the same folder, renamed into place, so readers never see half a report. A link,
/// a device or a named pipe is written through, as a shell's `>` would.
pub fn write_report(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if special(path) {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        write(&mut file)?;
        return file.flush();
    }
    let tmp = temporary(path);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails every write with `kind`.
    struct Full {
        room: usize,
        kind: std::io::ErrorKind,
        writes: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            if self.room == 0 {
                return Err(self.kind.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn full(room: usize, kind: std::io::ErrorKind) -> Full {
        Full {
            room,
            kind,
            writes: 0,
        }
    }

    #[test]
    fn a_failed_write_is_kept_and_stops_later_writes() {
        let mut inner = full(4, std::io::ErrorKind::StorageFull);
        let mut out = Latch::new(&mut inner);
        assert!(out.write_all(b"findings").is_err());
        assert!(out.write_all(b"more").is_err());
        let failed = out.finish().map(|e| e.kind());
        assert_eq!(failed, Some(std::io::ErrorKind::StorageFull));
        // The second write never reached the full disk.
        assert_eq!(inner.writes, 2);
    }

    #[test]
    fn a_closed_pipe_is_not_a_failure() {
        let mut out = Latch::new(full(4, std::io::ErrorKind::BrokenPipe));
        assert!(out.write_all(b"findings").is_err());
        assert!(out.finish().is_none());
        let mut fine = Latch::new(Vec::new());
        fine.write_all(b"all of it").unwrap();
        assert!(fine.finish().is_none());
    }
}
