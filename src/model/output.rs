//! JSON output of model entries with their file, line and column (computed from the span when
//! serialising; the model itself stores only spans).

use serde::ser::SerializeMap;

use crate::source::SourceFile;
use crate::template::{Node, Value};

/// A model entry (a map) serialised with `file`, `line` and `column` first.
#[derive(Clone, Copy, Debug)]
pub struct Positioned<'a> {
    /// The entry.
    pub node: &'a Node,
    /// The template it comes from.
    pub source: &'a SourceFile,
}

impl serde::Serialize for Positioned<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let node = self.node.resolved();
        let Value::Map(map) = &node.value else {
            return node.serialize(serializer);
        };
        let at = self.source.position(node.span.start);
        let mut out = serializer.serialize_map(Some(map.len() + 3))?;
        out.serialize_entry("file", self.source.name())?;
        out.serialize_entry("line", &at.line)?;
        out.serialize_entry("column", &at.column)?;
        for (k, v) in map.iter() {
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}
