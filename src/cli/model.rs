//! `palisade model`: prints the security-group model of templates as one JSON document.

use std::io::Write;
use std::sync::Arc;

use serde::Serialize;

use super::inputs::{self, Loaded};
use super::{Exit, ModelArgs};
use crate::model::{self, Model, Parameters, ParamsError, Positioned};
use crate::render::printable;
use crate::source::SourceFile;
use crate::template::LoadError;

/// An error entry of the output.
#[derive(Debug, Serialize)]
struct ErrorEntry {
    file: String,
    code: &'static str,
    message: String,
    line: Option<u32>,
    column: Option<u32>,
    help: Option<String>,
}

/// A skipped file.
#[derive(Debug, Serialize)]
struct Skipped {
    file: String,
    reason: String,
}

/// The output document.
#[derive(Serialize)]
struct Document<'a> {
    security_groups: Vec<Positioned<'a>>,
    rules: Vec<Positioned<'a>>,
    attachments: Vec<Positioned<'a>>,
    vpcs: Vec<Positioned<'a>>,
    errors: Vec<ErrorEntry>,
    skipped: Vec<Skipped>,
}

/// Reads `--parameters` and `--param` (the latter win).
pub fn parameters(
    file: Option<&std::path::Path>,
    params: &[String],
) -> Result<Parameters, ParamsError> {
    let mut out = match file {
        Some(path) => Parameters::read_file(path)?,
        None => Parameters::new(),
    };
    for p in params {
        let (key, value) = Parameters::parse_assignment(p)?;
        out.set(key, value);
    }
    Ok(out)
}

/// Prints a parameters error the way template errors are printed.
pub fn print_params_error(err: &mut dyn Write, e: &ParamsError) {
    let place = match (&e.file, e.position) {
        (Some(f), Some(p)) => format!("{f}:{}:{}: ", p.line, p.column),
        (Some(f), None) => format!("{f}: "),
        (None, _) => String::new(),
    };
    let _ = writeln!(
        err,
        "{}error[{}]: {}",
        printable(&place),
        e.code,
        printable(&e.message)
    );
    if let Some(help) = &e.help {
        let _ = writeln!(err, "  help: {}", printable(help));
    }
}

fn error_entry(name: &str, source: Option<&SourceFile>, e: &LoadError) -> ErrorEntry {
    let at = match (source, e.span) {
        (Some(s), Some(span)) => Some(s.position(span.start)),
        _ => None,
    };
    ErrorEntry {
        file: name.to_string(),
        code: e.code,
        message: e.message.clone(),
        line: at.map(|p| p.line),
        column: at.map(|p| p.column),
        help: e.help.clone(),
    }
}

fn print_error(err: &mut dyn Write, e: &ErrorEntry) {
    let place = match (e.line, e.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", e.file),
        _ => e.file.clone(),
    };
    let _ = writeln!(
        err,
        "{}: error[{}]: {}",
        printable(&place),
        e.code,
        printable(&e.message)
    );
    if let Some(help) = &e.help {
        let _ = writeln!(err, "  help: {}", printable(help));
    }
}

/// Runs `palisade model`.
pub fn run(args: &ModelArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let params = match parameters(
        args.parameters.parameters.as_deref(),
        &args.parameters.params,
    ) {
        Ok(p) => p,
        Err(e) => {
            print_params_error(err, &e);
            return Exit::Usage;
        }
    };
    let (inputs, input_errors) = inputs::expand_and_warn(&args.paths, err);
    let mut exit = Exit::Ok;
    let mut errors = Vec::new();
    for e in input_errors {
        errors.push(error_entry(&e.name, None, &e.error));
    }
    let mut skipped = Vec::new();
    let mut models: Vec<(Arc<SourceFile>, Model)> = Vec::new();
    for input in &inputs {
        let template = match inputs::load(input, false) {
            Loaded::Template(t) => t,
            Loaded::Skipped => {
                skipped.push(Skipped {
                    file: input.name.clone(),
                    reason: "not a CloudFormation template: it has no `Resources` map".to_string(),
                });
                continue;
            }
            Loaded::Failed(e, source) => {
                errors.push(error_entry(&input.name, source.as_deref(), &e));
                continue;
            }
        };
        let built = model::build(&template, &params);
        models.push((template.source, built));
    }
    for e in &errors {
        print_error(err, e);
        exit = exit.combine(Exit::TemplateError);
    }
    let mut doc = Document {
        security_groups: Vec::new(),
        rules: Vec::new(),
        attachments: Vec::new(),
        vpcs: Vec::new(),
        errors,
        skipped,
    };
    for (source, m) in &models {
        let entries = |name: &str| {
            m.entries(name)
                .iter()
                .map(|node| Positioned { node, source })
                .collect::<Vec<_>>()
        };
        doc.security_groups.extend(entries("security_groups"));
        doc.rules.extend(entries("rules"));
        doc.attachments.extend(entries("attachments"));
        doc.vpcs.extend(entries("vpcs"));
    }
    // A failure to write is the caller's to report (see `output::Latch`).
    let mut buffered = std::io::BufWriter::new(out);
    let _ = serde_json::to_writer_pretty(&mut buffered, &doc)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(buffered))
        .and_then(|()| buffered.flush());
    exit
}
