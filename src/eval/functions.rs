//! The built-in functions. Functions that map each value keep that value's position, so a
//! clause on their result still points at the template line; `count` and `join` combine all
//! values and are located at the current value.

use super::compare::convert;
use super::item::{Item, Val};
use super::{Ctx, Evaluator};
use crate::check::functions::Func;
use crate::check::ir::{Expr, Lit};
use crate::net;
use crate::source::Span;
use crate::template::{Node, Unknown, UnknownHint, Value};

impl<'a> Evaluator<'a> {
    pub(super) fn call(&mut self, func: Func, args: &'a [Expr], ctx: &Ctx<'a>) -> Vec<Item<'a>> {
        let values: Vec<Vec<Item<'a>>> = args.iter().map(|a| self.expr(a, ctx)).collect();
        let first: &[Item<'a>] = values.first().map(Vec::as_slice).unwrap_or(&[]);
        let at = ctx.this.span().unwrap_or_default();
        match func {
            Func::Count => {
                // Values a filter kept in doubt may not be there: the count is not known.
                if let Some(reason) = first.iter().find_map(|i| i.doubt.clone()) {
                    let u = Unknown::new(format!("how many values there are: {reason}"));
                    return vec![Item::computed(
                        Node::new(Value::Unknown(Box::new(u)), at),
                        &ctx.this,
                    )];
                }
                let n = first.iter().filter(|i| !i.is_missing()).count();
                vec![Item::computed(
                    Node::new(Value::Int(n as i64), at),
                    &ctx.this,
                )]
            }
            Func::Join => {
                // A joined text with an unknown part is unknown, not the text without it.
                if let Some(u) = first.iter().find_map(convert::as_unknown) {
                    let u = Unknown::new(u.reason.clone());
                    return vec![Item::computed(
                        Node::new(Value::Unknown(Box::new(u)), at),
                        &ctx.this,
                    )];
                }
                let delimiter = lit_text(values.get(1)).unwrap_or_default();
                let parts: Vec<String> = first.iter().filter_map(convert::as_text).collect();
                vec![Item::computed(
                    Node::string(parts.join(&delimiter), at),
                    &ctx.this,
                )]
            }
            Func::Now => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                vec![Item::computed(Node::new(Value::Int(secs), at), &ctx.this)]
            }
            // A missing value stays missing through a function, so that a clause on the
            // result fails as it would on the value itself.
            _ => first
                .iter()
                .filter_map(|item| {
                    if item.is_missing() {
                        return Some(item.clone());
                    }
                    let span = item.span().unwrap_or(at);
                    let value = match convert::as_unknown(item) {
                        Some(u) => Some(
                            known_size(func, u)
                                .unwrap_or_else(|| Value::Unknown(Box::new(u.clone()))),
                        ),
                        None => map_one(func, item, &values, span),
                    };
                    value.map(|v| Item::computed(Node::new(v, span), item))
                })
                .collect(),
        }
    }
}

/// `prefix_len` and `address_count` of an unknown block whose version and prefix length are
/// known (`CidrIp: !Sub "${OfficeIp}/32"`).
fn known_size(func: Func, u: &Unknown) -> Option<Value> {
    let UnknownHint::Cidr { v6, prefix } = u.hint else {
        return None;
    };
    match func {
        Func::PrefixLen => Some(Value::Int(i64::from(prefix))),
        Func::AddressCount => {
            let bits = if v6 { 128u8 } else { 32 };
            let count = 1u128
                .checked_shl(u32::from(bits.saturating_sub(prefix)))
                .unwrap_or(u128::MAX);
            Some(i64::try_from(count).map_or(Value::Float(count as f64), Value::Int))
        }
        _ => None,
    }
}

fn lit_text(items: Option<&Vec<Item<'_>>>) -> Option<String> {
    items?.first().and_then(convert::as_text)
}

fn lit_int(items: Option<&Vec<Item<'_>>>) -> Option<i64> {
    match items?.first().map(|i| &i.val) {
        Some(Val::Lit(Lit::Int(i))) => Some(*i),
        _ => None,
    }
}

/// A function applied to one value; `None` drops the value (as Guard does for values a
/// conversion cannot take).
fn map_one(func: Func, item: &Item<'_>, args: &[Vec<Item<'_>>], span: Span) -> Option<Value> {
    let text = convert::as_text(item);
    match func {
        Func::ToLower => Some(Value::String(text?.to_lowercase().into())),
        Func::ToUpper => Some(Value::String(text?.to_uppercase().into())),
        Func::RegexReplace => {
            let re = match args.get(1)?.first().map(|i| &i.val) {
                Some(Val::Lit(Lit::Regex(re))) => std::sync::Arc::clone(re),
                _ => return None,
            };
            let replacement = lit_text(args.get(2))?;
            Some(Value::String(
                re.replace_all(&text?, replacement.as_str())
                    .into_owned()
                    .into(),
            ))
        }
        Func::Substring => {
            let (start, end) = (lit_int(args.get(1))?, lit_int(args.get(2))?);
            let chars: Vec<char> = text?.chars().collect();
            let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
            (start <= end && end <= chars.len()).then(|| {
                Value::String(
                    chars
                        .get(start..end)
                        .unwrap_or_default()
                        .iter()
                        .collect::<String>()
                        .into(),
                )
            })
        }
        Func::ParseInt => {
            let t = text?;
            t.trim()
                .parse::<i64>()
                .ok()
                .or_else(|| {
                    t.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })
                .map(Value::Int)
        }
        Func::ParseFloat => text?.trim().parse::<f64>().ok().map(Value::Float),
        Func::ParseString => Some(Value::String(text?.into())),
        Func::ParseBoolean => match text?.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Func::ParseChar => {
            let t = text?;
            let mut chars = t.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(Value::String(c.to_string().into())),
                _ => None,
            }
        }
        Func::JsonParse => {
            let parsed: serde_json::Value = serde_json::from_str(&text?).ok()?;
            Some(json_to_node(&parsed, span, 0).value)
        }
        Func::UrlDecode => Some(Value::String(url_decode(&text?)?.into())),
        Func::ParseEpoch => parse_epoch(&text?).map(Value::Int),
        Func::PrefixLen => {
            convert::as_cidr(item).map(|n| Value::Int(i64::from(net::prefix_len(n))))
        }
        Func::AddressCount => convert::as_cidr(item).map(|n| {
            let count = net::address_count(n);
            i64::try_from(count).map_or(Value::Float(count as f64), Value::Int)
        }),
        Func::PortCount => convert::as_ports(item).map(|p| Value::Int(i64::from(p.count()))),
        Func::Count | Func::Join | Func::Now => None,
    }
}

/// Deepest JSON a `json_parse` value may have before the rest becomes unknown.
const MAX_JSON_DEPTH: usize = 64;

fn json_to_node(value: &serde_json::Value, span: Span, depth: usize) -> Node {
    use serde_json::Value as J;
    if depth > MAX_JSON_DEPTH {
        return Node::unknown(Unknown::new("JSON nested too deeply"), span);
    }
    let value = match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
        J::String(s) => Value::String(s.as_str().into()),
        J::Array(items) => Value::List(
            items
                .iter()
                .map(|v| json_to_node(v, span, depth + 1))
                .collect(),
        ),
        J::Object(map) => {
            return Node::map(
                map.iter()
                    .map(|(k, v)| (k.as_str(), json_to_node(v, span, depth + 1))),
                span,
            );
        }
    };
    Node::new(value, span)
}

fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// RFC 3339 (`2024-01-31T12:00:00Z`, `2024-01-31T12:00:00+02:00`, or a bare date) to
/// seconds since the epoch.
fn parse_epoch(text: &str) -> Option<i64> {
    let t = text.trim();
    let date = t.get(..10)?;
    let mut parts = date.split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    let rest = t.get(10..).unwrap_or("");
    if rest.is_empty() {
        return Some(secs);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (hh, mm, ss) = (
        rest.get(0..2)?.parse::<i64>().ok()?,
        rest.get(3..5)?.parse::<i64>().ok()?,
        rest.get(6..8)?.parse::<i64>().ok()?,
    );
    secs += hh * 3600 + mm * 60 + ss;
    let mut zone = rest.get(8..)?;
    if let Some(frac) = zone.strip_prefix('.') {
        zone = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    match zone {
        "Z" | "z" | "" => Some(secs),
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let oh = zone.get(1..3)?.parse::<i64>().ok()?;
            let om = zone.get(4..6)?.parse::<i64>().ok()?;
            Some(secs - sign * (oh * 3600 + om * 60))
        }
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs() {
        assert_eq!(parse_epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_epoch("2000-03-01"), Some(951_868_800));
        assert_eq!(
            parse_epoch("2024-01-31T12:00:00+02:00"),
            Some(1_706_695_200)
        );
        assert_eq!(parse_epoch("2024-13-01"), None);
    }

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("a%20b+c").as_deref(), Some("a b c"));
        assert_eq!(url_decode("%zz"), None);
    }
}
