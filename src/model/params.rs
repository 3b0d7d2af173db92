//! Parameter values: the ones a user supplies (`--parameters FILE`, `--param K=V`) and the
//! candidates a template allows for the others.
//!
//! A parameter that is not supplied can take its `Default` and every `AllowedValues` entry
//! (worst case: all of them are possible). Without `AllowedValues` any text is possible, so the
//! literals a condition compares the parameter with are candidates too: that is how both
//! branches of `!Equals [!Ref Stage, prod]` stay reachable when `Stage` defaults to `dev`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::hash::HashMap;
use crate::source::{Position, SourceFile, Span};
use crate::template::{self, Node, Str, Unknown, Value};

/// A value given for a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Supplied {
    /// Text, as CloudFormation receives it (lists are comma-separated).
    Text(String),
    /// A list written as a YAML/JSON list in a plain parameters map.
    List(Vec<String>),
}

/// Parameter values supplied by the user, by parameter name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parameters {
    values: BTreeMap<String, Supplied>,
}

/// Why supplied parameter values could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamsError {
    /// Stable code, e.g. `params::bad-entry`.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// The file it is about, if any (a `--param` error has none).
    pub file: Option<String>,
    /// Where in that file.
    pub position: Option<Position>,
    /// What to do about it.
    pub help: Option<String>,
}

impl ParamsError {
    fn at(source: &SourceFile, span: Option<Span>, code: &'static str, message: String) -> Self {
        ParamsError {
            code,
            message,
            file: Some(source.name().to_string()),
            position: span.map(|s| source.position(s.start)),
            help: None,
        }
    }

    fn help(mut self, help: &str) -> Self {
        self.help = Some(help.to_string());
        self
    }
}

const FILE_HELP: &str = "write either the list `aws cloudformation deploy` reads, \
`[{\"ParameterKey\": \"Name\", \"ParameterValue\": \"value\"}]`, or a map `{Name: value}`";

impl Parameters {
    /// No supplied values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) the value of `name`.
    pub fn set(&mut self, name: impl Into<String>, value: Supplied) {
        self.values.insert(name.into(), value);
    }

    /// The supplied value of `name`.
    pub fn get(&self, name: &str) -> Option<&Supplied> {
        self.values.get(name)
    }

    /// True when nothing is supplied.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds every value of `other`, replacing values of the same name.
    pub fn extend(&mut self, other: Parameters) {
        self.values.extend(other.values);
    }

    /// Reads a parameters file from disk.
    pub fn read_file(path: &Path) -> Result<Parameters, ParamsError> {
        let name = path.to_string_lossy().into_owned();
        let source = template::read_file(path, name.clone()).map_err(|e| ParamsError {
            code: e.code,
            message: e.message,
            file: Some(name),
            position: None,
            help: e.help,
        })?;
        Self::parse(source)
    }

    /// Parses parameter values: the JSON list `aws cloudformation deploy` reads
    /// (`[{"ParameterKey": …, "ParameterValue": …}]`), or a plain JSON/YAML map of name to
    /// value (optionally under a top-level `Parameters` key).
    pub fn parse(source: Arc<SourceFile>) -> Result<Parameters, ParamsError> {
        let loaded = template::parse(Arc::clone(&source)).map_err(|e| ParamsError {
            code: e.code,
            message: e.message.clone(),
            file: Some(source.name().to_string()),
            position: e.span.map(|s| source.position(s.start)),
            help: e.help.clone(),
        })?;
        let mut out = Parameters::new();
        let root = match loaded.root.get("Parameters") {
            Some(inner) if loaded.root.as_map().is_some_and(|m| m.len() == 1) => inner,
            _ => &loaded.root,
        };
        match &root.value {
            Value::List(items) => {
                for item in items {
                    let (key, value) = list_entry(&source, item)?;
                    // Two values for one key, as in a map, are an error: which one was meant?
                    if out.get(&key).is_some() {
                        return Err(ParamsError::at(
                            &source,
                            Some(item.span),
                            "params::bad-entry",
                            format!("parameter `{key}` is given twice"),
                        )
                        .help("give each parameter one entry; remove or rename the other"));
                    }
                    out.set(key, value);
                }
            }
            Value::Map(_) => out = Parameters::from_map(&source, root)?,
            _ => {
                return Err(ParamsError::at(
                    &source,
                    Some(root.span),
                    "params::bad-file",
                    format!(
                        "expected a list or a map of parameter values, found a {}",
                        root.value.type_name()
                    ),
                )
                .help(FILE_HELP));
            }
        }
        Ok(out)
    }

    /// Parameter values from a map of name to value (text, a number, a boolean, or a list of
    /// them) written in `source`.
    pub fn from_map(source: &SourceFile, node: &Node) -> Result<Parameters, ParamsError> {
        let Some(map) = node.as_map() else {
            return Err(ParamsError::at(
                source,
                Some(node.span),
                "params::bad-file",
                format!(
                    "expected a map of parameter values, found a {}",
                    node.value.type_name()
                ),
            )
            .help(FILE_HELP));
        };
        let mut out = Parameters::new();
        for (key, value) in map.iter() {
            out.set(key, supplied(source, value)?);
        }
        Ok(out)
    }

    /// Parses one `--param` argument, `Key=Value` (the value may be empty or hold `=`).
    pub fn parse_assignment(text: &str) -> Result<(String, Supplied), ParamsError> {
        match text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_string(), Supplied::Text(value.to_string())))
            }
            _ => Err(ParamsError {
                code: "params::bad-assignment",
                message: format!("`--param {text}` is not of the form `Key=Value`"),
                file: None,
                position: None,
                help: Some(
                    "write the parameter's name, `=`, and its value, e.g. `--param Stage=prod`"
                        .to_string(),
                ),
            }),
        }
    }
}

fn list_entry(source: &SourceFile, item: &Node) -> Result<(String, Supplied), ParamsError> {
    let bad = |message: String| {
        ParamsError::at(source, Some(item.span), "params::bad-entry", message).help(FILE_HELP)
    };
    let Some(map) = item.as_map() else {
        return Err(bad(format!(
            "expected a map with `ParameterKey` and `ParameterValue`, found a {}",
            item.value.type_name()
        )));
    };
    let Some(key) = map.get("ParameterKey").and_then(scalar_text) else {
        return Err(bad("this entry has no `ParameterKey` text".to_string()));
    };
    let Some(value) = map.get("ParameterValue") else {
        return Err(bad(format!("parameter `{key}` has no `ParameterValue`")));
    };
    Ok((key, supplied(source, value)?))
}

fn supplied(source: &SourceFile, value: &Node) -> Result<Supplied, ParamsError> {
    if let Some(text) = scalar_text(value) {
        return Ok(Supplied::Text(text));
    }
    if let Some(items) = value.as_list() {
        if let Some(texts) = items.iter().map(scalar_text).collect::<Option<Vec<_>>>() {
            return Ok(Supplied::List(texts));
        }
    }
    Err(ParamsError::at(
        source,
        Some(value.span),
        "params::bad-value",
        format!(
            "a parameter value must be text, a number or a list of them, not a {}",
            value.value.type_name()
        ),
    )
    .help("CloudFormation parameter values are strings; quote the value"))
}

/// The text CloudFormation would receive for a scalar.
pub(crate) fn scalar_text(node: &Node) -> Option<String> {
    node.scalar_text()
}

/// One value a parameter may take.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Candidate {
    /// Text.
    Text(Str),
    /// A `Number` parameter's value.
    Number(Value),
    /// A list parameter's members.
    List(Vec<Str>),
    /// Not known.
    Unknown(Unknown),
}

/// The values a parameter (or pseudo parameter) may take.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Domain {
    /// True when the user supplied the value: no assumption is recorded for it.
    pub supplied: bool,
    /// The candidates with the value shown for each in the model's `parameters` maps.
    pub candidates: Vec<(Candidate, Value)>,
}

/// Pseudo parameters that are unknown unless supplied.
pub(crate) const PSEUDO: [&str; 7] = [
    "AWS::Region",
    "AWS::AccountId",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NotificationARNs",
];

/// The domains of every parameter the template declares and of the pseudo parameters.
pub(crate) fn domains(
    root: &Node,
    supplied: &Parameters,
    uses: &super::conditions::ConditionUses,
) -> HashMap<Str, Domain> {
    let compared = &uses.compared;
    let mut out = HashMap::default();
    let empty = Vec::new();
    for name in PSEUDO {
        let ptype = if name == "AWS::NotificationARNs" {
            "CommaDelimitedList"
        } else {
            "String"
        };
        let domain = match supplied.get(name) {
            Some(value) => supplied_domain(value, ptype),
            None => {
                let unknown = Unknown::new(format!("`{name}` is only known at deploy time"));
                open_domain(
                    Some(unknown),
                    None,
                    compared.get(name).unwrap_or(&empty),
                    ptype,
                )
            }
        };
        out.insert(Str::from(name), domain);
    }
    let Some(params) = root.get("Parameters").and_then(Node::as_map) else {
        return out;
    };
    for (name, decl) in params.iter() {
        let ptype = decl.get("Type").and_then(Node::as_str).unwrap_or("String");
        let domain = if let Some(value) = supplied.get(name) {
            supplied_domain(value, ptype)
        } else if ptype.starts_with("AWS::SSM::Parameter::Value<") {
            let unknown = Unknown::new(format!(
                "parameter `{name}` is read from Systems Manager (`{ptype}`) at deploy time"
            ));
            Domain {
                supplied: false,
                candidates: vec![(Candidate::Unknown(unknown), Value::Null)],
            }
        } else {
            let default = decl.get("Default").and_then(default_text);
            let allowed = decl.get("AllowedValues").and_then(Node::as_list);
            match allowed {
                Some(allowed) => {
                    let mut texts: Vec<String> = allowed.iter().filter_map(scalar_text).collect();
                    if let Some(d) = default {
                        if !texts.contains(&d) {
                            texts.push(d);
                        }
                    }
                    closed_domain(texts, ptype)
                }
                None => {
                    let unknown = default
                        .is_none()
                        .then(|| Unknown::new(format!("parameter `{name}` has no default")));
                    let mut domain = open_domain(
                        unknown,
                        default.clone(),
                        compared.get(name).unwrap_or(&empty),
                        ptype,
                    );
                    // When the default is one of the literals the conditions compare with, no
                    // candidate would make all those comparisons false; "any other value"
                    // does (`Default: ''` with `!Not [!Equals [!Ref P, '']]` must still reach
                    // the true branch). The same when a condition reads the parameter through
                    // other functions (`!Select [1, !Split [",", !Ref P]]`).
                    if let Some(d) = default {
                        let compared = compared.get(name).unwrap_or(&empty);
                        if compared.iter().any(|c| *c == d) || uses.indirect.contains(name) {
                            let other = Unknown::new(format!(
                                "parameter `{name}` set to a value other than its default `{d}`"
                            ));
                            domain
                                .candidates
                                .push((Candidate::Unknown(other), Value::Null));
                        }
                    }
                    domain
                }
            }
        };
        out.insert(Str::from(name), domain);
    }
    out
}

fn default_text(node: &Node) -> Option<String> {
    scalar_text(node).or_else(|| {
        let items = node.as_list()?;
        let texts: Option<Vec<String>> = items.iter().map(scalar_text).collect();
        Some(texts?.join(","))
    })
}

fn supplied_domain(value: &Supplied, ptype: &str) -> Domain {
    let text = match value {
        Supplied::Text(t) => t.clone(),
        Supplied::List(items) => items.join(","),
    };
    Domain {
        supplied: true,
        candidates: vec![candidate(&text, ptype)],
    }
}

fn closed_domain(texts: Vec<String>, ptype: &str) -> Domain {
    Domain {
        supplied: false,
        candidates: texts.iter().map(|t| candidate(t, ptype)).collect(),
    }
}

fn open_domain(
    unknown: Option<Unknown>,
    default: Option<String>,
    compared: &[Str],
    ptype: &str,
) -> Domain {
    let mut candidates = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    if let Some(u) = unknown {
        candidates.push((Candidate::Unknown(u), Value::Null));
    }
    for text in default
        .into_iter()
        .chain(compared.iter().map(|s| s.to_string()))
    {
        if !seen.contains(&text) {
            candidates.push(candidate(&text, ptype));
            seen.push(text);
        }
    }
    Domain {
        supplied: false,
        candidates,
    }
}

/// True for the parameter types whose value is a list.
pub(crate) fn is_list_type(ptype: &str) -> bool {
    ptype == "CommaDelimitedList" || ptype.starts_with("List<")
}

fn candidate(text: &str, ptype: &str) -> (Candidate, Value) {
    let shown = Value::String(Str::from(text));
    if is_list_type(ptype) {
        let items = text.split(',').map(|s| Str::from(s.trim())).collect();
        return (Candidate::List(items), shown);
    }
    if ptype == "Number" {
        let t = text.trim();
        if let Ok(i) = t.parse::<i64>() {
            return (Candidate::Number(Value::Int(i)), Value::Int(i));
        }
        if let Ok(f) = t.parse::<f64>() {
            return (Candidate::Number(Value::Float(f)), Value::Float(f));
        }
    }
    (Candidate::Text(Str::from(text)), shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Parameters, ParamsError> {
        Parameters::parse(Arc::new(SourceFile::new("p.json", text)))
    }

    #[test]
    fn reads_the_deploy_list_and_plain_maps() {
        let p = parse(r#"[{"ParameterKey": "Stage", "ParameterValue": "prod"}, {"ParameterKey": "Port", "ParameterValue": 22}]"#).unwrap();
        assert_eq!(p.get("Stage"), Some(&Supplied::Text("prod".into())));
        assert_eq!(p.get("Port"), Some(&Supplied::Text("22".into())));
        let m = parse("Stage: dev\nCidrs: [10.0.0.0/8, 0.0.0.0/0]\n").unwrap();
        assert_eq!(m.get("Stage"), Some(&Supplied::Text("dev".into())));
        assert_eq!(
            m.get("Cidrs"),
            Some(&Supplied::List(vec![
                "10.0.0.0/8".into(),
                "0.0.0.0/0".into()
            ]))
        );
        let wrapped = parse(r#"{"Parameters": {"Stage": "qa"}}"#).unwrap();
        assert_eq!(wrapped.get("Stage"), Some(&Supplied::Text("qa".into())));
    }

    #[test]
    fn bad_files_have_positions() {
        let e = parse("[{\"ParameterKey\": \"A\", \"ParameterValue\": \"x\"},\n {\"ParameterKey\": \"A\", \"ParameterValue\": \"y\"}]")
            .unwrap_err();
        assert_eq!(e.message, "parameter `A` is given twice");
        assert_eq!(e.position.map(|p| p.line), Some(2));
        let e = parse("[{\"ParameterKey\": \"A\", \"ParameterValue\": \"x\"},\n {\"Key\": \"B\"}]")
            .unwrap_err();
        assert_eq!(e.code, "params::bad-entry");
        assert_eq!(e.position, Some(Position { line: 2, column: 2 }));
        let e = parse("A: {b: c}\n").unwrap_err();
        assert_eq!(e.code, "params::bad-value");
        assert_eq!(e.position, Some(Position { line: 1, column: 4 }));
        assert_eq!(parse("A: [1\n").unwrap_err().code, "yaml::syntax");
        assert_eq!(parse("just text").unwrap_err().code, "params::bad-file");
    }

    #[test]
    fn assignments_split_at_the_first_equals_sign() {
        assert_eq!(
            Parameters::parse_assignment("Q=a=b").unwrap(),
            ("Q".to_string(), Supplied::Text("a=b".into()))
        );
        assert_eq!(
            Parameters::parse_assignment("AWS::Region=eu-west-1")
                .unwrap()
                .0,
            "AWS::Region"
        );
        assert!(Parameters::parse_assignment("novalue").is_err());
        assert!(Parameters::parse_assignment("=x").is_err());
    }

    #[test]
    fn candidates_follow_the_parameter_type() {
        assert_eq!(
            candidate("a, b", "CommaDelimitedList").0,
            Candidate::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            candidate("22", "Number"),
            (Candidate::Number(Value::Int(22)), Value::Int(22))
        );
        assert_eq!(candidate("22", "String").0, Candidate::Text("22".into()));
    }
}
