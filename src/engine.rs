//! One template through the rest of the pipeline: its model is built and every rule is
//! evaluated against both. The step that `validate` and `test` share.

use crate::check::Program;
use crate::eval::{self, Document, RuleOutcome};
use crate::model::params::Supplied;
use crate::model::{self, Model, Parameters};
use crate::template::{Entry, Map, Node, Template, Value};

/// Builds the template's model (with the given parameter values) and evaluates every rule of
/// `program` against the template and the model.
pub fn evaluate_template(
    program: &Program,
    template: &Template,
    params: &Parameters,
) -> Vec<RuleOutcome> {
    let model = model::build(template, params);
    evaluate_with_model(program, template, model)
}

/// [`evaluate_template`] for the rules marked in `selected` (by rule id) only: the others
/// are evaluated only where a selected rule refers to them, and have no outcome.
pub fn evaluate_template_selected(
    program: &Program,
    template: &Template,
    params: &Parameters,
    selected: &[bool],
) -> Vec<RuleOutcome> {
    let model = model::build(template, params);
    with_document(template, model, |doc| {
        eval::evaluate_selected(program, doc, selected)
    })
}

/// Evaluates every rule of `program` against a template and its (already built) model.
pub fn evaluate_with_model(
    program: &Program,
    template: &Template,
    model: Model,
) -> Vec<RuleOutcome> {
    with_document(template, model, |doc| eval::evaluate(program, doc))
}

/// Runs `f` on the document made of a template and its model.
fn with_document<T>(template: &Template, model: Model, f: impl FnOnce(&Document<'_>) -> T) -> T {
    let Model {
        security_groups,
        rules,
        attachments,
        vpcs,
    } = model;
    let roots: [(&'static str, Node); 4] = [
        ("security_groups", security_groups),
        ("rules", rules),
        ("attachments", attachments),
        ("vpcs", vpcs),
    ];
    let doc = Document {
        source: &template.source,
        root: &template.root,
        model: &roots,
    };
    f(&doc)
}

/// The template with every `!Ref` to a parameter whose value the user supplied (`--param`,
/// `--parameters`, a test case's `parameters`) replaced by that value, at the `!Ref`'s
/// position. Raw-template queries then see what the model sees: `InstanceType: !Ref Type`
/// with `--param Type=t3.micro` is `t3.micro`, not a function whose value is unknown.
pub fn with_parameters(template: Template, params: &Parameters) -> Template {
    if params.is_empty() {
        return template;
    }
    // The parameters whose `!Ref` is a list.
    let declared = template.root.get("Parameters").and_then(Node::as_map);
    let lists: crate::hash::HashSet<String> = declared
        .into_iter()
        .flat_map(Map::iter)
        .filter(|(_, p)| {
            p.get("Type")
                .and_then(Node::as_str)
                .is_some_and(crate::model::params::is_list_type)
        })
        .map(|(name, _)| name.to_string())
        .collect();
    let Template { source, root } = template;
    let root = substitute(root, params, &lists);
    Template { source, root }
}

fn substitute(node: Node, params: &Parameters, lists: &crate::hash::HashSet<String>) -> Node {
    if let Some(("Ref", arg)) = node.as_intrinsic() {
        let supplied = arg
            .as_str()
            .and_then(|name| Some((name, params.get(name)?)));
        return match supplied {
            Some((name, value)) => supplied_node(value, lists.contains(name), node.span),
            None => node,
        };
    }
    let span = node.span;
    match node.value {
        Value::Map(map) => {
            let entries = map
                .into_written()
                .into_iter()
                .map(|e| Entry {
                    value: substitute(e.value, params, lists),
                    ..e
                })
                .collect();
            Node::new(Value::Map(Map::new(entries)), span)
        }
        Value::List(items) => Node::list(
            items
                .into_vec()
                .into_iter()
                .map(|n| substitute(n, params, lists))
                .collect(),
            span,
        ),
        value => Node::new(value, span),
    }
}

/// A supplied value as the template value `!Ref` gives: text, or a list for a list-typed
/// parameter.
fn supplied_node(value: &Supplied, list: bool, span: crate::source::Span) -> Node {
    let items = |texts: Vec<&str>| {
        Node::list(
            texts
                .into_iter()
                .map(|t| Node::string(t.trim(), span))
                .collect(),
            span,
        )
    };
    match (value, list) {
        (Supplied::Text(text), false) => Node::string(text.as_str(), span),
        (Supplied::Text(text), true) => items(text.split(',').collect()),
        (Supplied::List(texts), _) => items(texts.iter().map(String::as_str).collect()),
    }
}
