//! Source files and positions.
//!
//! Every piece of text palisade reads (a template, a policy, a test file) becomes a
//! [`SourceFile`]. Values and syntax nodes keep a [`Span`] (a byte range into that file) and
//! the file turns spans into 1-based line and column numbers only when something is reported.

use std::fmt;
use std::sync::Arc;

/// A byte range `start..end` into one [`SourceFile`].
///
/// Spans are small and `Copy`; they do not know which file they belong to, so whoever holds
/// one also holds (or knows) its file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte (equal to `start` for an empty span).
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end`; an `end` before `start` is clamped to `start`.
    pub fn new(start: u32, end: u32) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// The empty span at `offset`.
    pub fn at(offset: u32) -> Self {
        Span {
            start: offset,
            end: offset,
        }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> u32 {
        self.end - self.start
    }

    /// True for an empty span.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The span as a `usize` range, for slicing the file's text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and column. Columns count characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A named text with a line index.
#[derive(Debug)]
pub struct SourceFile {
    name: String,
    text: Arc<str>,
    /// Byte offset of the first byte of each line; `line_starts[0] == 0`.
    line_starts: Vec<u32>,
}

/// The largest file palisade reads: spans are 32-bit.
pub const MAX_SOURCE_LEN: usize = u32::MAX as usize - 1;

impl SourceFile {
    /// Wraps `text` under `name`. Lines end at `\n` (a `\r` before it belongs to the line
    /// ending, not to the text of the line). Text longer than [`MAX_SOURCE_LEN`] is cut there:
    /// callers that read files refuse such files before getting here.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let mut text: Arc<str> = text.into();
        if text.len() > MAX_SOURCE_LEN {
            let mut cut = MAX_SOURCE_LEN;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text = Arc::from(text.get(..cut).unwrap_or_default());
        }
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The name shown in reports: a path as given on the command line, `<stdin>`, or
    /// `bundled/<file>.guard`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A shared handle to the text.
    pub fn text_arc(&self) -> Arc<str> {
        Arc::clone(&self.text)
    }

    /// The text a span covers (empty if the span does not fit the file or splits a character).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or_default()
    }

    /// Number of lines (a file without a final newline still counts its last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based index of the line holding byte `offset` (offsets past the end map to the last line).
    fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The 1-based line and column of byte `offset`. A byte-order mark at the start of the file
    /// is not counted as a column.
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.text.len() as u32);
        let index = self.line_index(offset);
        let start = self.line_starts.get(index).copied().unwrap_or(0);
        let mut prefix = self.text.get(start as usize..offset as usize).unwrap_or("");
        if index == 0 {
            prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
        }
        Position {
            line: index as u32 + 1,
            column: prefix.chars().count() as u32 + 1,
        }
    }

    /// The byte offset of a 1-based line and column, if the file has that line (columns past
    /// the end of the line are clamped to it).
    pub fn offset(&self, position: Position) -> Option<u32> {
        let index = (position.line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let line = self.line_text(position.line)?;
        let skip_bom = index == 0 && line.starts_with('\u{feff}');
        let mut chars = line.char_indices().skip(usize::from(skip_bom));
        let within = chars
            .nth(position.column.saturating_sub(1) as usize)
            .map_or(line.len(), |(i, _)| i);
        Some(start + within as u32)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(index)? as usize;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&e| e as usize);
        let text = self.text.get(start..end)?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        Some(text.strip_suffix('\r').unwrap_or(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let f = SourceFile::new("t", "ab\r\nçd: x\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(1), Position { line: 1, column: 2 });
        // 'd' follows the two-byte 'ç' on line 2.
        assert_eq!(f.position(6), Position { line: 2, column: 2 });
        assert_eq!(f.line_text(1), Some("ab"));
        assert_eq!(f.line_text(2), Some("çd: x"));
        assert_eq!(f.line_text(3), Some(""));
        assert_eq!(f.line_text(4), None);
    }

    #[test]
    fn byte_order_mark_is_not_a_column() {
        let f = SourceFile::new("t", "\u{feff}a: 1\n");
        assert_eq!(f.position(3), Position { line: 1, column: 1 });
        assert_eq!(f.offset(Position { line: 1, column: 1 }), Some(3));
    }

    #[test]
    fn offset_inverts_position() {
        let f = SourceFile::new("t", "x: 1\n  yé: [a, b]\n");
        for offset in [0u32, 2, 5, 7, 11, 14] {
            let p = f.position(offset);
            assert_eq!(f.offset(p), Some(offset), "offset {offset} at {p}");
        }
    }
}
