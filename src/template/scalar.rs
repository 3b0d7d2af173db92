//! YAML scalars into values: YAML 1.2's core schema for plain scalars, quoted scalars always
//! strings, and the standard `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` tags.
//!
//! The core schema (not YAML 1.1's) means `yes`, `no`, `on`, `off` and dates stay strings,
//! as do `012` (an integer, 12) versus `0o12` (octal). Integers too large for `i64` become
//! floats; floats too large for `f64` become infinity. Neither is an error.

use libyaml_safer::ScalarStyle;

use super::value::{Str, Value};

/// The prefix of the standard YAML tags (`!!str` is `tag:yaml.org,2002:str`).
pub(super) const STANDARD_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// The value of a scalar with text `text`, written in `style`, with `tag` if it has one
/// (CloudFormation tags do not change how the scalar itself is typed).
pub(super) fn value(text: String, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        // The non-specific tag `! 12` asks for a string.
        Some("!") => return Value::String(Str::from(text)),
        Some(tag) => {
            if let Some(name) = tag.strip_prefix(STANDARD_TAG_PREFIX) {
                return standard(name, text);
            }
        }
        None => {}
    }
    if style == ScalarStyle::Plain {
        plain(text)
    } else {
        Value::String(Str::from(text))
    }
}

/// A scalar under a standard tag; text that does not fit the tag stays a string.
fn standard(name: &str, text: String) -> Value {
    let typed = match name {
        "int" => int(&text),
        "float" => float(&text),
        "bool" => bool(&text),
        "null" => null(&text),
        _ => None,
    };
    typed.unwrap_or_else(|| Value::String(Str::from(text)))
}

/// A plain scalar under the core schema.
pub(super) fn plain(text: String) -> Value {
    null(&text)
        .or_else(|| bool(&text))
        .or_else(|| int(&text))
        .or_else(|| float(&text))
        .unwrap_or_else(|| Value::String(Str::from(text)))
}

fn null(text: &str) -> Option<Value> {
    matches!(text, "" | "~" | "null" | "Null" | "NULL").then_some(Value::Null)
}

fn bool(text: &str) -> Option<Value> {
    match text {
        "true" | "True" | "TRUE" => Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => Some(Value::Bool(false)),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
fn int(text: &str) -> Option<Value> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            // Too large for 64 bits: keep the magnitude.
            Err(_) => Value::Float(text.parse::<f64>().ok()?),
        });
    }
    let (radix, digits) = if let Some(hex) = text.strip_prefix("0x") {
        (16, hex)
    } else {
        (8, text.strip_prefix("0o")?)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(digits, radix).ok().map(Value::Int)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` and the `.inf`/`.nan` spellings.
fn float(text: &str) -> Option<Value> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    text.parse::<f64>().ok().map(Value::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_json(text: &str) -> String {
        serde_json::to_string(&plain(text.to_string())).unwrap()
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let cases = [
            ("", "null"),
            ("~", "null"),
            ("NULL", "null"),
            ("true", "true"),
            ("False", "false"),
            ("yes", r#""yes""#),
            ("off", r#""off""#),
            ("22", "22"),
            ("-1", "-1"),
            ("+7", "7"),
            ("012", "12"),
            ("0x1F", "31"),
            ("0o17", "15"),
            ("0x-1", r#""0x-1""#),
            ("0o8", r#""0o8""#),
            ("1.5", "1.5"),
            (".5", "0.5"),
            ("5.", "5.0"),
            ("1e3", "1000.0"),
            ("-2.5E-1", "-0.25"),
            ("1e", r#""1e""#),
            (".", r#"".""#),
            ("1.2.3", r#""1.2.3""#),
            ("0.0.0.0/0", r#""0.0.0.0/0""#),
            ("2010-09-09", r#""2010-09-09""#),
            ("99999999999999999999999999", "1e+26"),
            ("1e999", "null"),
            ("-", r#""-""#),
            ("AWS::EC2::SecurityGroup", r#""AWS::EC2::SecurityGroup""#),
        ];
        for (text, json) in cases {
            assert_eq!(plain_json(text), json, "plain scalar `{text}`");
        }
    }

    #[test]
    fn huge_and_special_floats_keep_their_meaning() {
        assert_eq!(plain("1e999".into()), Value::Float(f64::INFINITY));
        assert_eq!(plain("-.inf".into()), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(plain(".nan".into()), Value::Float(f) if f.is_nan()));
        assert_eq!(
            plain("-99999999999999999999".into()),
            Value::Float(-99999999999999999999.0)
        );
    }

    #[test]
    fn quoted_scalars_are_strings_and_standard_tags_retype() {
        let s = |t: &str| Value::String(t.into());
        let std = |name: &str| format!("{STANDARD_TAG_PREFIX}{name}");
        let cases = [
            ("22", ScalarStyle::SingleQuoted, None, s("22")),
            ("true", ScalarStyle::DoubleQuoted, None, s("true")),
            ("22", ScalarStyle::Plain, Some("!".to_string()), s("22")),
            ("22", ScalarStyle::Plain, Some(std("str")), s("22")),
            (
                "22",
                ScalarStyle::SingleQuoted,
                Some(std("int")),
                Value::Int(22),
            ),
            ("x", ScalarStyle::Plain, Some(std("int")), s("x")),
            (
                "2",
                ScalarStyle::Plain,
                Some(std("float")),
                Value::Float(2.0),
            ),
            (
                "2.5",
                ScalarStyle::Plain,
                Some(std("float")),
                Value::Float(2.5),
            ),
            (
                "true",
                ScalarStyle::SingleQuoted,
                Some(std("bool")),
                Value::Bool(true),
            ),
            ("~", ScalarStyle::Plain, Some(std("null")), Value::Null),
            ("AAEC", ScalarStyle::Plain, Some(std("binary")), s("AAEC")),
            (
                "80",
                ScalarStyle::Plain,
                Some("!Ref".to_string()),
                Value::Int(80),
            ),
            ("80", ScalarStyle::Literal, None, s("80")),
        ];
        for (text, style, tag, want) in cases {
            assert_eq!(
                value(text.to_string(), style, tag.as_deref()),
                want,
                "`{text}` {style:?} {tag:?}"
            );
        }
    }
}
