//! `palisade validate`: templates × policies → report, rendered, and the exit code.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::config::{self, Config};
use super::inputs::{self, Input, Loaded};
use super::{Exit, Format, SeverityArg, UnknownArg, ValidateArgs, output, policies, progress};
use crate::check::ir::Severity;
use crate::check::{ParamOverride, Program};
use crate::engine;
use crate::hash::{HashMap, HashSet};
use crate::model::Parameters;
use crate::render::{self, printable};
use crate::report::{
    self, FileResult, INVALID_SUPPRESSION, Options, Report, UNKNOWN_SUPPRESSION_ID, UnknownPolicy,
};

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
    // `--output -` is standard output, as `-` is standard input among the templates.
    let report_file = args.output.as_deref().filter(|o| *o != Path::new("-"));
    if let Some(path) = report_file {
        if let Err(e) = output::check_writable(path) {
            return cannot_write(path, &e, err);
        }
    }
    let config = match config::load(&args.config, err) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (program, options) = match settle(args, config.as_ref(), err) {
        Ok(settled) => settled,
        Err(exit) => return exit,
    };
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
    let (inputs, input_errors) = inputs::expand_and_warn(&args.paths, err);
    if let Some((file, input)) =
        report_file.and_then(|o| overwritten(o, &inputs).map(|input| (o, input)))
    {
        let _ = writeln!(
            err,
            "error: --output `{}` is the template `{}` being checked; writing the report there would replace it. Choose another file",
            output::shown(file),
            printable(&input.name)
        );
        return Exit::Usage;
    }
    if inputs.len() == 1 {
        super::single_input();
    }
    let mut parts: Vec<FileResult> = input_errors
        .iter()
        .map(|e| report::failed(&e.name, &e.error, None))
        .collect();
    let progress = progress::Progress::start(inputs.len());
    parts.extend(
        inputs
            .par_iter()
            .map(|input| {
                let part = check_input(
                    &program,
                    &options,
                    &params,
                    input,
                    args.ignore_non_templates,
                );
                progress.tick();
                part
            })
            .collect::<Vec<_>>(),
    );
    progress.finish();
    let report = Report::new(parts, &options).with_rules(report::rule_infos(&program, &options));
    // The report is written as it is rendered: with tens of thousands of findings it is
    // larger than the template.
    let render = |w: &mut dyn Write| -> std::io::Result<()> {
        match args.format {
            Format::Json => render::json::render_to(&report, w),
            Format::Sarif => render::sarif::render_to(&report, w),
            Format::Junit => render::junit::render_to(&report, &options, w),
            Format::Text => {
                let style = if report_file.is_some() {
                    render::Style { color: false }
                } else {
                    output::stdout_style()
                };
                let text = render::text::TextOptions {
                    style,
                    quiet: args.quiet,
                    elapsed: Some(started.elapsed()),
                };
                render::text::render_to(&report, &options, &text, w)
            }
        }
    };
    let mut exit = Exit::Ok;
    match report_file {
        Some(path) => {
            if let Err(e) = output::write_report(path, render) {
                return cannot_write(path, &e, err);
            }
        }
        None => {
            // A failure to write is the caller's to report (see `output::Latch`); a closed
            // pipe (`| head`) does not change the verdict.
            let mut buffered = std::io::BufWriter::new(out);
            let _ = render(&mut buffered).and_then(|()| buffered.flush());
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

/// The policies and report options of a run: the command line over the configuration file
/// over the defaults. Lists of paths are replaced by the command line's; params are merged by
/// name; `--skip` adds to the file's `disable` and `--only` takes ids back out of it.
fn settle(
    args: &ValidateArgs,
    config: Option<&Config>,
    err: &mut dyn Write,
) -> Result<(Program, Options), Exit> {
    let mut overrides: Vec<ParamOverride> = Vec::new();
    let cli_overrides = policies::parse_overrides(&args.param_overrides, err)?;
    let no_bundled = args.no_bundled || config.and_then(|c| c.no_bundled).unwrap_or(false);
    if let Some(config) = config {
        overrides.extend(
            config
                .params
                .iter()
                .filter(|p| !cli_overrides.iter().any(|o| o.name == p.name))
                .cloned()
                // A file tuned for the full run may set params of the bundled library, which
                // a run without it does not load.
                .map(|p| ParamOverride {
                    optional: no_bundled && crate::bundled::declares_param(&p.name),
                    ..p
                }),
        );
    }
    overrides.extend(cli_overrides);
    let rules = match config {
        Some(config) if args.rules.is_empty() => {
            config.rules.iter().map(|(p, _)| p.clone()).collect()
        }
        _ => args.rules.clone(),
    };
    let program = policies::load_with(&rules, !no_bundled, &overrides, err)?;
    if let Some(config) = config {
        config.check_ids(&program, !no_bundled, err)?;
    }
    // Ids match whatever their case, and may name palisade's own findings too.
    let mut known = policies::rule_ids(&program);
    known.extend(
        [INVALID_SUPPRESSION, UNKNOWN_SUPPRESSION_ID].map(|id| (id.to_ascii_lowercase(), id)),
    );
    let canonical = |given: &[String]| canonical_ids(&known, &given_ids(given));
    let (only_ids, skip_ids) = match (canonical(&args.only), canonical(&args.skip)) {
        (Ok(only), Ok(skip)) => (only, skip),
        (Err(message), _) | (_, Err(message)) => {
            let _ = writeln!(err, "error: {}", printable(&message));
            return Err(Exit::Usage);
        }
    };
    let only: HashSet<String> = only_ids.iter().cloned().collect();
    let mut skip: HashSet<String> = skip_ids.iter().cloned().collect();
    // The file's ids match whatever their case, as on the command line.
    let spelled = |id: &str| -> String {
        known
            .get(&id.to_ascii_lowercase())
            .copied()
            .unwrap_or(id)
            .to_string()
    };
    if let Some(config) = config {
        skip.extend(
            config
                .disable
                .iter()
                .map(|(id, _)| spelled(id))
                .filter(|id| !only.contains(id)),
        );
    }
    let options = Options {
        fail_on: args
            .fail_on
            .map(Severity::from)
            .or(config.and_then(|c| c.fail_on))
            .unwrap_or(Severity::Low),
        unknown: match (args.unknown, config.and_then(|c| c.unknown)) {
            (Some(UnknownArg::Fail), _) => UnknownPolicy::Fail,
            (Some(UnknownArg::Warn), _) => UnknownPolicy::Warn,
            (None, from_file) => from_file.unwrap_or_default(),
        },
        only,
        skip,
        severities: config
            .map(|c| {
                c.severities
                    .iter()
                    .map(|(id, _, severity)| (spelled(id), *severity))
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok((program, options))
}

/// The ids of `--only` or `--skip`, without the spaces of `--only "SG011, SG012"` and without
/// the empty item a trailing comma leaves.
fn given_ids(given: &[String]) -> Vec<String> {
    given
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reports that the `--output` file cannot be written: a usage error (exit 2).
fn cannot_write(path: &Path, e: &std::io::Error, err: &mut dyn Write) -> Exit {
    let _ = writeln!(err, "error: cannot write `{}`: {e}", output::shown(path));
    let _ = writeln!(
        err,
        "  = help: give `--output` the path of a file in a folder that exists and that you can write to"
    );
    Exit::Usage
}

/// The input that `output` would overwrite, if the report is to be written over a template
/// being checked.
fn overwritten<'i>(output: &Path, inputs: &'i [Input]) -> Option<&'i Input> {
    // A file that does not exist yet is not an input.
    let target = std::fs::canonicalize(output).ok()?;
    inputs.iter().find(|input| {
        input
            .path
            .as_deref()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .is_some_and(|p| p == target)
    })
}

/// `--only` and `--skip` must name ids of `known` (the loaded rules and palisade's own
/// findings about suppressions, by lower-case id); they are returned as the rules spell them.
fn canonical_ids(known: &HashMap<String, &str>, given: &[String]) -> Result<Vec<String>, String> {
    given
        .iter()
        .map(|id| match known.get(&id.to_ascii_lowercase()) {
            Some(id) => Ok((*id).to_string()),
            None => {
                let mut ids: Vec<&str> = known.values().copied().collect();
                ids.sort_unstable();
                Err(format!(
                    "no loaded rule has the id `{id}`; ids: {}",
                    ids.iter().take(40).copied().collect::<Vec<_>>().join(", ")
                ))
            }
        })
        .collect()
}

/// Reads, parses, models and evaluates one input.
fn check_input(
    program: &Program,
    options: &Options,
    params: &Parameters,
    input: &Input,
    ignore_non_templates: bool,
) -> FileResult {
    let mut template = match inputs::load(input, ignore_non_templates) {
        Loaded::Template(t) => engine::with_parameters(t, params),
        Loaded::Skipped => return report::skipped(&input.name),
        Loaded::Failed(e, source) => return report::failed(&input.name, &e, source.as_ref()),
    };
    // Rules that `--only`, `--skip` or the configuration leave out are not evaluated.
    let selected: Vec<bool> = program
        .rules
        .iter()
        .map(|r| options.selects(&r.meta.id))
        .collect();
    // Parsed, the text is needed again only by the report: a large one is held compressed
    // while the model is built and the rules are evaluated.
    if let Some(source) = Arc::get_mut(&mut template.source) {
        source.pack();
    }
    let outcomes = engine::evaluate_template_selected(program, &template, params, &selected);
    report::checked(program, options, &input.name, template, outcomes)
}
