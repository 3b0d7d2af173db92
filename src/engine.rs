//! One template through the rest of the pipeline: its model is built and every rule is
//! evaluated against both. The step that `validate` and `test` share.

use crate::check::Program;
use crate::eval::{self, Document, RuleOutcome};
use crate::model::{self, Model, Parameters};
use crate::template::{Node, Template};

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
