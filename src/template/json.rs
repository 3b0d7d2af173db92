//! JSON templates into [`Node`] trees with exact spans.
//!
//! A hand-written reader (RFC 8259): one pass over the bytes, an explicit stack for nesting
//! (see [`super::tree`]), duplicate keys rejected with both positions. Numbers that fit `i64`
//! are integers; every other number is a float (an integer too large for `i64` loses
//! precision, one too large for `f64` becomes infinity: neither is an error). Strings decode
//! every escape; a `\u` escape of half a surrogate pair on its own is an error.

use super::LoadError;
use super::tree::Tree;
use super::value::{Node, Str, Value};
use crate::source::{SourceFile, Span};

/// Parses `source` as one JSON value (a UTF-8 byte-order mark before it is allowed).
pub(super) fn parse(source: &SourceFile) -> Result<Node, LoadError> {
    let text = source.text();
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut reader = Reader {
        source,
        text,
        bytes: text.as_bytes(),
        pos: start,
        tree: Tree::new("json::duplicate-key"),
    };
    reader.run()?;
    reader
        .tree
        .finish()
        .ok_or_else(|| super::tree::internal(Span::at(0)))
}

struct Reader<'a> {
    source: &'a SourceFile,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tree: Tree<()>,
}

/// What the reader expects next.
enum Next {
    /// A value (the root, a list element, or a member's value).
    Value,
    /// `,` or a closing bracket after a value inside a collection, or the end of the file.
    AfterValue,
}

impl Reader<'_> {
    fn run(&mut self) -> Result<(), LoadError> {
        let mut next = Next::Value;
        loop {
            self.skip_whitespace();
            next = match next {
                Next::Value => self.value()?,
                Next::AfterValue => {
                    if self.tree.is_done() {
                        return self.end();
                    }
                    self.after_value()?
                }
            };
        }
    }

    /// Reads one value; collections are opened here and closed by `after_value`.
    fn value(&mut self) -> Result<Next, LoadError> {
        let at = self.pos;
        let Some(&byte) = self.bytes.get(at) else {
            return Err(self.unexpected_end("a value"));
        };
        let node = match byte {
            b'{' | b'[' => {
                self.tree.open(byte == b'{', at as u32, 1, ())?;
                self.pos += 1;
                self.skip_whitespace();
                let close = if byte == b'{' { b'}' } else { b']' };
                if self.bytes.get(self.pos) == Some(&close) {
                    return self.close();
                }
                return if byte == b'{' {
                    self.member_key()
                } else {
                    Ok(Next::Value)
                };
            }
            b'"' => {
                let (s, span) = self.string()?;
                Node::string(s, span)
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => self.literal()?,
        };
        self.tree.push_value(node)?;
        Ok(Next::AfterValue)
    }

    /// After a value: `,` then the next element or member, or the closing bracket.
    fn after_value(&mut self) -> Result<Next, LoadError> {
        let in_map = self.tree.top().is_some_and(|f| f.is_map());
        let close = if in_map { b'}' } else { b']' };
        match self.bytes.get(self.pos) {
            Some(b',') => {
                let comma = self.pos as u32;
                self.pos += 1;
                self.skip_whitespace();
                if self.bytes.get(self.pos) == Some(&close) {
                    return Err(self.error(
                        format!("trailing comma before `{}`", close as char),
                        Span::new(comma, comma + 1),
                        "JSON allows no comma after the last element; remove this comma",
                    ));
                }
                if in_map {
                    self.member_key()
                } else {
                    Ok(Next::Value)
                }
            }
            Some(&b) if b == close => self.close(),
            None => Err(self.unexpected_end(if in_map { "`,` or `}`" } else { "`,` or `]`" })),
            Some(_) => {
                let (what, help) = if in_map {
                    (
                        "`,` or `}` after a member",
                        "is a `,` missing between two members, or a `}` missing?",
                    )
                } else {
                    (
                        "`,` or `]` after a list element",
                        "is a `,` missing between two elements, or a `]` missing?",
                    )
                };
                Err(self.error(
                    format!("expected {what}, found {}", self.found()),
                    self.here(),
                    help,
                ))
            }
        }
    }

    fn close(&mut self) -> Result<Next, LoadError> {
        self.pos += 1;
        let (node, ()) = self
            .tree
            .close(Some(self.pos as u32))
            .ok_or_else(|| super::tree::internal(self.here()))?;
        self.tree.push_value(node)?;
        Ok(Next::AfterValue)
    }

    /// A member's key and its `:`.
    fn member_key(&mut self) -> Result<Next, LoadError> {
        match self.bytes.get(self.pos) {
            Some(b'"') => {}
            None => return Err(self.unexpected_end("a key in double quotes")),
            Some(b) => {
                let help = if *b == b'\'' {
                    "JSON strings use double quotes (`\"`), not single quotes"
                } else {
                    "JSON keys are strings in double quotes, e.g. `\"Resources\"`"
                };
                return Err(self.error(
                    format!("expected a key in double quotes, found {}", self.found()),
                    self.here(),
                    help,
                ));
            }
        }
        let (key, span) = self.string()?;
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            Some(b':') => self.pos += 1,
            None => return Err(self.unexpected_end("`:`")),
            Some(_) => {
                return Err(self.error(
                    format!("expected `:` after the key `{key}`, found {}", self.found()),
                    self.here(),
                    "write each member as `\"key\": value`",
                ));
            }
        }
        self.tree.push_key(self.source, key, span)?;
        Ok(Next::Value)
    }

    /// Checks that nothing but whitespace follows the root value.
    fn end(&self) -> Result<(), LoadError> {
        if self.pos < self.bytes.len() {
            return Err(self.error(
                format!("unexpected {} after the end of the top-level value", self.found()),
                self.here(),
                "a JSON file holds one value; remove the extra text or move it into the top-level map",
            ));
        }
        Ok(())
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// A string starting at the `"` under the cursor; returns its value and span (quotes
    /// included).
    fn string(&mut self) -> Result<(Str, Span), LoadError> {
        let start = self.pos;
        let body = start + 1;
        let mut i = body;
        let mut out: Option<String> = None;
        let mut run = body;
        loop {
            let Some(&b) = self.bytes.get(i) else {
                return Err(self.error(
                    "unterminated string: the file ends before its closing `\"`",
                    Span::new(start as u32, start as u32 + 1),
                    "close the string with `\"`",
                ));
            };
            match b {
                b'"' => break,
                b'\\' => {
                    let buf = out.get_or_insert_with(String::new);
                    buf.push_str(self.slice(run, i));
                    i = self.escape(i, buf)?;
                    run = i;
                }
                0..=0x1f => {
                    let (message, help) = if b == b'\n' || b == b'\r' {
                        (
                            "line break inside a string".to_string(),
                            "a JSON string ends on the line it starts: is its closing `\"` missing? Write a line break inside a string as `\\n`",
                        )
                    } else {
                        (
                            format!("control character U+{b:04X} inside a string"),
                            "write control characters in strings as escapes, e.g. `\\t` or `\\u0001`",
                        )
                    };
                    return Err(self.error(message, Span::new(i as u32, i as u32 + 1), help));
                }
                _ => i += 1,
            }
        }
        let value = match out {
            Some(mut buf) => {
                buf.push_str(self.slice(run, i));
                Str::from(buf)
            }
            None => Str::from(self.slice(body, i)),
        };
        self.pos = i + 1;
        Ok((value, Span::new(start as u32, self.pos as u32)))
    }

    /// Decodes the escape at `at` (a backslash) into `buf`; returns the offset after it.
    fn escape(&self, at: usize, buf: &mut String) -> Result<usize, LoadError> {
        let simple = match self.bytes.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (c, next) = self.unicode_escape(at)?;
                buf.push(c);
                return Ok(next);
            }
            None => {
                return Err(self.error(
                    "unterminated string: the file ends inside an escape",
                    Span::new(at as u32, at as u32 + 1),
                    "finish the escape and close the string with `\"`",
                ));
            }
            Some(_) => {
                let end = self.char_end(at + 1);
                return Err(self.error(
                    format!("invalid escape `{}` in a string", self.slice(at, end)),
                    Span::new(at as u32, end as u32),
                    "JSON strings allow the escapes `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`; write a backslash as `\\\\`",
                ));
            }
        };
        buf.push(simple);
        Ok(at + 2)
    }

    /// `\uXXXX` at `at`, with a second `\uXXXX` for a surrogate pair.
    fn unicode_escape(&self, at: usize) -> Result<(char, usize), LoadError> {
        let high = self.hex4(at)?;
        let lone = |unit: u32, help: &'static str| {
            self.error(
                format!("lone surrogate `\\u{unit:04X}` in a string"),
                Span::new(at as u32, at as u32 + 6),
                help,
            )
        };
        match high {
            0xD800..=0xDBFF => {
                let low_at = at + 6;
                let low = if self.bytes.get(low_at..low_at + 2) == Some(b"\\u") {
                    Some(self.hex4(low_at)?)
                } else {
                    None
                };
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        let c =
                            char::from_u32(code).ok_or_else(|| lone(high, "not a character"))?;
                        Ok((c, low_at + 6))
                    }
                    _ => Err(lone(
                        high,
                        "a high surrogate (`\\uD800`–`\\uDBFF`) must be followed by a low surrogate (`\\uDC00`–`\\uDFFF`); write the character itself or its full pair",
                    )),
                }
            }
            0xDC00..=0xDFFF => Err(lone(
                high,
                "a low surrogate (`\\uDC00`–`\\uDFFF`) must follow a high surrogate; write the character itself or its full pair",
            )),
            _ => char::from_u32(high)
                .map(|c| (c, at + 6))
                .ok_or_else(|| lone(high, "not a character")),
        }
    }

    /// The four hex digits after the `\u` at `at`.
    fn hex4(&self, at: usize) -> Result<u32, LoadError> {
        let digits = self.bytes.get(at + 2..at + 6);
        let value = digits.and_then(|d| {
            d.iter().try_fold(0u32, |acc, &b| {
                char::from(b).to_digit(16).map(|v| acc * 16 + v)
            })
        });
        value.ok_or_else(|| {
            self.error(
                "invalid `\\u` escape: expected four hex digits",
                Span::new(at as u32, at as u32 + 2),
                "write a `\\u` escape as exactly four hex digits, e.g. `\\u00e9`",
            )
        })
    }

    fn number(&mut self) -> Result<Node, LoadError> {
        let start = self.pos;
        let mut i = start;
        if self.bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        i = self.digits(i);
        if i == int_start {
            return Err(self.number_error(start, i, "a digit after `-`"));
        }
        if self.bytes.get(int_start) == Some(&b'0') && i > int_start + 1 {
            return Err(self.error(
                format!("invalid number `{}`: leading zero", self.slice(start, i)),
                Span::new(start as u32, i as u32),
                "JSON numbers have no leading zeros; write the number without them, or as a string if the zeros matter",
            ));
        }
        let mut integer = true;
        if self.bytes.get(i) == Some(&b'.') {
            let frac = self.digits(i + 1);
            if frac == i + 1 {
                return Err(self.number_error(start, i + 1, "a digit after the decimal point"));
            }
            i = frac;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.bytes.get(i) {
            let mut exp = i + 1;
            if let Some(b'+' | b'-') = self.bytes.get(exp) {
                exp += 1;
            }
            let end = self.digits(exp);
            if end == exp {
                return Err(self.number_error(start, exp, "a digit in the exponent"));
            }
            i = end;
            integer = false;
        }
        self.pos = i;
        let text = self.slice(start, i);
        let span = Span::new(start as u32, i as u32);
        let value = match text.parse::<i64>() {
            Ok(n) if integer => Value::Int(n),
            _ => Value::Float(text.parse::<f64>().unwrap_or(f64::NAN)),
        };
        Ok(Node::new(value, span))
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    }

    fn number_error(&self, start: usize, at: usize, expected: &str) -> LoadError {
        let end = self.word_end(at).max(at);
        LoadError::new(
            "json::syntax",
            format!(
                "invalid number `{}`: expected {expected}",
                self.slice(start, end)
            ),
            Some(Span::new(start as u32, end as u32)),
        )
        .with_help("JSON numbers look like `-12`, `0.5` or `1e6`; write anything else as a string in double quotes")
    }

    /// `true`, `false` or `null`; anything else is an error naming the word found.
    fn literal(&mut self) -> Result<Node, LoadError> {
        let start = self.pos;
        let end = self.word_end(start);
        let word = self.slice(start, end);
        let value = match word {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => {
                let lower = word.to_ascii_lowercase();
                let help = if matches!(lower.as_str(), "true" | "false" | "null") {
                    format!("JSON writes `{lower}` in lower case")
                } else if self.bytes.get(start) == Some(&b'\'') {
                    "JSON strings use double quotes (`\"`), not single quotes".to_string()
                } else if word.is_empty() {
                    "a value is a string in double quotes, a number, a list `[…]`, a map `{…}`, `true`, `false` or `null`".to_string()
                } else {
                    format!("write text as a string in double quotes: `\"{word}\"`")
                };
                let (found, span) = if word.is_empty() {
                    (self.found(), self.here())
                } else {
                    (format!("`{word}`"), Span::new(start as u32, end as u32))
                };
                return Err(LoadError::new(
                    "json::syntax",
                    format!("expected a value, found {found}"),
                    Some(span),
                )
                .with_help(help));
            }
        };
        self.pos = end;
        Ok(Node::new(value, Span::new(start as u32, end as u32)))
    }

    /// End of the run of letters, digits and `_ - + .` starting at `at` (at most 40 bytes).
    fn word_end(&self, at: usize) -> usize {
        let mut i = at;
        while i < at + 40
            && self
                .bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || b"_-+.".contains(b))
        {
            i += 1;
        }
        i
    }

    /// The text between two offsets (both on character boundaries by construction).
    fn slice(&self, from: usize, to: usize) -> &str {
        // INVARIANT: callers pass offsets of ASCII bytes or the end of a character.
        self.text.get(from..to).unwrap_or_default()
    }

    /// Offset just after the character that starts at `at`.
    fn char_end(&self, at: usize) -> usize {
        let len = self
            .text
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        at + len
    }

    /// The span of the character under the cursor (empty at the end of the file).
    fn here(&self) -> Span {
        Span::new(self.pos as u32, self.char_end(self.pos) as u32)
    }

    /// The character under the cursor, in words.
    fn found(&self) -> String {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            None => "the end of the file".to_string(),
            Some('\n' | '\r') => "a line break".to_string(),
            Some('`') => "a backquote".to_string(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    fn error(&self, message: impl Into<String>, span: Span, help: &str) -> LoadError {
        LoadError::new("json::syntax", message, Some(span)).with_help(help)
    }

    /// The file ends where `expected` should be; names the collection left open.
    fn unexpected_end(&self, expected: &str) -> LoadError {
        let at = Span::at(self.bytes.len() as u32);
        let Some(open) = self.tree.top() else {
            return self.error(
                format!("unexpected end of the file: expected {expected}"),
                at,
                "the file is cut short; complete the template",
            );
        };
        let (what, close) = if open.is_map() {
            ("map", '}')
        } else {
            ("list", ']')
        };
        let opened = Span::new(open.start(), open.start() + 1);
        let pos = self.source.position(open.start());
        self.error(
            format!(
                "unexpected end of the file: expected {expected}; the {what} opened at line {}, column {} is never closed",
                pos.line, pos.column
            ),
            at,
            &format!("close the {what} with `{close}` (and every list and map opened inside it)"),
        )
        .with_related(opened, format!("this {what} is never closed"))
    }
}

#[cfg(test)]
mod tests;
