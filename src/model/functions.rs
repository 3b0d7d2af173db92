//! The string and list functions: `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split` and
//! `Fn::FindInMap`, evaluated when their inputs are known.

use super::assume::{Variant, product};
use super::path::Seg;
use super::resolve::{RNode, RVal, Resolver, Vs, one, resolve_each, too_many, unknown};
use crate::hash::HashMap;
use crate::source::Span;
use crate::template::{Node, Str, Unknown, UnknownHint, Value};

/// A resolved value as text, or why it is not text.
pub(crate) fn to_text(val: &RVal<'_>) -> Result<Str, Unknown> {
    match val {
        RVal::Str(s) => Ok(s.clone()),
        RVal::Int(i) => Ok(Str::from(i.to_string())),
        RVal::Float(f) => Ok(Str::from(crate::template::value::float_text(*f))),
        RVal::Bool(b) => Ok(Str::from(if *b { "true" } else { "false" })),
        RVal::VpcCidr {
            cidr: Some(cidr), ..
        } => Ok(cidr.clone()),
        RVal::VpcCidr { vpc, cidr: None } => Err(Unknown {
            reason: Str::from(format!(
                "the CIDR of VPC `{vpc}` is not written in the template"
            )),
            hint: UnknownHint::VpcCidr(vpc.clone()),
        }),
        RVal::Resource { id, attr: None } => Err(Unknown::new(format!(
            "the id of `{id}` is only known at deploy time"
        ))),
        RVal::Resource {
            id,
            attr: Some(attr),
        } => Err(Unknown::new(format!(
            "`!GetAtt {id}.{attr}` is only known at deploy time"
        ))),
        RVal::Unknown(u) => Err(u.clone()),
        RVal::List(_) | RVal::VpcCidrList(_) => {
            Err(Unknown::new("a list is used where text is expected"))
        }
        RVal::Map { .. } => Err(Unknown::new("a map is used where text is expected")),
        RVal::Null | RVal::NoValue => Err(Unknown::new("no value is used where text is expected")),
    }
}

/// Values that `Fn::Sub` or `Fn::Join` pass on unchanged when they are the whole result: text,
/// and what stands for a resource of the template (`${Vpc.DefaultSecurityGroup}` is that
/// group, not some unknown text).
fn value_as_is(val: &RVal<'_>) -> bool {
    matches!(
        val,
        RVal::Str(_) | RVal::Resource { .. } | RVal::VpcCidr { .. } | RVal::Unknown(_)
    )
}

/// The length of a value's text, without making it (0 for values that are not text).
fn text_len(val: &RVal<'_>) -> usize {
    match val {
        RVal::Str(s) => s.len(),
        RVal::VpcCidr { cidr: Some(c), .. } => c.len(),
        RVal::Int(_) | RVal::Float(_) => 24,
        _ => 0,
    }
}

fn text_or_unknown<'t>(r: Result<Str, Unknown>, span: Span) -> RNode<'t> {
    RNode {
        val: match r {
            Ok(s) => RVal::Str(s),
            Err(u) => RVal::Unknown(u),
        },
        span,
    }
}

/// A piece of a `Fn::Sub` template.
#[derive(Debug, PartialEq)]
enum Part<'a> {
    Text(String),
    Var(&'a str),
}

/// Splits a `Fn::Sub` template into text and `${Name}` variables (`${!Name}` is the literal
/// `${Name}`).
fn sub_parts(template: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        text.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 2..).unwrap_or_default();
        let Some(end) = after.find('}') else {
            text.push_str(rest.get(start..).unwrap_or_default());
            rest = "";
            break;
        };
        let name = after.get(..end).unwrap_or_default();
        if let Some(literal) = name.strip_prefix('!') {
            text.push_str("${");
            text.push_str(literal);
            text.push('}');
        } else {
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Var(name.trim()));
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// The prefix length a `Fn::Sub` template ends with (`${Ip}/32` → 32).
fn trailing_prefix(parts: &[Part<'_>]) -> Option<u8> {
    let Some(Part::Text(last)) = parts.last() else {
        return None;
    };
    prefix_suffix(last)
}

/// The prefix length of a text that is exactly `/N` (the known end of a CIDR block).
fn prefix_suffix(text: &str) -> Option<u8> {
    let digits = text.strip_prefix('/')?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n: &u8| n <= 128)
}

/// Joins texts; when one is unknown, the result is unknown, with the hint of a known prefix
/// length when everything after the last unknown part is `/N` (`!Join ["", [!Ref Ip, /32]]`).
fn join_texts(texts: Vec<Result<Str, Unknown>>, delimiter: &str) -> Result<Str, Unknown> {
    let Some(last) = texts.iter().rposition(Result::is_err) else {
        let known: Vec<Str> = texts.into_iter().filter_map(Result::ok).collect();
        return Ok(Str::from(known.join(delimiter)));
    };
    let mut rest = texts.into_iter().skip(last);
    let Some(Err(mut u)) = rest.next() else {
        return Err(Unknown::new("`Fn::Join` of an unknown value"));
    };
    let after: Vec<Str> = rest.filter_map(Result::ok).collect();
    let suffix = if after.is_empty() {
        String::new()
    } else {
        format!("{delimiter}{}", after.join(delimiter))
    };
    if let (Some(len), UnknownHint::None) = (prefix_suffix(&suffix), &u.hint) {
        u.hint = UnknownHint::CidrPrefix(len);
    }
    Err(u)
}

impl<'t> Resolver<'t> {
    pub(crate) fn fn_sub(&self, arg: &'t Node, span: Span, at: Seg<'_>) -> Vs<'t> {
        let (template, vars) = match &arg.value {
            Value::String(s) => (s.as_str(), None),
            Value::List(items) => match &items[..] {
                [t, v] => match (t.as_str(), v.as_map()) {
                    (Some(t), Some(v)) => (t, Some(v)),
                    _ => return unknown("`Fn::Sub` needs a string and a map of variables", span),
                },
                [t] => match t.as_str() {
                    Some(t) => (t, None),
                    None => return unknown("`Fn::Sub` needs a string", span),
                },
                _ => return unknown("`Fn::Sub` needs a string and a map of variables", span),
            },
            _ => return unknown("`Fn::Sub` needs a string", span),
        };
        let parts = sub_parts(template);
        let vars_at = at.index(1);
        // Each variable is resolved once, however often it is written: `${P}` a hundred
        // thousand times is one parameter value, and the text is built only if it fits.
        let mut slots: HashMap<&str, usize> = HashMap::default();
        let mut names: Vec<&str> = Vec::new();
        let slot_of: Vec<Option<usize>> = parts
            .iter()
            .map(|part| match part {
                Part::Text(_) => None,
                Part::Var(name) => Some(*slots.entry(name).or_insert_with(|| {
                    names.push(name);
                    names.len() - 1
                })),
            })
            .collect();
        let resolved = resolve_each(names.iter(), "`Fn::Sub`", |&name| {
            match vars.and_then(|v| v.get(name)) {
                Some(node) => self.resolve(node, vars_at.key(name)),
                None => match name.split_once('.') {
                    Some((res, attr)) => self.get_att(res, attr, span),
                    None => self.reference(name, span),
                },
            }
        });
        let lists = match resolved {
            Ok(lists) => lists,
            Err(reason) => return unknown(reason, span),
        };
        let Some(combos) = product(&lists, self.bound) else {
            return unknown(too_many(self.bound), span);
        };
        // `!Sub "${Sg.GroupId}"` is the value itself: a group, a VPC's default group.
        if let [Part::Var(_)] = parts.as_slice() {
            return combos
                .into_iter()
                .map(|v| {
                    v.map(|mut values| match values.pop() {
                        Some(value) if value_as_is(&value.val) => RNode { span, ..value },
                        Some(value) => text_or_unknown(to_text(&value.val), span),
                        None => text_or_unknown(Err(Unknown::new("`Fn::Sub` of nothing")), span),
                    })
                })
                .collect();
        }
        let prefix = trailing_prefix(&parts);
        combos
            .into_iter()
            .map(|v| {
                v.map(|values| {
                    let texts: Vec<Result<Str, Unknown>> =
                        values.iter().map(|value| to_text(&value.val)).collect();
                    let mut len = 0usize;
                    for (part, slot) in parts.iter().zip(&slot_of) {
                        let piece = match (part, slot.and_then(|i| texts.get(i))) {
                            (Part::Text(t), _) => t.len(),
                            (_, Some(Ok(t))) => t.len(),
                            (_, Some(Err(u))) => {
                                let mut u = u.clone();
                                if let (Some(len), UnknownHint::None) = (prefix, &u.hint) {
                                    u.hint = UnknownHint::CidrPrefix(len);
                                }
                                return RNode {
                                    val: RVal::Unknown(u),
                                    span,
                                };
                            }
                            (_, None) => 0,
                        };
                        len = len.saturating_add(piece);
                    }
                    if !self.can_build(len) {
                        return RNode {
                            val: RVal::Unknown(self.spent("Fn::Sub")),
                            span,
                        };
                    }
                    let mut out = String::with_capacity(len);
                    for (part, slot) in parts.iter().zip(&slot_of) {
                        match (part, slot.and_then(|i| texts.get(i))) {
                            (Part::Text(t), _) => out.push_str(t),
                            (_, Some(Ok(t))) => out.push_str(t),
                            _ => {}
                        }
                    }
                    RNode {
                        val: super::resolve::string_value(&out),
                        span,
                    }
                })
            })
            .collect()
    }

    /// A function of two arguments: both are resolved and `f` sees every consistent pair.
    fn binary(
        &self,
        arg: &'t Node,
        span: Span,
        at: Seg<'_>,
        usage: &str,
        f: impl FnMut(RNode<'t>, RNode<'t>) -> Vs<'t>,
    ) -> Vs<'t> {
        let Some([a, b]) = arg.as_list() else {
            return unknown(usage, span);
        };
        let xs = self.resolve(a, at.index(0));
        let ys = self.resolve(b, at.index(1));
        self.combine2(xs, ys, span, f)
    }

    pub(crate) fn fn_join(&self, arg: &'t Node, span: Span, at: Seg<'_>) -> Vs<'t> {
        let usage = "`Fn::Join` needs a delimiter and a list";
        self.binary(arg, span, at, usage, |d, l| {
            // One value joined with nothing around it is that value: `!Join ["", [!GetAtt
            // Vpc.DefaultSecurityGroup]]` is the default group.
            if let (Ok(d), RVal::List(items)) = (to_text(&d.val), &l.val) {
                let mut kept = items
                    .iter()
                    .filter(|i| !(d.is_empty() && matches!(&i.val, RVal::Str(s) if s.is_empty())));
                if let (Some(only), None) = (kept.next(), kept.next()) {
                    if value_as_is(&only.val) && (d.is_empty() || items.len() == 1) {
                        return vec![Variant::always(RNode {
                            span,
                            ..only.clone()
                        })];
                    }
                }
            }
            let joined = to_text(&d.val).and_then(|d| match &l.val {
                RVal::List(items) => {
                    let len = items
                        .iter()
                        .map(|i| text_len(&i.val))
                        .fold(d.len().saturating_mul(items.len()), usize::saturating_add);
                    if !self.can_build(len) {
                        return Err(self.spent("Fn::Join"));
                    }
                    join_texts(items.iter().map(|i| to_text(&i.val)).collect(), d.as_str())
                }
                other => to_text(other),
            });
            vec![Variant::always(text_or_unknown(joined, span))]
        })
    }

    pub(crate) fn fn_split(&self, arg: &'t Node, span: Span, at: Seg<'_>) -> Vs<'t> {
        let usage = "`Fn::Split` needs a delimiter and a string";
        self.binary(arg, span, at, usage, |d, s| {
            // An id of a resource of the template (`!GetAtt Vpc.DefaultSecurityGroup`) holds no
            // delimiter: split, it is a list of itself.
            if let RVal::Resource { .. } = &s.val {
                return one(RVal::List(vec![RNode { span, ..s }]), span);
            }
            let split = to_text(&d.val).and_then(|d| {
                let s = to_text(&s.val)?;
                if d.is_empty() {
                    return Err(Unknown::new("`Fn::Split` with an empty delimiter"));
                }
                // Counted before the parts are made: a short text can split into millions.
                let parts = s.matches(d.as_str()).count().saturating_add(1);
                let node = std::mem::size_of::<RNode<'_>>();
                if !self.can_build(parts.saturating_mul(node).saturating_add(s.len())) {
                    return Err(Unknown::new(format!(
                        "`Fn::Split` here gives {parts} parts, more than palisade works out"
                    )));
                }
                Ok(s.split(d.as_str())
                    .map(|piece| RNode {
                        val: RVal::Str(Str::from(piece)),
                        span,
                    })
                    .collect())
            });
            let val = match split {
                Ok(items) => RVal::List(items),
                Err(u) => RVal::Unknown(u),
            };
            one(val, span)
        })
    }

    pub(crate) fn fn_select(&self, arg: &'t Node, span: Span, at: Seg<'_>) -> Vs<'t> {
        let usage = "`Fn::Select` needs an index and a list";
        self.binary(arg, span, at, usage, |i, l| {
            let index = match &i.val {
                RVal::Int(i) => usize::try_from(*i).ok(),
                RVal::Str(s) => s.trim().parse::<usize>().ok(),
                RVal::Unknown(u) => return one(RVal::Unknown(u.clone()), span),
                _ => None,
            };
            let Some(index) = index else {
                return unknown("`Fn::Select` needs a non-negative index", span);
            };
            match l.val {
                RVal::List(items) => match items.into_iter().nth(index) {
                    Some(item) => vec![Variant::always(item)],
                    None => unknown(format!("`Fn::Select` index {index} is out of range"), span),
                },
                RVal::VpcCidrList(vpc) if index == 0 => self
                    .vpc_cidr(&vpc)
                    .iter()
                    .map(|v| {
                        Variant::new(
                            RNode {
                                val: RVal::VpcCidr {
                                    vpc: vpc.clone(),
                                    cidr: v.value.clone(),
                                },
                                span,
                            },
                            v.when.clone(),
                        )
                    })
                    .collect(),
                RVal::VpcCidrList(vpc) => one(RVal::VpcCidr { vpc, cidr: None }, span),
                RVal::Unknown(u) => one(RVal::Unknown(u), span),
                _ => unknown("`Fn::Select` needs a list", span),
            }
        })
    }

    pub(crate) fn fn_find_in_map(&self, arg: &'t Node, span: Span, at: Seg<'_>) -> Vs<'t> {
        let Some(args) = arg.as_list() else {
            return unknown("`Fn::FindInMap` needs a map name and two keys", span);
        };
        let (Some(name), Some(top), Some(second)) = (args.first(), args.get(1), args.get(2)) else {
            return unknown("`Fn::FindInMap` needs a map name and two keys", span);
        };
        let default = args.get(3).and_then(|d| d.get("DefaultValue"));
        let keys = [
            self.resolve(name, at.index(0)),
            self.resolve(top, at.index(1)),
            self.resolve(second, at.index(2)),
        ];
        let Some(combos) = product(&keys, self.bound) else {
            return unknown(too_many(self.bound), span);
        };
        let mut out = Vec::new();
        for combo in combos {
            let texts: Result<Vec<Str>, Unknown> =
                combo.value.iter().map(|k| to_text(&k.val)).collect();
            let found = match texts {
                Err(u) => one(RVal::Unknown(u), span),
                Ok(texts) => self.lookup(&texts, default, span, at),
            };
            for v in found {
                if let Some(when) = combo.when.merge(&v.when) {
                    out.push(Variant::new(v.value, when));
                }
            }
        }
        if out.len() > self.bound {
            return unknown(too_many(self.bound), span);
        }
        out
    }

    fn lookup(&self, keys: &[Str], default: Option<&'t Node>, span: Span, at: Seg<'_>) -> Vs<'t> {
        let [name, top, second] = keys else {
            return unknown("`Fn::FindInMap` needs a map name and two keys", span);
        };
        let found = self
            .mappings
            .and_then(|m| m.get(name))
            .and_then(|m| m.get(top))
            .and_then(|m| m.get(second));
        let respan = |vs: Vs<'t>| {
            vs.into_iter()
                .map(|v| {
                    v.map(|n| match n.val {
                        // A map keeps its own position; a value is reported at its use.
                        RVal::Map { .. } => n,
                        val => RNode { val, span },
                    })
                })
                .collect()
        };
        match (found, default) {
            (Some(node), _) => {
                let root = Seg::Root;
                let mappings = root.key("Mappings");
                let m = mappings.key(name);
                let t = m.key(top);
                respan(self.resolve(node, t.key(second)))
            }
            (None, Some(default)) => {
                let d = at.index(3);
                respan(self.resolve(default, d.key("DefaultValue")))
            }
            (None, None) => unknown(
                format!("`!FindInMap [{name}, {top}, {second}]` names no entry of `Mappings`"),
                span,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_templates_split_into_text_and_variables() {
        assert_eq!(
            sub_parts("arn:${AWS::Partition}:x/${!Literal}/${A.B}"),
            vec![
                Part::Text("arn:".into()),
                Part::Var("AWS::Partition"),
                Part::Text(":x/${Literal}/".into()),
                Part::Var("A.B"),
            ]
        );
        assert_eq!(
            sub_parts("${Ip}/32"),
            vec![Part::Var("Ip"), Part::Text("/32".into())]
        );
        assert_eq!(sub_parts("open ${"), vec![Part::Text("open ${".into())]);
        assert_eq!(trailing_prefix(&sub_parts("${Ip}/32")), Some(32));
        assert_eq!(trailing_prefix(&sub_parts("${Ip}/x")), None);
    }
}
