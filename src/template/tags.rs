//! CloudFormation short tags into their long forms, as AWS and Guard read them.
//!
//! `!Ref X` → `{Ref: X}`, `!Condition C` → `{Condition: C}`, `!GetAtt A.B` →
//! `{Fn::GetAtt: [A, B]}`, and every other local tag `!Name` → `{Fn::Name: …}`: the intrinsic
//! functions, the Rules functions (`!Contains`, `!EachMemberIn`, …), and tags palisade does not
//! know (`!Rain::Module` → `Fn::Rain::Module`), so no tag is ever dropped. Tags apply to
//! scalars, lists and maps alike.

use super::value::{Entry, Key, Map, Node, Str, Value};
use crate::source::Span;

/// The CloudFormation functions that have a short tag, by tag name.
pub(super) const SHORT_FORMS: [&str; 26] = [
    "Ref",
    "Condition",
    "GetAtt",
    "Sub",
    "If",
    "Select",
    "Join",
    "Split",
    "FindInMap",
    "ImportValue",
    "Equals",
    "And",
    "Or",
    "Not",
    "Base64",
    "Cidr",
    "GetAZs",
    "Transform",
    "Length",
    "ToJsonString",
    "Contains",
    "EachMemberIn",
    "EachMemberEquals",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
];

/// The long-form key for a node tagged `tag`, or `None` for tags that do not wrap: standard
/// YAML tags (`!!str` arrives as `tag:yaml.org,2002:str`), the non-specific `!`, and global
/// URI tags.
pub(super) fn long_form(tag: &str) -> Option<Str> {
    let name = tag.strip_prefix('!')?;
    if name.is_empty() {
        return None;
    }
    // `!Ref: AWS::NoValue` occurs in real templates: YAML reads the tag as `!Ref:` (a colon is
    // a legal tag character) where `!Ref AWS::NoValue` was meant. No function is named with a
    // trailing colon and the intent is plain, so a known function name followed by colons is
    // read as that function rather than as an unknown `Fn::Ref:` that no model understands.
    let trimmed = name.trim_end_matches(':');
    let name = if SHORT_FORMS.contains(&trimmed) {
        trimmed
    } else {
        name
    };
    Some(match name {
        "Ref" | "Condition" => Str::from(name),
        _ if name.starts_with("Fn::") => Str::from(name),
        _ => Str::from(format!("Fn::{name}")),
    })
}

/// Wraps `arg` into the one-entry map `{key: arg}` spanning `outer`; `tag` is where the tag is
/// written. `text` is the file's text, used to give the two halves of `!GetAtt A.B` their own
/// spans.
pub(super) fn wrap(key: Key, arg: Node, tag: Span, outer: Span, text: &str) -> Node {
    let arg = if &*key == "Fn::GetAtt" {
        split_get_att(arg, text)
    } else {
        arg
    };
    let entry = Entry {
        key,
        key_span: tag,
        value: arg,
    };
    Node::new(Value::Map(Map::new(vec![entry])), outer)
}

/// `!GetAtt A.B.C` → `[A, B.C]` (attribute names may hold dots). A string without a dot and
/// the list form `!GetAtt [A, B]` stay as they are.
fn split_get_att(node: Node, text: &str) -> Node {
    let Value::String(s) = &node.value else {
        return node;
    };
    let Some((resource, attribute)) = s.split_once('.') else {
        return node;
    };
    let span = node.span;
    // Where the value's characters start in the file, when it is written as-is (plain, or
    // quoted without escapes); otherwise both halves point at the whole scalar.
    let written = text.get(span.range()).unwrap_or_default();
    let offset = if written == s.as_str() {
        Some(0)
    } else {
        let quoted = written.len() == s.len() + 2
            && (written.starts_with('"') || written.starts_with('\''))
            && written.get(1..written.len() - 1) == Some(s.as_str());
        quoted.then_some(1)
    };
    let (resource_span, attribute_span) = match offset {
        Some(offset) => {
            let dot = span.start + offset + resource.len() as u32;
            (
                Span::new(span.start + offset, dot),
                Span::new(dot + 1, dot + 1 + attribute.len() as u32),
            )
        }
        None => (span, span),
    };
    let parts = vec![
        Node::string(resource, resource_span),
        Node::string(attribute, attribute_span),
    ];
    Node::new(Value::List(super::value::exact(parts)), span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_short_form_has_its_long_form() {
        for name in SHORT_FORMS {
            let want = match name {
                "Ref" | "Condition" => name.to_string(),
                _ => format!("Fn::{name}"),
            };
            assert_eq!(long_form(&format!("!{name}")).as_deref(), Some(&*want));
        }
    }

    #[test]
    fn other_tags() {
        let cases = [
            ("!Rain::Module", Some("Fn::Rain::Module")),
            ("!Rain::Embed", Some("Fn::Rain::Embed")),
            ("!Custom", Some("Fn::Custom")),
            ("!Fn::GetAtt", Some("Fn::GetAtt")),
            ("!Ref:", Some("Ref")),
            ("!Sub::", Some("Fn::Sub")),
            ("!Custom:", Some("Fn::Custom:")),
            ("!", None),
            ("tag:yaml.org,2002:str", None),
            ("tag:example.com,2024:thing", None),
        ];
        for (tag, want) in cases {
            assert_eq!(long_form(tag).as_deref(), want, "tag `{tag}`");
        }
    }

    #[test]
    fn get_att_halves_get_their_own_spans() {
        let text =
            "a: !GetAtt Web.GroupId\nb: !GetAtt 'Db.Endpoint.Address'\nc: !GetAtt \"W\\x65b.Id\"\n";
        let at = |needle: &str| {
            let start = text.find(needle).unwrap() as u32;
            Span::new(start, start + needle.len() as u32)
        };
        let get_att = |written: &str, value: &str| {
            let node = Node::string(value, at(written));
            let wrapped = wrap(
                Key::from("Fn::GetAtt"),
                node,
                at("!GetAtt"),
                at(written),
                text,
            );
            let list = wrapped
                .get("Fn::GetAtt")
                .unwrap()
                .as_list()
                .unwrap()
                .to_vec();
            list.iter()
                .map(|n| (n.as_str().unwrap().to_string(), &text[n.span.range()]))
                .map(|(v, t)| format!("{v}@{t}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            get_att("Web.GroupId", "Web.GroupId"),
            ["Web@Web", "GroupId@GroupId"]
        );
        assert_eq!(
            get_att("'Db.Endpoint.Address'", "Db.Endpoint.Address"),
            ["Db@Db", "Endpoint.Address@Endpoint.Address"]
        );
        // An escape changes the text: both halves point at the whole scalar.
        assert_eq!(
            get_att("\"W\\x65b.Id\"", "Web.Id"),
            ["Web@\"W\\x65b.Id\"", "Id@\"W\\x65b.Id\""]
        );
    }

    #[test]
    fn get_att_without_a_dot_or_as_a_list_is_kept() {
        let plain = Node::string("Web", Span::new(0, 3));
        let kept = split_get_att(plain.clone(), "Web");
        assert_eq!(kept, plain);
        let list = Node::list(vec![plain.clone(), plain], Span::new(0, 3));
        assert_eq!(split_get_att(list.clone(), "Web"), list);
    }
}
