//! Reports and diagnostics → text for people and formats for machines.
//!
//! Last phase (`report → render`). Nothing here decides anything; it only presents.

pub mod catalogue;
pub mod diagnostic;
mod excerpt;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;
mod window;

use std::io;

/// Text that a renderer appends to and hands on in pieces, so that a report with tens of
/// thousands of findings is never held whole in memory.
struct Spill<'w> {
    buf: String,
    out: &'w mut dyn io::Write,
}

impl<'w> Spill<'w> {
    /// Bytes gathered before they are written.
    const CHUNK: usize = 64 * 1024;

    fn new(out: &'w mut dyn io::Write) -> Self {
        Spill {
            buf: String::new(),
            out,
        }
    }

    /// Writes what has been gathered once there is a chunk of it.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= Self::CHUNK {
            self.out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the rest.
    fn finish(self) -> io::Result<()> {
        self.out.write_all(self.buf.as_bytes())
    }
}

/// True for a character that must not reach a terminal as it is: a control character other
/// than tab (escape sequences can move the cursor, recolour or retitle the terminal, or hide
/// text) and the invisible marks that reorder a line (bidirectional overrides, isolates and
/// line separators: a reader would see text other than what is there).
pub(crate) fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `text` with every character of [`is_unsafe`] written as an escape (`\u{1b}`), for text
/// output of values that come from templates: logical ids, messages that quote values, paths.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// What a renderer wrote into memory, as text (for tests and callers that want a string).
fn to_string(render: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> String {
    let mut bytes = Vec::new();
    // Writing to memory cannot fail.
    let _ = render(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// ANSI styling that is switched off when output is not a terminal or `NO_COLOR` is set.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Whether to emit colour codes.
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    /// Bold.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Dimmed.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Red.
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// Bold red.
    pub fn bold_red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Yellow.
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Green.
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Cyan.
    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }

    /// Blue.
    pub fn blue(self, text: &str) -> String {
        self.paint("34", text)
    }
}
