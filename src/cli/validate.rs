//! `palisade validate`: templates × policies → report, rendered, and the exit code.

use std::collections::HashSet;
use std::io::Write;
use std::time::Instant;

use rayon::prelude::*;

use super::inputs::{self, Input};
use super::{Exit, Format, SeverityArg, UnknownArg, ValidateArgs, output, policies};
use crate::check::Program;
use crate::check::ir::Severity;
use crate::engine;
use crate::model::Parameters;
use crate::render;
use crate::report::{self, FileResult, Options, Report, UnknownPolicy};
use crate::template::{self, LoadError};

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Runs `palisade validate`.
pub fn run(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let started = Instant::now();
    let program = match policies::load(&args.rules, !args.no_bundled, &args.param_overrides, err) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let options = Options {
        fail_on: args.fail_on.into(),
        unknown: match args.unknown {
            UnknownArg::Fail => UnknownPolicy::Fail,
            UnknownArg::Warn => UnknownPolicy::Warn,
        },
        only: args.only.iter().cloned().collect(),
        skip: args.skip.iter().cloned().collect(),
        severities: Default::default(),
    };
    if let Err(message) = check_ids(&program, &options) {
        let _ = writeln!(err, "error: {message}");
        return Exit::Usage;
    }
    let params = match super::model::parameters(
        args.parameters.parameters.as_deref(),
        &args.parameters.params,
    ) {
        Ok(p) => p,
        Err(e) => {
            super::model::print_params_error(err, &e);
            return Exit::Usage;
        }
    };
    let (inputs, input_errors) = inputs::expand(&args.paths);
    let mut parts: Vec<FileResult> = input_errors
        .iter()
        .map(|e| report::failed(&e.name, &e.error, None))
        .collect();
    parts.extend(
        inputs
            .par_iter()
            .map(|input| check_input(&program, &options, &params, input))
            .collect::<Vec<_>>(),
    );
    let report = Report::new(parts);
    let text = match args.format {
        Format::Json => render::json::render(&report),
        Format::Text => {
            let style = if args.output.is_some() {
                render::Style { color: false }
            } else {
                output::stdout_style()
            };
            render::text::render(
                &report,
                &options,
                &render::text::TextOptions {
                    style,
                    quiet: args.quiet,
                    elapsed: Some(started.elapsed()),
                },
            )
        }
    };
    let mut exit = Exit::Ok;
    match &args.output {
        Some(path) => {
            if let Err(e) = output::write_atomically(path, &text) {
                let _ = writeln!(err, "error: cannot write `{}`: {e}", path.display());
                return Exit::Usage;
            }
        }
        None => {
            if out.write_all(text.as_bytes()).is_err() {
                // A closed pipe (e.g. `| head`) is not a reason to change the verdict.
            }
        }
    }
    if report.has_errors() {
        exit = exit.combine(Exit::TemplateError);
    }
    if report.fails(&options) {
        exit = exit.combine(Exit::Findings);
    }
    exit
}

/// `--only` and `--skip` must name rules that are loaded.
fn check_ids(program: &Program, options: &Options) -> Result<(), String> {
    let known: HashSet<&str> = program
        .reported_rules()
        .map(|r| r.meta.id.as_str())
        .collect();
    for id in options.only.iter().chain(&options.skip) {
        if !known.contains(id.as_str()) {
            let mut ids: Vec<&str> = known.iter().copied().collect();
            ids.sort_unstable();
            return Err(format!(
                "no loaded rule has the id `{id}`; ids: {}",
                ids.iter().take(40).copied().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    Ok(())
}

/// Reads, parses, models and evaluates one input.
fn check_input(
    program: &Program,
    options: &Options,
    params: &Parameters,
    input: &Input,
) -> FileResult {
    let source = match inputs::read(input) {
        Ok(s) => s,
        Err(e) => return report::failed(&input.name, &e, None),
    };
    let template = match template::parse(std::sync::Arc::clone(&source)) {
        Ok(t) => t,
        Err(e) => return report::failed(&input.name, &e, Some(&source)),
    };
    if !template.is_cloudformation() {
        if !input.explicit {
            return report::skipped(&input.name);
        }
        let e = LoadError::not_cloudformation(&template);
        return report::failed(&input.name, &e, Some(&source));
    }
    let outcomes = engine::evaluate_template(program, &template, params);
    report::checked(program, options, &input.name, &template, &outcomes)
}
