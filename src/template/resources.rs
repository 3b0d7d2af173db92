//! The shape CloudFormation requires of each resource: a map with a `Type` that names a type.
//!
//! A resource of another shape is refused (`template::invalid-resource`) rather than skipped:
//! CloudFormation rejects such a template, and what the resource would create cannot be known,
//! so passing the template would pass something palisade did not read. The common case is a
//! `Rain::Module` (`Type: {Rain::Module: ./vpc.yml}`), which the `rain` tool expands before a
//! deploy; palisade checks the expanded template.

use super::{LoadError, Map, Node, Value, described};

/// `Ok` when every entry of `resources` is a map with a text `Type`, properties that are a map
/// and a `Condition` that `conditions` defines; else the first that is not.
pub fn check(resources: &Map, conditions: Option<&Map>) -> Result<(), LoadError> {
    for entry in resources.entries() {
        let id = entry.key;
        if id.starts_with("Fn::ForEach::") {
            // `foreach` expands every loop it can read; one left here is malformed.
            return Err(invalid(
                format!("the loop `{id}` cannot be expanded: it is not a list of an identifier, a collection and a map of resources"),
                entry.value,
            )
            .with_help("write the loop as `Fn::ForEach::Name: [Identifier, [item, …], {${Identifier}Id: {Type: …}}]`, with `Transform: AWS::LanguageExtensions`"));
        }
        let Some(body) = entry.value.as_map() else {
            return Err(invalid(
                format!(
                    "resource `{id}` is {}, not a map",
                    described(&entry.value.value)
                ),
                entry.value,
            )
            .with_help(
                "a resource is a map with a `Type` and, usually, `Properties`; indent its keys under its name",
            ));
        };
        let Some(ty) = body.get("Type") else {
            return Err(LoadError::new(
                "template::invalid-resource",
                format!("resource `{id}` has no `Type`"),
                Some(entry.key_span),
            )
            .with_help("give the resource a type such as `Type: AWS::EC2::SecurityGroup`; CloudFormation rejects a resource without one"));
        };
        match body.get("Properties").map(|p| &p.value) {
            None | Some(Value::Null | Value::Map(_)) => {}
            Some(other) => {
                let props = body.get("Properties").unwrap_or(entry.value);
                return Err(invalid(
                    format!(
                        "the `Properties` of resource `{id}` are {}, not a map",
                        described(other)
                    ),
                    props,
                )
                .with_help("write the properties as a map of names to values, such as `Properties: {GroupDescription: web}`"));
            }
        }
        if let Some(name) = body.get("Condition").and_then(Node::as_str) {
            if conditions.is_none_or(|c| c.get(name).is_none()) {
                let at = body.get("Condition").unwrap_or(entry.value);
                return Err(invalid(
                    format!("resource `{id}` names the condition `{name}`, which `Conditions` does not define"),
                    at,
                )
                .with_help("define the condition under `Conditions`, or correct its name; CloudFormation rejects a template that names an undefined condition"));
            }
        }
        match &ty.value {
            Value::String(name) if !name.trim().is_empty() => {
                if let Some(meant) = miscased(name) {
                    let help = match meant {
                        Some(known) => format!("write the type as `{known}`"),
                        None => "write the type as CloudFormation's resource type reference spells it, such as `AWS::EC2::Instance` (not `aws::ec2::instance`)".to_string(),
                    };
                    return Err(invalid(
                        format!("resource `{id}` has the type `{name}`, which CloudFormation does not know: type names are case-sensitive"),
                        ty,
                    )
                    .with_help(help));
                }
            }
            Value::Map(map) if rain_module(map) => {
                return Err(invalid(
                    format!("resource `{id}` is a Rain module, which CloudFormation does not read"),
                    ty,
                )
                .with_help("expand the modules first (`rain pkg template.yaml > packaged.yaml`) and check the packaged template, which holds the resources they create"));
            }
            other => {
                let what = match other {
                    Value::String(_) => "empty",
                    other => described(other),
                };
                return Err(invalid(
                    format!("the `Type` of resource `{id}` is {what}, not a resource type name"),
                    ty,
                )
                .with_help("write the type as text, such as `Type: AWS::EC2::SecurityGroup`; CloudFormation accepts no function or map there"));
            }
        }
    }
    Ok(())
}

/// The types of the security-group model, which a type in the wrong case would hide from it.
const MODELLED: [&str; 6] = [
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCCidrBlock",
    "AWS::EC2::PrefixList",
];

/// `Some` when `name` is an AWS type in the wrong case, with the right spelling when it is a
/// modelled type: a first part other than `AWS` (`aws::ec2::…`), a part that starts in lower
/// case (every part of an AWS type name starts with a capital), or a modelled type in another
/// case. `None` for a name that may be right, including the types of other publishers
/// (`Custom::…`, registry types).
fn miscased(name: &str) -> Option<Option<&'static str>> {
    let (first, rest) = name.split_once("::")?;
    if !first.eq_ignore_ascii_case("AWS") {
        return None;
    }
    if let Some(known) = MODELLED.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return (*known != name).then_some(Some(*known));
    }
    let lower = |part: &str| part.starts_with(|c: char| c.is_ascii_lowercase());
    (first != "AWS" || rest.split("::").any(lower)).then_some(None)
}

fn invalid(message: String, at: &Node) -> LoadError {
    LoadError::new("template::invalid-resource", message, Some(at.span))
}

/// True for `{Rain::Module: …}`, and for `!Rain::Module …`, which loads as `Fn::Rain::Module`.
fn rain_module(map: &Map) -> bool {
    map.get("Rain::Module").is_some() || map.get("Fn::Rain::Module").is_some()
}
