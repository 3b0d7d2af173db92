//! `palisade model`: prints each template's security-group model as JSON.

use std::io::Write;

use super::{Exit, ModelArgs, inputs};
use crate::template;

/// Runs `palisade model`.
pub fn run(args: &ModelArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let (inputs, input_errors) = inputs::expand(&args.paths);
    let mut exit = Exit::Ok;
    for e in input_errors {
        let _ = writeln!(
            err,
            "error[{}]: {}: {}",
            e.error.code, e.name, e.error.message
        );
        exit = exit.combine(Exit::TemplateError);
    }
    let mut files = Vec::new();
    for input in &inputs {
        let loaded = inputs::read(input).and_then(template::parse);
        match loaded {
            Ok(t) => files.push(serde_json::json!({ "path": input.name, "template": t.root })),
            Err(e) => {
                let _ = writeln!(err, "error[{}]: {}: {}", e.code, input.name, e.message);
                exit = exit.combine(Exit::TemplateError);
            }
        }
    }
    let doc = serde_json::json!({ "files": files });
    if serde_json::to_writer_pretty(&mut *out, &doc).is_err() || writeln!(out).is_err() {
        exit = exit.combine(Exit::TemplateError);
    }
    exit
}
