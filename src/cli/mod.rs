//! The command-line interface: argument parsing and one module per subcommand.
//!
//! Top of the pipeline. Subcommands write to injected writers so tests can run them
//! in-process; only [`main`] touches the real standard streams and the exit code.

pub mod exit;
mod inputs;
mod model;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use exit::Exit;

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0   nothing at or above --fail-on
  19  findings at or above --fail-on (and, with --unknown fail, unknown outcomes)
  4   a template could not be read or parsed
  5   a policy file is invalid
  7   test: an expectation did not hold
  1   test: a test file is invalid
  2   bad command-line usage
When several apply, the first in the order 2, 5, 1, 4, 7, 19, 0 wins.";

const MODEL_HELP: &str = "\
Output: one JSON document {security_groups, rules, attachments, vpcs, errors, skipped}, with the
entries of all templates in input order; every entry has file, line, column and path. Files found
in folders that are not CloudFormation templates (no `Resources` map) are listed in `skipped`.
Pseudo parameters such as AWS::Region are unknown unless given, e.g. --param AWS::Region=eu-west-1.

Exit codes: 0 the model was printed; 4 a template could not be read or parsed, or a file named on
the command line is not a template; 2 bad usage (including unreadable parameter values).";

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
    /// Print the security-group model of templates as JSON.
    #[command(after_help = MODEL_HELP)]
    Model(ModelArgs),
}

/// Options of `palisade model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Templates or folders (searched recursively for *.yaml, *.yml, *.json, *.template);
    /// `-` reads standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Parameter values: the JSON list written by `aws cloudformation deploy`
    /// (`[{"ParameterKey": …, "ParameterValue": …}]`) or a plain JSON/YAML map.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,

    /// A parameter value, `Key=Value`; repeatable; wins over --parameters.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

/// Parses the process arguments, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors.
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage {
                Exit::Usage.into()
            } else {
                Exit::Ok.into()
            };
        }
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run(cli, &mut stdout.lock(), &mut stderr.lock()).into()
}

/// Runs a parsed command line, writing results to `out` and problems to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match cli.command {
        Command::Model(args) => model::run(&args, out, err),
    }
}
