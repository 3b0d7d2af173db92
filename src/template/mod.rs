//! Templates in: bytes → text → [`Node`] tree with positions.
//!
//! First stage of the template side of the pipeline (`template → model → eval`). Loading never
//! panics: every problem is a [`LoadError`] with a stable code and, where there is one, the
//! position of the problem.

pub mod value;
mod yaml;

use std::path::Path;
use std::sync::Arc;

use crate::source::{MAX_SOURCE_LEN, SourceFile, Span};
pub use value::{Entry, Map, Node, PortRange, Str, Unknown, UnknownHint, Value};

/// Deepest nesting of lists and maps a template may have.
pub const MAX_DEPTH: usize = 256;

/// Most values a template may expand to (aliases count every value they copy).
pub const MAX_NODES: usize = 20_000_000;

/// A loaded template: its source and its value tree.
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
}

/// Turns raw bytes into a source file: UTF-8 only (a UTF-8 byte-order mark is allowed).
pub fn decode(name: impl Into<String>, bytes: Vec<u8>) -> Result<Arc<SourceFile>, LoadError> {
    if bytes.len() > MAX_SOURCE_LEN {
        return Err(LoadError::new(
            "input::too-large",
            format!("the file is larger than {MAX_SOURCE_LEN} bytes"),
            None,
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(LoadError::new(
            "input::not-utf8",
            "the file is UTF-16; palisade reads UTF-8 templates",
            Some(Span::at(0)),
        )
        .with_help("convert the file to UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Arc::new(SourceFile::new(name, text))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to() as u32;
            let bytes = e.into_bytes();
            // Position the error with the valid prefix as text.
            let prefix =
                String::from_utf8_lossy(bytes.get(..at as usize).unwrap_or_default()).into_owned();
            let prefix_file = SourceFile::new("", prefix);
            let pos = prefix_file.position(at);
            Err(LoadError::new(
                "input::not-utf8",
                format!(
                    "the file is not valid UTF-8 (byte {at}, line {}, column {})",
                    pos.line, pos.column
                ),
                None,
            )
            .with_help("CloudFormation templates are UTF-8 text; re-save the file as UTF-8"))
        }
    }
}

/// Reads a file from disk into a source file named `name`.
pub fn read_file(path: &Path, name: impl Into<String>) -> Result<Arc<SourceFile>, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| {
        LoadError::new(
            "input::unreadable",
            format!("cannot read `{}`: {}", path.display(), io_reason(&e)),
            None,
        )
        .with_help("check the path and its permissions")
    })?;
    decode(name, bytes)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// Parses a source file as a template (YAML or JSON).
pub fn parse(source: Arc<SourceFile>) -> Result<Template, LoadError> {
    if source
        .text()
        .trim_start_matches('\u{feff}')
        .trim()
        .is_empty()
    {
        return Err(LoadError::new("input::empty", "the file is empty", None)
            .with_help("a CloudFormation template needs at least a `Resources` section"));
    }
    let root = yaml::parse(&source)?;
    Ok(Template { source, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Template, LoadError> {
        parse(Arc::new(SourceFile::new("t.yaml", text)))
    }

    #[test]
    fn short_tags_become_long_forms() {
        let t =
            load("A: !Ref X\nB: !GetAtt Sg.GroupId\nC: !Sub '${X}'\nD: !Cidr [a, 1, 2]\n").unwrap();
        let json = serde_json::to_string(&t.root).unwrap();
        assert_eq!(
            json,
            r#"{"A":{"Ref":"X"},"B":{"Fn::GetAtt":["Sg","GroupId"]},"C":{"Fn::Sub":"${X}"},"D":{"Fn::Cidr":["a",1,2]}}"#
        );
    }

    #[test]
    fn duplicate_keys_name_both_positions() {
        let e = load("Resources:\n  A: 1\n  A: 2\n").unwrap_err();
        assert_eq!(e.code, "yaml::duplicate-key");
        let f = SourceFile::new("t", "Resources:\n  A: 1\n  A: 2\n");
        assert_eq!(f.position(e.span.unwrap().start).line, 3);
        assert_eq!(f.position(e.related.unwrap().0.start).line, 2);
    }

    #[test]
    fn quoted_numbers_stay_strings_and_plain_ones_are_numbers() {
        let t = load("a: '22'\nb: 22\nc: -1\nd: 1.5\ne: 0.0.0.0/0\nf: ~\n").unwrap();
        let json = serde_json::to_string(&t.root).unwrap();
        assert_eq!(
            json,
            r#"{"a":"22","b":22,"c":-1,"d":1.5,"e":"0.0.0.0/0","f":null}"#
        );
    }

    #[test]
    fn json_loads_through_the_same_path() {
        let t = load("{\"Resources\": {\"S\": {\"Type\": \"AWS::EC2::SecurityGroup\"}}}").unwrap();
        assert!(t.is_cloudformation());
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let e = decode("x", vec![b'a', b':', b' ', 0xff]).unwrap_err();
        assert_eq!(e.code, "input::not-utf8");
    }
}
