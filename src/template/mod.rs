//! Templates in: bytes → text → [`Node`] tree with positions.
//!
//! First stage of the template side of the pipeline (`template → model → eval`). The format
//! comes from the content, not the file name: JSON when the first character after any
//! byte-order mark and whitespace is `{` or `[`, YAML otherwise. A file that looks like JSON
//! but is not valid JSON is read again as YAML (which accepts JSON with trailing commas,
//! comments or unquoted keys, as CloudFormation and Guard do); if that fails too, the JSON
//! error is reported. Loading never panics: every problem is a [`LoadError`] with a stable
//! code and, where there is one, the position of the problem.
//!
//! Error codes: `input::unreadable`, `input::too-large`, `input::not-utf8`, `input::binary`,
//! `input::empty`, `input::too-deep`, `input::internal`; `json::syntax`,
//! `json::duplicate-key`; `yaml::syntax`, `yaml::control-character`, `yaml::duplicate-key`,
//! `yaml::complex-key`, `yaml::unknown-alias`, `yaml::invalid-merge`, `yaml::too-large`,
//! `yaml::multiple-documents`, `yaml::internal`; `template::too-large` and
//! `template::duplicate-key` (loops, see `foreach`); `template::not-cloudformation` (from
//! [`LoadError::not_cloudformation`]); `template::invalid-resource` (from
//! [`Template::check_resources`]).
//!
//! After loading, what CloudFormation and its transforms would do before a deploy is applied
//! to the tree: `Fn::ForEach` loops are expanded (`foreach`), SAM's `Globals.Function` goes into
//! the functions (`sam`), and `Fn::If` between maps is spread over their keys (`conditional`).

mod conditional;
mod foreach;
mod json;
mod map;
mod record;
mod resources;
mod sam;
mod scalar;
mod tags;
mod tree;
pub mod value;
mod yaml;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::source::{MAX_SOURCE_LEN, Position, SourceFile, Span};
pub use value::{
    Entries, Entry, EntryRef, Map, Node, PortRange, Shape, Str, Unknown, UnknownHint, Value,
};

/// Deepest nesting of lists and maps a template may have. A short tag counts as the map it
/// becomes (`!If [...]` is two levels), so no loaded tree is ever deeper than this.
pub const MAX_DEPTH: usize = 256;

/// Most values a YAML document may hold, counting every value an alias copies and every
/// anchored value kept for copying, and a string as one value per 32 bytes of its text, unless
/// the document is larger than this many bytes (then one value per byte). CloudFormation
/// accepts at most 1 MB of template text, which cannot hold this many values; the bound stops
/// alias bombs (`billion laughs`, or a long string copied by many aliases) early.
pub const MAX_NODES: usize = 1_000_000;

/// Bytes of string that count as one more value: a value's own size in the tree.
const BYTES_PER_VALUE: usize = 32;

/// What a scalar of `text` costs of the budget: one value, and one more for every
/// [`BYTES_PER_VALUE`] bytes of its text, so that aliases of a long string are bounded by the
/// memory their copies take, not only by their number. Written out, a scalar costs no more
/// than the bytes it takes in the file.
fn cost(text: &str) -> usize {
    1 + text.len() / BYTES_PER_VALUE
}

/// The cost of a copy of `node` against [`MAX_NODES`] (values, long strings counting as several;
/// see [`cost`]) and its levels of lists and maps, without recursion. With `keys`, long map keys
/// count as well, for copies that make new keys (loops do; an alias shares its keys).
fn measure(node: &Node, keys: bool) -> (usize, usize) {
    let mut count = 0usize;
    let mut height = 0usize;
    let mut todo = vec![(node, 0usize)];
    while let Some((n, depth)) = todo.pop() {
        count = count.saturating_add(match &n.value {
            Value::String(s) => cost(s),
            _ => 1,
        });
        match &n.value {
            Value::List(items) => {
                height = height.max(depth + 1);
                todo.extend(items.iter().map(|i| (i, depth + 1)));
            }
            Value::Map(m) => {
                height = height.max(depth + 1);
                for e in m.entries() {
                    if keys {
                        count = count.saturating_add(cost(e.key) - 1);
                    }
                    todo.push((e.value, depth + 1));
                }
            }
            _ => {}
        }
    }
    (count, height)
}

/// A loaded template: its source and its value tree.
///
/// Any well-formed document loads, whatever its top level (a parameters file is a list, for
/// instance); [`Template::is_cloudformation`] tells whether it is a CloudFormation template.
#[derive(Debug)]
pub struct Template {
    /// The file it came from.
    pub source: Arc<SourceFile>,
    /// The document's root value; short tags are already in their long forms.
    pub root: Node,
}

impl Template {
    /// True when the root is a map with a `Resources` map: what CloudFormation requires.
    pub fn is_cloudformation(&self) -> bool {
        self.root
            .get("Resources")
            .is_some_and(|r| matches!(r.value, Value::Map(_)))
    }

    /// The `Resources` map, if any.
    pub fn resources(&self) -> Option<&Map> {
        self.root.get("Resources").and_then(Node::as_map)
    }

    /// `Ok` for a CloudFormation template, else [`LoadError::not_cloudformation`].
    pub fn check_cloudformation(&self) -> Result<(), LoadError> {
        if self.is_cloudformation() {
            Ok(())
        } else {
            Err(LoadError::not_cloudformation(self))
        }
    }

    /// `Ok` when every resource is a map with a `Type` naming a type, properties that are a
    /// map, and a `Condition` the template defines, as CloudFormation requires; else
    /// `template::invalid-resource` at the first that is not (see `resources`).
    pub fn check_resources(&self) -> Result<(), LoadError> {
        let conditions = self.root.get("Conditions").and_then(Node::as_map);
        self.resources()
            .map_or(Ok(()), |r| resources::check(r, conditions))
    }
}

/// Why a template could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    /// Stable code, e.g. `yaml::duplicate-key`.
    pub code: &'static str,
    /// What went wrong, in words.
    pub message: String,
    /// Where, if the problem has a position in the file.
    pub span: Option<Span>,
    /// What to do about it.
    pub help: Option<String>,
    /// A second position that explains the first (e.g. the first of two duplicate keys).
    pub related: Option<(Span, String)>,
}

impl LoadError {
    /// An error with a code, a message and an optional position.
    pub fn new(code: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        LoadError {
            code,
            message: message.into(),
            span,
            help: None,
            related: None,
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related position with a label.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related = Some((span, label.into()));
        self
    }

    /// `template::not-cloudformation`: the file loaded but is not a CloudFormation template
    /// (its top level is not a map, or it has no `Resources` map). The command line reports
    /// this for a file it was given by name; a file met while walking a folder is skipped.
    pub fn not_cloudformation(template: &Template) -> Self {
        let root = &template.root;
        let (what, span) = match (&root.value, root.get("Resources")) {
            (Value::Map(_), None) => ("it has no `Resources` section".to_string(), None),
            (Value::Map(_), Some(resources)) => (
                format!("`Resources` is {}, not a map", described(&resources.value)),
                Some(resources.span),
            ),
            (value, _) => (
                format!("its top level is {}, not a map", described(value)),
                Some(Span::at(root.span.start)),
            ),
        };
        LoadError::new(
            "template::not-cloudformation",
            format!("not a CloudFormation template: {what}"),
            span,
        )
        .with_help("a template is a map with a `Resources:` map of resources; name only CloudFormation templates, or pass the folder that holds them")
    }

    /// The 1-based line and column of the error in `source`, if it has a position.
    pub fn position(&self, source: &SourceFile) -> Option<Position> {
        self.span.map(|s| source.position(s.start))
    }
}

/// A value's kind with an article, for messages.
fn described(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Ports(_) | Value::Unknown(_) | Value::Shared(_) => "a computed value",
    }
}

/// `key` as one reference token of a JSON pointer (RFC 6901): `~` becomes `~0` and `/`
/// becomes `~1`. Most keys have neither and are returned as they are.
pub fn pointer_token(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        std::borrow::Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// Turns raw bytes into a source file: UTF-8 only (a UTF-8 byte-order mark is allowed).
pub fn decode(name: impl Into<String>, bytes: Vec<u8>) -> Result<Arc<SourceFile>, LoadError> {
    if bytes.len() > MAX_SOURCE_LEN.min(MAX_INPUT_LEN) {
        return Err(too_large());
    }
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(LoadError::new(
            "input::not-utf8",
            "the file is UTF-32 (it starts with a UTF-32 byte-order mark); palisade reads UTF-8",
            None,
        )
        .with_help("convert the file to UTF-8, e.g. `iconv -f UTF-32 -t UTF-8`"));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(LoadError::new(
            "input::not-utf8",
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); palisade reads UTF-8",
            None,
        )
        .with_help("convert the file to UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Arc::new(SourceFile::new(name, text))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let bad = bytes.get(at).copied().unwrap_or_default();
            // The valid prefix is text: position the bad byte in it.
            let prefix = String::from_utf8_lossy(bytes.get(..at).unwrap_or_default());
            let pos = SourceFile::new("", prefix.into_owned()).position(at as u32);
            Err(LoadError::new(
                "input::not-utf8",
                format!(
                    "the file is not valid UTF-8: byte 0x{bad:02X} at line {}, column {} (byte offset {at}) is not part of a UTF-8 character",
                    pos.line, pos.column
                ),
                None,
            )
            .with_help("CloudFormation templates are UTF-8 text; re-save the file as UTF-8, e.g. `iconv -f LATIN1 -t UTF-8`"))
        }
    }
}

/// The largest input palisade reads: 1 GiB, a thousand times what CloudFormation accepts and
/// some 850,000 security groups, yet small enough that a stream that never ends (`yes |`, a
/// device) is refused before it takes the machine's memory.
pub const MAX_INPUT_LEN: usize = 1 << 30;

/// Bytes read at a time from a file or stream, each batch checked for a NUL byte.
const READ_CHUNK: u64 = 1 << 20;

/// Reads a file from disk into a source file named `name`. A FIFO or device is read as a stream
/// (see [`read_stream`]); a regular file larger than [`MAX_INPUT_LEN`] is refused unread.
pub fn read_file(path: &Path, name: impl Into<String>) -> Result<Arc<SourceFile>, LoadError> {
    let unreadable = |e: std::io::Error| {
        LoadError::new(
            "input::unreadable",
            format!("cannot read `{}`: {}", path.display(), io_reason(&e)),
            None,
        )
        .with_help("check the path and its permissions")
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if meta.is_dir() {
        return Err(unreadable(std::io::ErrorKind::IsADirectory.into()));
    }
    let size = if meta.is_file() {
        usize::try_from(meta.len()).unwrap_or(usize::MAX)
    } else {
        0
    };
    if size > MAX_INPUT_LEN {
        return Err(too_large());
    }
    let bytes =
        read_bytes(file, size, MAX_INPUT_LEN).map_err(|e| e.map_or_else(too_large, unreadable))?;
    decode(name, bytes)
}

/// Reads a stream (standard input, a pipe) to its end into a source file named `name`.
/// Reading stops early at the first batch that holds a NUL byte, since the input is then not
/// text (the error says where), and past [`MAX_INPUT_LEN`] bytes, so that no input, not even
/// `/dev/zero`, is read for ever.
pub fn read_stream(
    name: impl Into<String>,
    reader: impl Read,
) -> Result<Arc<SourceFile>, LoadError> {
    let bytes = read_bytes(reader, 0, MAX_INPUT_LEN).map_err(|e| {
        e.map_or_else(too_large, |e| {
            LoadError::new(
                "input::unreadable",
                format!("cannot read standard input: {}", io_reason(&e)),
                None,
            )
            .with_help("check the command that feeds palisade")
        })
    })?;
    decode(name, bytes)
}

/// The bytes of `reader` (of `size` bytes when known) up to its end, or up to and including the
/// first NUL byte. `Err(None)` when there are more than `limit`.
fn read_bytes(
    mut reader: impl Read,
    size: usize,
    limit: usize,
) -> Result<Vec<u8>, Option<std::io::Error>> {
    let mut bytes = Vec::new();
    // One byte more than the size, so that reading to the end does not grow the buffer.
    bytes
        .try_reserve_exact(size.saturating_add(1))
        .map_err(|_| None)?;
    loop {
        let start = bytes.len();
        let read = (&mut reader)
            .take(READ_CHUNK)
            .read_to_end(&mut bytes)
            .map_err(Some)?;
        let batch = bytes.get(start..).unwrap_or_default();
        if batch.contains(&0) {
            let nul = batch.iter().position(|&b| b == 0).unwrap_or_default();
            bytes.truncate(start + nul + 1);
            return Ok(bytes);
        }
        if bytes.len() > limit {
            return Err(None);
        }
        if read == 0 {
            return Ok(bytes);
        }
    }
}

fn too_large() -> LoadError {
    LoadError::new(
        "input::too-large",
        format!("the input is larger than {MAX_INPUT_LEN} bytes (1 GiB), the most palisade reads"),
        None,
    )
    .with_help("CloudFormation accepts templates of at most 1 MB; check that this is a template")
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// Parses a source file (YAML or JSON, from its content) into a template. Any well-formed
/// document loads; see [`Template::check_cloudformation`].
pub fn parse(source: Arc<SourceFile>) -> Result<Template, LoadError> {
    let root = foreach::expand(parse_root(&source)?, source.text())?;
    let root = sam::apply_globals(root);
    let root = conditional::spread(root, source.text());
    Ok(Template { source, root })
}

fn parse_root(source: &SourceFile) -> Result<Node, LoadError> {
    let text = source.text();
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim().is_empty() {
        let what = if body.is_empty() {
            "the file is empty"
        } else {
            "the file holds only whitespace"
        };
        return Err(empty(what));
    }
    if let Some(at) = text.find('\0') {
        return Err(LoadError::new(
            "input::binary",
            "the file holds a NUL byte, so it is not a text file",
            Some(Span::new(at as u32, at as u32 + 1)),
        )
        .with_help("templates are UTF-8 text; a UTF-16 or UTF-32 file without a byte-order mark also looks like this: convert it to UTF-8"));
    }
    if looks_like_json(body) {
        return match json::parse(source) {
            Err(e) if e.code == "json::syntax" => match yaml::parse(source) {
                Ok(Some(root)) => Ok(root),
                _ => Err(e),
            },
            other => other,
        };
    }
    yaml::parse(source)?.ok_or_else(|| empty("the file holds only comments"))
}

/// True when the first character that is not JSON whitespace is `{` or `[`.
fn looks_like_json(body: &str) -> bool {
    body.trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with(['{', '['])
}

fn empty(what: &str) -> LoadError {
    LoadError::new("input::empty", what, None)
        .with_help("a CloudFormation template needs at least a `Resources:` section")
}

#[cfg(test)]
mod tests;
