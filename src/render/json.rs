//! The JSON report (`--format json`): the [`Report`] as it is, schema `palisade/report/v1`.

use std::io;

use crate::report::Report;

/// The report as pretty-printed JSON, with a final newline.
pub fn render(report: &Report) -> String {
    super::to_string(|out| render_to(report, out))
}

/// [`render`], written to `out` as it is produced.
pub fn render_to(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
