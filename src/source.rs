//! Source files and positions.
//!
//! Every piece of text palisade reads (a template, a policy, a test file) becomes a
//! [`SourceFile`]. Values and syntax nodes keep a [`Span`] (a byte range into that file) and
//! the file turns spans into 1-based line and column numbers only when something is reported.

use std::fmt;
use std::sync::OnceLock;

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
    /// No text at all: the span of a value the model made up without a place of its own (it
    /// takes its position from the nearest value that has one).
    pub const NONE: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    /// True for [`Span::NONE`].
    pub fn is_none(self) -> bool {
        self == Span::NONE
    }

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
    /// The text; taken out by [`SourceFile::pack`] and put back, from the packed copy, on
    /// first use.
    text: OnceLock<Box<str>>,
    /// The text compressed, once [`SourceFile::pack`] has run.
    packed: Option<Box<[u8]>>,
    /// Length of the text in bytes.
    len: u32,
    /// Byte offset of the first byte of each line; `line_starts[0] == 0`. Built on first use.
    line_starts: OnceLock<Vec<u32>>,
    /// Characters before each multiple of [`CHUNK`] bytes, built on first use by a column on a
    /// long line, so that columns on a machine-written one-line file cost no more than on a
    /// short line.
    char_index: OnceLock<Vec<u32>>,
}

/// Bytes between two entries of the character index; a prefix shorter than this is counted
/// directly.
const CHUNK: usize = 4096;

/// The largest file palisade reads: spans are 32-bit.
pub const MAX_SOURCE_LEN: usize = u32::MAX as usize - 1;

/// Texts shorter than this are not worth packing.
const PACK_FROM: usize = 1 << 20;

impl SourceFile {
    /// Wraps `text` under `name`. Lines end at `\n`, `\r\n` or a lone `\r` (the line ending
    /// is not part of the text of the line). Text longer than [`MAX_SOURCE_LEN`] is cut there:
    /// callers that read files refuse such files before getting here.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut text: String = text.into();
        if text.len() > MAX_SOURCE_LEN {
            let mut cut = MAX_SOURCE_LEN;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        let len = text.len() as u32;
        // Taken over without a copy: a file's text is the largest single allocation.
        let text = OnceLock::from(text.into_boxed_str());
        SourceFile {
            name: name.into(),
            text,
            packed: None,
            len,
            line_starts: OnceLock::new(),
            char_index: OnceLock::new(),
        }
    }

    /// Holds the text compressed until it is next asked for. A template's text is needed to
    /// parse it and then only to report positions and show excerpts; in between, while its
    /// model is built and the rules are evaluated, the compressed copy takes a fraction of the
    /// memory (a tenth for machine-written templates). Texts under 1 MiB are left as they are.
    pub fn pack(&mut self) {
        if (self.len as usize) < PACK_FROM || self.packed.is_some() {
            return;
        }
        if let Some(text) = self.text.take() {
            let packed = lz4_flex::compress_prepend_size(text.as_bytes());
            drop(text);
            // Copied to an allocation of its exact size: the compressor's is sized for the
            // worst case.
            self.packed = Some(Box::from(packed.as_slice()));
        }
    }

    /// The name shown in reports: a path as given on the command line, `<stdin>`, or
    /// `bundled/<file>.guard`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            // The packed copy was made from valid UTF-8 by this file; it cannot fail to come back.
            let bytes = self
                .packed
                .as_deref()
                .and_then(|p| lz4_flex::decompress_size_prepended(p).ok())
                .unwrap_or_default();
            String::from_utf8(bytes)
                .unwrap_or_default()
                .into_boxed_str()
        })
    }

    /// Length of the text in bytes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True for an empty text.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text a span covers (empty if the span does not fit the file or splits a character).
    pub fn slice(&self, span: Span) -> &str {
        self.text().get(span.range()).unwrap_or_default()
    }

    /// Number of lines (a file without a final newline still counts its last line).
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let text = self.text().as_bytes();
            // A line ends at `\n`, or at a `\r` that no `\n` follows (old Mac files: YAML
            // and editors count such a `\r` as a line break too).
            let ends = || {
                memchr::memchr2_iter(b'\n', b'\r', text)
                    .filter(|&i| text.get(i) == Some(&b'\n') || text.get(i + 1) != Some(&b'\n'))
            };
            let mut starts = Vec::with_capacity(ends().count() + 1);
            starts.push(0u32);
            starts.extend(ends().map(|i| i as u32 + 1));
            starts
        })
    }

    /// 0-based index of the line holding byte `offset` (offsets past the end map to the last line).
    fn line_index(&self, offset: u32) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The 1-based line and column of byte `offset`. A byte-order mark at the start of the file
    /// is not counted as a column.
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.len);
        let index = self.line_index(offset);
        let start = self.line_starts().get(index).copied().unwrap_or(0) as usize;
        let offset = offset as usize;
        let chars = if self.text().is_char_boundary(offset) {
            let bom = index == 0 && offset > 0 && self.text().starts_with('\u{feff}');
            self.chars_between(start, offset) - usize::from(bom)
        } else {
            0
        };
        Position {
            line: index as u32 + 1,
            column: chars as u32 + 1,
        }
    }

    /// The number of characters in `text[from..to]` (`from <= to`, both within the text).
    fn chars_between(&self, from: usize, to: usize) -> usize {
        if to - from < CHUNK {
            return count_chars(self.text().as_bytes().get(from..to).unwrap_or_default());
        }
        self.chars_before(to) - self.chars_before(from)
    }

    /// The number of characters that start before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let index = self.char_index();
        let chunk = offset / CHUNK;
        let base = index.get(chunk).copied().unwrap_or_default() as usize;
        let rest = self.text().as_bytes().get(chunk * CHUNK..offset);
        base + count_chars(rest.unwrap_or_default())
    }

    fn char_index(&self) -> &[u32] {
        self.char_index.get_or_init(|| {
            let mut index = vec![0u32];
            let mut total = 0;
            for chunk in self.text().as_bytes().chunks(CHUNK) {
                total += count_chars(chunk) as u32;
                index.push(total);
            }
            index
        })
    }

    /// The byte offset of the character that is `chars` characters after byte `from` (or the
    /// end of the text).
    fn advance(&self, from: usize, chars: usize) -> usize {
        let bytes = self.text().as_bytes();
        let mut at = from;
        let mut left = chars;
        if chars >= CHUNK {
            // Jump to the last chunk boundary before the target, then walk.
            let target = self.chars_before(from) + chars;
            let index = self.char_index();
            let chunk = index
                .partition_point(|&c| (c as usize) <= target)
                .saturating_sub(1);
            let start = (chunk * CHUNK).max(from);
            left = target - self.chars_before(start);
            at = start;
        }
        while let Some(&b) = bytes.get(at) {
            if !is_continuation(b) {
                if left == 0 {
                    return at;
                }
                left -= 1;
            }
            at += 1;
        }
        bytes.len()
    }

    /// The byte offset of a 1-based line and column, if the file has that line (columns past
    /// the end of the line are clamped to it).
    pub fn offset(&self, position: Position) -> Option<u32> {
        let index = (position.line as usize).checked_sub(1)?;
        let start = *self.line_starts().get(index)?;
        let line = self.line_text(position.line)?;
        let skip_bom = index == 0 && line.starts_with('\u{feff}');
        let column = position.column.saturating_sub(1) as usize + usize::from(skip_bom);
        let at = self.advance(start as usize, column);
        Some(at.min(start as usize + line.len()) as u32)
    }

    /// The byte range of a 1-based line, with its line ending.
    pub fn line_range(&self, line: u32) -> Option<std::ops::Range<usize>> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.line_starts().get(index)? as usize;
        let end = self
            .line_starts()
            .get(index + 1)
            .map_or(self.len(), |&e| e as usize);
        Some(start..end)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let text = self.text().get(self.line_range(line)?)?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        Some(text.strip_suffix('\r').unwrap_or(text))
    }
}

/// True for the bytes that continue a UTF-8 character.
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// The number of characters that start in `bytes`.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| !is_continuation(b)).count()
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
    fn a_lone_carriage_return_ends_a_line_as_in_old_mac_files() {
        let f = SourceFile::new("t", "a: 1\rb: 2\r\nc: 3\r\rd: 4");
        assert_eq!(f.line_count(), 5);
        assert_eq!(f.line_text(1), Some("a: 1"));
        assert_eq!(f.line_text(2), Some("b: 2"));
        assert_eq!(f.line_text(3), Some("c: 3"));
        assert_eq!(f.line_text(4), Some(""));
        assert_eq!(f.line_text(5), Some("d: 4"));
        // `b` starts line 2 and `4` is the fourth character of line 5.
        assert_eq!(f.position(5), Position { line: 2, column: 1 });
        assert_eq!(f.position(20), Position { line: 5, column: 4 });
        for offset in [0u32, 5, 8, 11, 16, 17, 20] {
            assert_eq!(f.offset(f.position(offset)), Some(offset));
        }
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

    #[test]
    fn a_packed_text_comes_back_whole() {
        // Over the packing threshold, with lines of several widths and characters.
        let text: String = (0..40_000)
            .map(|i| {
                format!(
                    "  Key{i}: {}\n",
                    ["a", "é", "€ x", "😀"].repeat(i % 7).concat()
                )
            })
            .collect();
        assert!(text.len() > PACK_FROM);
        let plain = SourceFile::new("t", text.as_str());
        let mut packed = SourceFile::new("t", text.as_str());
        packed.pack();
        assert!(packed.text.get().is_none(), "the text is held only packed");
        assert!(
            packed
                .packed
                .as_ref()
                .is_some_and(|p| p.len() < text.len() / 4)
        );
        assert_eq!(packed.len(), text.len());
        for offset in (0..text.len() as u32).step_by(7919) {
            assert_eq!(packed.position(offset), plain.position(offset));
        }
        assert_eq!(packed.line_text(30_001), plain.line_text(30_001));
        assert_eq!(packed.text(), text);
    }

    #[test]
    fn a_short_text_is_not_packed() {
        let mut f = SourceFile::new("t", "a: 1\n");
        f.pack();
        assert!(f.packed.is_none());
        assert_eq!(f.text(), "a: 1\n");
    }

    #[test]
    fn columns_on_long_lines_count_characters() {
        // Long enough for the character index; mixed widths so that bytes and characters differ.
        let line: String = (0..3000).map(|i| ["a", "é", "€", "😀"][i % 4]).collect();
        let text = format!("\u{feff}{line}\n{line}");
        let f = SourceFile::new("t", text.as_str());
        let second = text.find('\n').unwrap() + 1;
        for (at, _) in text.char_indices().step_by(97) {
            let (start, bom) = if at < second { (0, 1) } else { (second, 0) };
            let naive = text[start..at].chars().count().saturating_sub(bom) as u32 + 1;
            let p = f.position(at as u32);
            assert_eq!(p.column, naive, "offset {at}");
            if at > 0 {
                assert_eq!(f.offset(p), Some(at as u32), "offset {at} at {p}");
            }
        }
        // A column past the end of a line is clamped to it.
        let end = f.offset(Position {
            line: 1,
            column: 100_000,
        });
        assert_eq!(end, Some(second as u32 - 1));
    }
}
