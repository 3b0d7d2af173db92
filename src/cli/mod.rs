//! The command-line interface: argument parsing and one module per subcommand.
//!
//! Top of the pipeline. Subcommands write to injected writers so tests can run them
//! in-process; only [`main`] touches the real standard streams and the exit code.

mod config;
pub mod exit;
pub mod inputs;
mod model;
mod output;
mod policies;
mod progress;
mod rules;
mod test;
mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub use exit::Exit;

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0   nothing at or above --fail-on
  19  findings at or above --fail-on (and, with --unknown fail, unknown outcomes)
  4   a template could not be read or parsed
  5   a policy file is invalid
  7   test: an expectation did not hold
  1   test: a test file is invalid
  2   bad command-line usage, or output that cannot be written
When several apply, the first in the order 2, 5, 1, 4, 7, 19, 0 wins.";

const MODEL_HELP: &str = "\
Output: one JSON document {security_groups, rules, attachments, vpcs, errors, skipped}, with the
entries of all templates in input order; every entry has file, line, column and path. Files found
in folders that are not CloudFormation templates (no `Resources` map) are listed in `skipped`.
Pseudo parameters such as AWS::Region are unknown unless given, e.g. --param AWS::Region=eu-west-1.

Exit codes: 0 the model was printed; 4 a template could not be read or parsed, or a file named on
the command line is not a template; 2 bad usage (including unreadable parameter values), or
output that cannot be written.";

/// What `palisade test --help` adds after the options.
const TEST_HELP: &str = "\
Exit codes: 0 every expectation held; 7 an expectation did not hold; 1 a test file is invalid
(a case that tests nothing, an input that is not a template, a rule name no policy defines);
5 a policy file is invalid; 2 bad usage.";

/// Policy-as-code checker for AWS CloudFormation, with a precise model of EC2 security groups.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check templates against the bundled policies and your own.
    Validate(ValidateArgs),
    /// Run policy unit tests (Guard's test-file format).
    #[command(after_help = TEST_HELP)]
    Test(TestArgs),
    /// List the loaded rules (the bundled ones and those of `--rules`): id, severity, title.
    Rules(RulesArgs),
    /// Explain a rule: what it checks, why it matters, how to fix, examples.
    Explain(ExplainArgs),
    /// Print the security-group model of templates as JSON.
    #[command(after_help = MODEL_HELP)]
    Model(ModelArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: findings with their source lines, and a summary.
    Text,
    /// The JSON report, schema `palisade/report/v1`.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// JUnit XML: one test case per template × rule.
    Junit,
}

/// Which configuration file applies.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    /// Read this configuration file instead of looking for `palisade.toml` in the working
    /// directory and the folders above it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Read no configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

/// Severities, for `--fail-on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    /// Info.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// What unknown outcomes do to the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UnknownArg {
    /// Unknown outcomes fail the run (exit 19), like failures.
    Fail,
    /// Unknown outcomes are reported but do not fail the run.
    Warn,
}

/// Parameter values for templates.
#[derive(Debug, Args, Clone, Default)]
pub struct ParameterArgs {
    /// Parameter values: the JSON list written by `aws cloudformation deploy`
    /// (`[{"ParameterKey": …, "ParameterValue": …}]`) or a plain JSON/YAML map.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,

    /// A parameter value, `Key=Value`; repeatable; wins over --parameters.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

/// Options of `palisade validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Templates or folders (searched recursively for *.yaml, *.yml, *.json, *.template);
    /// `-` reads standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Policy files or folders of *.guard files, checked in addition to the bundled policies.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,

    /// Do not load the bundled policies.
    #[arg(long)]
    pub no_bundled: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    #[command(flatten)]
    pub parameters: ParameterArgs,

    /// Override a policy `param`: `NAME=JSON`, e.g. `high_risk_ports=[22,3389]`; repeatable.
    #[arg(long = "param-override", value_name = "NAME=JSON")]
    pub param_overrides: Vec<String>,

    /// Fail (exit 19) on findings of this severity or higher [default: low].
    #[arg(long, value_enum)]
    pub fail_on: Option<SeverityArg>,

    /// Whether unknown outcomes fail the run [default: fail].
    #[arg(long, value_enum)]
    pub unknown: Option<UnknownArg>,

    /// Report only these rule ids; repeatable or comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Do not report these rule ids; repeatable or comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Write the report to FILE (atomically) instead of standard output; `-` is standard
    /// output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print only failing findings (one line each) and the summary.
    #[arg(long, short)]
    pub quiet: bool,

    /// Treat named files that are not CloudFormation templates as skipped, as when they are
    /// found in a folder (for hooks that pass every YAML and JSON file).
    #[arg(long)]
    pub ignore_non_templates: bool,

    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Options of `palisade test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy files or folders of *.guard files. Without it, the bundled policies and their
    /// tests are run.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,

    /// Test files or folders. Without it, each `NAME.guard` is tested by `NAME.tests.yaml`
    /// next to it (or by files starting with NAME in a `tests/` folder next to it).
    #[arg(long = "tests", value_name = "FILE|DIR")]
    pub tests: Vec<PathBuf>,

    /// Rewrite each case's `findings:` with the findings observed now, so a change in
    /// verdicts shows up as a reviewable diff.
    #[arg(long)]
    pub update: bool,

    /// Print only failing cases and the summary.
    #[arg(long, short)]
    pub quiet: bool,

    /// Override a policy `param` for every case, as `validate` does: `NAME=JSON`, e.g.
    /// `approved_types=["t3.micro"]`; repeatable. Tests the values a gate runs with.
    #[arg(long = "param-override", value_name = "NAME=JSON")]
    pub param_overrides: Vec<String>,
}

/// Options of `palisade rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,

    /// Also list the rules of these policy files or folders.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,

    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Output formats of `palisade rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Text,
    /// A JSON list.
    Json,
    /// The Markdown catalogue (as in docs/policies.md).
    Markdown,
}

/// Options of `palisade explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. SG011 (or a rule name).
    #[arg(value_name = "ID")]
    pub id: String,

    /// Also look in these policy files or folders.
    #[arg(long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,

    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Options of `palisade model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Templates or folders (searched recursively for *.yaml, *.yml, *.json, *.template);
    /// `-` reads standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub parameters: ParameterArgs,
}

/// Options of `palisade completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What the binary runs before `validate` checks a single input, on the main thread while it
/// is the only one (see [`on_single_input`]).
static SINGLE_INPUT_HOOK: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets what runs before `validate` checks a single input, while the main thread is the
/// process's only thread. The binary tunes its allocator there: one template is read, modelled
/// and evaluated in phases that each free most of what the one before allocated, whereas the
/// files of a folder reuse each other's memory. Only the first call counts.
pub fn on_single_input(hook: fn()) {
    let _ = SINGLE_INPUT_HOOK.set(hook);
}

/// Runs the hook set by [`on_single_input`], if any.
fn single_input() {
    if let Some(hook) = SINGLE_INPUT_HOOK.get() {
        hook();
    }
}

/// Parses the process arguments, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors.
            let usage = e.use_stderr();
            if usage && arguments_hold_control_characters() {
                eprint!("{}", usage_error_escaped());
                return Exit::Usage.into();
            }
            if let Err(write) = e.print() {
                if write.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("error: cannot write to standard output: {write}");
                    return Exit::Usage.into();
                }
            }
            return if usage {
                Exit::Usage.into()
            } else {
                Exit::Ok.into()
            };
        }
    };
    let stdout = std::io::stdout();
    let mut out = output::Latch::new(stdout.lock());
    // Standard error stays unlocked: the progress bar writes to it from other threads.
    let mut err = std::io::stderr();
    let exit = run(cli, &mut out, &mut err);
    match out.finish() {
        Some(e) => {
            // A report that was never written must not pass a gate: exit 2, as for an
            // `--output` file that cannot be written.
            let _ = writeln!(err, "error: cannot write to standard output: {e}");
            exit.combine(Exit::Usage).into()
        }
        None => exit.into(),
    }
}

/// True when an argument holds a character that must not reach a terminal as it is (see
/// [`crate::render::printable`]); clap's errors quote arguments as they are.
fn arguments_hold_control_characters() -> bool {
    std::env::args_os().any(|a| a.to_string_lossy().chars().any(crate::render::is_unsafe))
}

/// The usage error of this command line, without colour and with the control characters of
/// the arguments it quotes escaped, line by line.
fn usage_error_escaped() -> String {
    let plain = Cli::command().styles(clap::builder::Styles::plain());
    let text = match plain.try_get_matches_from(std::env::args_os()) {
        Err(e) => e.render().ansi().to_string(),
        Ok(_) => String::new(),
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(&crate::render::printable(line));
        out.push('\n');
    }
    out
}

/// Runs a parsed command line, writing results to `out` and problems to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match cli.command {
        Command::Validate(args) => validate::run(&args, out, err),
        Command::Test(args) => test::run(&args, out, err),
        Command::Rules(args) => rules::list(&args, out, err),
        Command::Explain(args) => rules::explain(&args, out, err),
        Command::Model(args) => model::run(&args, out, err),
        Command::Completions(args) => {
            // Generated in memory: the generator panics when it cannot write.
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "palisade", &mut script);
            let _ = out.write_all(&script);
            Exit::Ok
        }
    }
}
