//! The JSON report (`--format json`): the [`Report`] as it is, schema `palisade/report/v1`.

use crate::report::Report;

/// The report as pretty-printed JSON, with a final newline.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!("{{\"schema\": \"palisade/report/v1\", \"error\": \"cannot serialise the report: {e}\"}}")
    });
    text.push('\n');
    text
}
