//! One template through the template side of the pipeline and the evaluator: the step that
//! `validate` and `test` share.

use crate::check::Program;
use crate::eval::{self, Document, RuleOutcome};
use crate::template::{Node, Template};

/// Builds the template's model and evaluates every rule of `program` against it.
pub fn evaluate_template(program: &Program, template: &Template) -> Vec<RuleOutcome> {
    let model: Vec<(&'static str, Node)> = Vec::new();
    let doc = Document {
        source: &template.source,
        root: &template.root,
        model: &model,
    };
    eval::evaluate(program, &doc)
}
