//! `--param-override NAME=JSON`: replacing a `param`'s value without editing its file.
//! The new value must have the type of the declared one.

use std::sync::Arc;

use super::ir::Lit;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};

/// One override from the command line or the configuration file.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamOverride {
    /// The param's name.
    pub name: String,
    /// The new value.
    pub value: serde_json::Value,
    /// Where it was written, when that is a file (the configuration file) rather than the
    /// command line.
    pub origin: Option<OverrideOrigin>,
    /// True when no loaded policy declaring the param is no error: a configuration file's
    /// value for a param of the bundled library, in a run without it.
    pub optional: bool,
}

/// The place in a file where an override was written.
#[derive(Clone, Debug)]
pub struct OverrideOrigin {
    /// The file.
    pub file: Arc<SourceFile>,
    /// The param's name in it.
    pub span: Span,
}

impl PartialEq for OverrideOrigin {
    fn eq(&self, other: &Self) -> bool {
        self.file.name() == other.file.name() && self.span == other.span
    }
}

impl ParamOverride {
    /// Parses `NAME=JSON`. A value that is not JSON is taken as a string, so
    /// `name_pattern=^app-` works without quotes.
    pub fn parse(text: &str) -> Result<ParamOverride, String> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!("`{text}` is not `NAME=VALUE`"));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("`{text}` has no param name before `=`"));
        }
        let value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        Ok(ParamOverride {
            optional: false,
            name: name.to_string(),
            value,
            origin: None,
        })
    }
}

/// The override's value as a literal of the declared value's type.
pub(super) fn convert(declared: &Lit, value: &serde_json::Value) -> Result<Lit, String> {
    use serde_json::Value as J;
    match (declared, value) {
        (Lit::Null, _) => json_to_lit(value),
        (Lit::Bool(_), J::Bool(b)) => Ok(Lit::Bool(*b)),
        (Lit::Int(_), J::Number(n)) => n
            .as_i64()
            .map(Lit::Int)
            .ok_or_else(|| "expected an integer".to_string()),
        (Lit::Float(_), J::Number(n)) => n
            .as_f64()
            .map(Lit::Float)
            .ok_or_else(|| "expected a number".to_string()),
        (Lit::String(_), J::String(s)) => Ok(Lit::String(s.clone())),
        // The pattern alone, or written as in a policy (`/^app-/`).
        (Lit::Regex(_), J::String(s)) => regex::Regex::new(
            s.strip_prefix('/')
                .and_then(|p| p.strip_suffix('/'))
                .unwrap_or(s),
        )
        .map(|r| Lit::Regex(Arc::new(r)))
        .map_err(|e| {
            format!(
                "invalid regex: {}",
                e.to_string().lines().last().unwrap_or("").trim()
            )
        }),
        (Lit::Cidr(_), J::String(s)) => cidr(s),
        (Lit::List(items), J::Array(values)) => {
            let Some(template) = items.first() else {
                return values
                    .iter()
                    .map(json_to_lit)
                    .collect::<Result<_, _>>()
                    .map(Lit::List);
            };
            // A list of ports may mix ports and ranges written as "a-b".
            let ports = is_port_list(items);
            values
                .iter()
                .map(|v| {
                    if ports {
                        port_item(v)
                    } else {
                        convert(template, v)
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Lit::List)
        }
        (Lit::Range(_), J::String(s)) => port_item(&J::String(s.clone())),
        (declared, _) => Err(format!(
            "expected {}",
            super::lower::describe_type(declared)
        )),
    }
}

fn cidr(s: &str) -> Result<Lit, String> {
    let net: ipnet::IpNet = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a CIDR"))?;
    if net.trunc() != net {
        return Err(format!("`{s}` has host bits set; write `{}`", net.trunc()));
    }
    Ok(Lit::Cidr(net))
}

/// The ports, 0 to 65535.
const PORTS: std::ops::RangeInclusive<i64> = 0..=65535;

/// True for a declared list of ports: each item a port or a range of ports (`[22, 3389]`,
/// `[80, r[8000, 8080]]`). Its overrides must be ports too. A list of other numbers (account
/// ids, counts) is a list of ints.
fn is_port_list(items: &[Lit]) -> bool {
    let port = |x: f64| x.fract() == 0.0 && (0.0..=65535.0).contains(&x);
    !items.is_empty()
        && items.iter().all(|item| match item {
            Lit::Int(n) => PORTS.contains(n),
            Lit::Range(r) => port(r.low) && port(r.high),
            _ => false,
        })
}

/// A port (`22`) or a port range (`"8000-8080"`).
fn port_item(v: &serde_json::Value) -> Result<Lit, String> {
    match v {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(port) if PORTS.contains(&port) => Ok(Lit::Int(port)),
            _ => Err(format!(
                "`{n}` is not a port (ports are whole numbers from 0 to 65535)"
            )),
        },
        serde_json::Value::String(s) => {
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                (Ok(a), Ok(b)) if a <= b => Ok(Lit::Range(crate::syntax::ast::Range {
                    low: f64::from(a),
                    low_inclusive: true,
                    high: f64::from(b),
                    high_inclusive: true,
                })),
                _ => Err(format!(
                    "`{s}` is not a port or a port range like `8000-8080`"
                )),
            }
        }
        _ => Err("expected a port number".to_string()),
    }
}

fn json_to_lit(value: &serde_json::Value) -> Result<Lit, String> {
    use serde_json::Value as J;
    Ok(match value {
        J::Null => Lit::Null,
        J::Bool(b) => Lit::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Lit::Int(i),
            None => Lit::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => match s.parse::<ipnet::IpNet>() {
            Ok(_) => cidr(s)?,
            Err(_) => Lit::String(s.clone()),
        },
        J::Array(items) => Lit::List(items.iter().map(json_to_lit).collect::<Result<_, _>>()?),
        J::Object(map) => Lit::Map(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), json_to_lit(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// An override whose value does not have the declared type: shown where the override is
/// written when that is a file (the configuration file), else at the param's declaration.
pub(super) fn wrong_type(
    o: &ParamOverride,
    declared: &Lit,
    file: &Arc<SourceFile>,
    name: Span,
    why: &str,
) -> Diagnostic {
    let message = format!(
        "cannot override param `{}` with `{}`: {why}",
        o.name, o.value
    );
    let kind = describe_declared(declared);
    match &o.origin {
        Some(origin) => {
            Diagnostic::error(Code::InvalidOverride, &origin.file, origin.span, message)
                .with_label(format!(
                    "declared in {}:{} as {kind}",
                    file.name(),
                    file.position(name.start)
                ))
                .with_help(format!(
                    "give a value of the same type, e.g. `{} = {}`",
                    o.name,
                    toml_example(declared)
                ))
        }
        None => Diagnostic::error(Code::InvalidOverride, file, name, message)
            .with_label(format!("declared here as {kind}"))
            .with_help(format!(
                "give a value of the same type, e.g. --param-override {}={}",
                o.name,
                example(declared)
            )),
    }
}

/// [`example`] as a TOML value, for the configuration file: text is quoted there.
fn toml_example(declared: &Lit) -> String {
    let value = example(declared);
    if value.starts_with('[') || value.parse::<f64>().is_ok() || value == "true" {
        value.replace(',', ", ")
    } else {
        format!("\"{value}\"")
    }
}

/// The declared value's type in words, for messages: a list of ports is named as such.
fn describe_declared(declared: &Lit) -> String {
    match declared {
        Lit::List(items) if is_port_list(items) => "a list of ports".to_string(),
        other => super::lower::describe_type(other),
    }
}

/// A value of the declared type, as JSON, for help texts.
pub(super) fn example(declared: &Lit) -> String {
    match declared {
        Lit::List(items) if is_port_list(items) => "[22,3389]".to_string(),
        Lit::List(items) => match items.first() {
            Some(Lit::Int(_)) | Some(Lit::Range(_)) => "[1,2]".to_string(),
            Some(Lit::Cidr(_)) => r#"["10.0.0.0/8"]"#.to_string(),
            _ => r#"["a","b"]"#.to_string(),
        },
        Lit::Int(_) => "16".to_string(),
        Lit::Float(_) => "0.5".to_string(),
        Lit::Bool(_) => "true".to_string(),
        Lit::Cidr(_) => "10.0.0.0/8".to_string(),
        _ => "text".to_string(),
    }
}

/// An override that names no param is an error: it would silently do nothing.
pub(super) fn report_unused(
    overrides: &[ParamOverride],
    used: &[bool],
    params: &[String],
    diags: &mut Diagnostics,
) {
    for (o, used) in overrides.iter().zip(used) {
        if *used || o.optional {
            continue;
        }
        let (file, span) = match &o.origin {
            Some(origin) => (Arc::clone(&origin.file), origin.span),
            None => {
                let text = format!("--param-override {}={}", o.name, o.value);
                let start = "--param-override ".len() as u32;
                (
                    Arc::new(SourceFile::new("<command line>", text)),
                    Span::new(start, start + o.name.len() as u32),
                )
            }
        };
        diags.push(
            Diagnostic::error(
                Code::InvalidOverride,
                &file,
                span,
                format!("no loaded policy declares a param `{}`", o.name),
            )
            .with_label("unknown param")
            .with_help(format!(
                "{}; a param is declared in a policy file with `param NAME = value`",
                super::scope::suggest(&o.name, params, "declared params", "")
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_json_or_text() {
        let o = ParamOverride::parse("ports=[22, 80]").unwrap();
        assert_eq!(o.name, "ports");
        assert_eq!(o.value, serde_json::json!([22, 80]));
        let o = ParamOverride::parse("pattern=^app-").unwrap();
        assert_eq!(o.value, serde_json::json!("^app-"));
        assert!(ParamOverride::parse("novalue").is_err());
        assert!(ParamOverride::parse("=1").is_err());
    }

    #[test]
    fn converts_to_the_declared_type() {
        let ports = Lit::List(vec![Lit::Int(22)]);
        let v = convert(&ports, &serde_json::json!([80, "8000-8080"])).unwrap();
        assert_eq!(v.to_string(), "[80, r[8000, 8080]]");
        assert!(convert(&ports, &serde_json::json!("22")).is_err());
        assert!(convert(&Lit::Int(16), &serde_json::json!("x")).is_err());
        let nets = Lit::List(vec![Lit::Cidr("10.0.0.0/8".parse().unwrap())]);
        assert!(convert(&nets, &serde_json::json!(["10.0.0.1/8"])).is_err());
        assert!(convert(&nets, &serde_json::json!(["192.168.0.0/16"])).is_ok());
        // A pattern is taken with or without the slashes a policy writes around it.
        let pattern = Lit::Regex(Arc::new(regex::Regex::new(".+").unwrap()));
        for written in ["^app-[a-z]+$", "/^app-[a-z]+$/"] {
            let Lit::Regex(r) = convert(&pattern, &serde_json::json!(written)).unwrap() else {
                panic!("not a regex");
            };
            assert!(
                r.is_match("app-web") && !r.is_match("/app-web/"),
                "{written}"
            );
        }
    }

    #[test]
    fn a_list_of_ports_takes_only_ports() {
        let ports = Lit::List(vec![Lit::Int(22), Lit::Int(3389)]);
        for bad in [
            serde_json::json!([70000]),
            serde_json::json!([22, -1]),
            serde_json::json!([22.5]),
            serde_json::json!(["70000"]),
            serde_json::json!(["8080-80"]),
            serde_json::json!(["1-65536"]),
        ] {
            assert!(convert(&ports, &bad).is_err(), "{bad} was taken");
        }
        let e = convert(&ports, &serde_json::json!([22, 70000])).unwrap_err();
        assert_eq!(
            e,
            "`70000` is not a port (ports are whole numbers from 0 to 65535)"
        );
        let v = convert(&ports, &serde_json::json!([0, 65535, "1-65535"])).unwrap();
        assert_eq!(v.to_string(), "[0, 65535, r[1, 65535]]");
        // Numbers that are not all ports make a list of ints, which takes any int.
        let ids = Lit::List(vec![Lit::Int(123_456_789_012)]);
        let v = convert(&ids, &serde_json::json!([210_987_654_321_i64, 7])).unwrap();
        assert_eq!(v.to_string(), "[210987654321, 7]");
        assert!(convert(&ids, &serde_json::json!(["8000-8080"])).is_err());
    }
}
