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
