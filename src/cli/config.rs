//! The configuration file, `palisade.toml`: the policies a repository runs and what fails it,
//! written once instead of on every command line.
//!
//! Found by walking up from the working directory (or named with `--config`; `--no-config`
//! ignores it). Keys: `rules` (policy files or folders, relative to the file), `no_bundled`,
//! `params` (param name → value, like `--param-override`), `severity` (rule id → severity),
//! `disable` (rule ids, like `--skip`), `fail_on`, `unknown`. An unknown key, a value of the
//! wrong type or an id no loaded rule has is an error at its line and column (exit 2).
//! Command-line flags win over the file.
//!
//! The output format is deliberately not a key: the same repository is checked with text
//! output on a terminal and with SARIF or JUnit in CI, while what is checked stays the same.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigArgs, Exit, output};
use crate::check::ir::Severity;
use crate::check::{OverrideOrigin, ParamOverride, Program};
use crate::diag::{Code, Diagnostic};
use crate::render;
use crate::report::UnknownPolicy;
use crate::source::{SourceFile, Span};

/// The file name looked for.
pub const FILE_NAME: &str = "palisade.toml";

/// The file as written; every key optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    no_bundled: Option<bool>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, serde_json::Value>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    unknown: Option<UnknownPolicy>,
}

/// A loaded configuration file.
#[derive(Debug)]
pub struct Config {
    /// The file, for positions in errors.
    pub source: Arc<SourceFile>,
    /// Policy files or folders, relative to the working directory, each with its place in the
    /// file.
    pub rules: Vec<(PathBuf, Span)>,
    /// Whether to leave out the bundled policies.
    pub no_bundled: Option<bool>,
    /// Param overrides, each pointing back into the file.
    pub params: Vec<ParamOverride>,
    /// Severity per rule id, with the id's place in the file.
    pub severities: Vec<(String, Span, Severity)>,
    /// Rule ids not to report, with their places in the file.
    pub disable: Vec<(String, Span)>,
    /// Findings at or above this severity fail the run.
    pub fail_on: Option<Severity>,
    /// What unknown outcomes do.
    pub unknown: Option<UnknownPolicy>,
}

/// The configuration in force: `--config FILE`, else `palisade.toml` in the working directory
/// or the nearest folder above it, else none. Problems are printed to `err`.
pub fn load(args: &ConfigArgs, err: &mut dyn Write) -> Result<Option<Config>, Exit> {
    if args.no_config {
        return Ok(None);
    }
    let path = match &args.config {
        Some(path) => path.clone(),
        None => match find() {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    // Read as templates are, so that a FIFO or a device given as `--config` cannot hang.
    let source = match crate::template::read_file(&path, path.to_string_lossy()) {
        Ok(source) => source,
        Err(e) => {
            let message = if e.code == "input::unreadable" {
                e.message
                    .replacen("cannot read", "cannot read configuration file", 1)
            } else {
                format!("configuration file `{}`: {}", path.display(), e.message)
            };
            let _ = writeln!(err, "error: {}", render::printable(&message));
            return Err(Exit::Usage);
        }
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    parse(&source, dir)
        .and_then(|config| missing_rules(&config, dir).map_or(Ok(config), Err))
        .map(Some)
        .map_err(|d| {
            let _ = write!(
                err,
                "{}",
                render::diagnostic::render(&d, output::stderr_style().color)
            );
            Exit::Usage
        })
}

/// The policy paths of `rules` and `explain`: `--rules` if given, else the configuration
/// file's `rules`.
pub fn rule_paths(
    rules: &[PathBuf],
    args: &ConfigArgs,
    err: &mut dyn Write,
) -> Result<Vec<PathBuf>, Exit> {
    let config = load(args, err)?;
    Ok(match config {
        Some(config) if rules.is_empty() => config.rules.into_iter().map(|(p, _)| p).collect(),
        _ => rules.to_vec(),
    })
}

/// `palisade.toml` in the working directory or the nearest folder above it, as a relative
/// path (`palisade.toml`, `../palisade.toml`, …) so the paths derived from it stay short.
fn find() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut relative = PathBuf::new();
    for dir in cwd.ancestors() {
        if dir.join(FILE_NAME).is_file() {
            return Some(relative.join(FILE_NAME));
        }
        relative.push("..");
    }
    None
}

fn error(source: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::InvalidConfig, source, span, message)
}

fn span_of<T>(value: &Spanned<T>) -> Span {
    let range = value.span();
    Span::new(range.start as u32, range.end as u32)
}

/// Reads the file's text; `dir` is the folder relative paths in it are relative to.
pub fn parse(source: &Arc<SourceFile>, dir: &Path) -> Result<Config, Diagnostic> {
    let raw: Raw = toml::from_str(source.text()).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::at(0), |r| Span::new(r.start as u32, r.end as u32));
        error(source, span, first_line(e.message())).with_help(
            "the keys and their types are listed under `palisade.toml` in the CLI reference (docs/cli.md)",
        )
    })?;
    let severity = |value: &Spanned<String>| {
        Severity::parse(value.get_ref()).ok_or_else(|| {
            error(
                source,
                span_of(value),
                format!("`{}` is not a severity", value.get_ref()),
            )
            .with_label("expected a severity")
            .with_help("use one of info, low, medium, high, critical")
        })
    };
    let mut severities = Vec::new();
    for (id, value) in &raw.severity {
        severities.push((id.get_ref().clone(), span_of(id), severity(value)?));
    }
    Ok(Config {
        rules: raw
            .rules
            .iter()
            .map(|r| (dir.join(r.get_ref()), span_of(r)))
            .collect(),
        no_bundled: raw.no_bundled,
        params: raw
            .params
            .into_iter()
            .map(|(name, value)| ParamOverride {
                optional: false,
                origin: Some(OverrideOrigin {
                    file: Arc::clone(source),
                    span: span_of(&name),
                }),
                name: name.into_inner(),
                value,
            })
            .collect(),
        severities,
        disable: raw
            .disable
            .iter()
            .map(|id| (id.get_ref().clone(), span_of(id)))
            .collect(),
        fail_on: raw.fail_on.as_ref().map(severity).transpose()?,
        unknown: raw.unknown,
        source: Arc::clone(source),
    })
}

/// An error at the first path of `rules` that names nothing, as written in the file.
fn missing_rules(config: &Config, dir: &Path) -> Option<Diagnostic> {
    let (_, span) = config.rules.iter().find(|(path, _)| !path.exists())?;
    let written = config.source.slice(*span).trim_matches('"');
    let folder = if dir.as_os_str().is_empty() {
        "the working directory".to_string()
    } else {
        format!("`{}`", dir.display())
    };
    Some(
        error(
            &config.source,
            *span,
            format!("policy path `{written}` does not exist"),
        )
        .with_label("no such file or folder")
        .with_help(format!(
            "paths in `rules` are relative to the folder of {FILE_NAME} ({folder}); correct the path, or create the policy file"
        )),
    )
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

impl Config {
    /// Every rule id the file names must belong to a loaded rule, or to a bundled rule when
    /// the bundled library is not loaded (`--no-bundled` with the repository's configuration
    /// for the full run: such entries have nothing to act on); the first that does not is
    /// printed to `err`.
    pub fn check_ids(
        &self,
        program: &Program,
        bundled_loaded: bool,
        err: &mut dyn Write,
    ) -> Result<(), Exit> {
        // Ids match whatever their case, as `--only` and `--skip` do.
        let known = super::policies::rule_ids(program);
        let named = self
            .severities
            .iter()
            .map(|(id, span, _)| (id, *span))
            .chain(self.disable.iter().map(|(id, span)| (id, *span)));
        for (id, span) in named {
            if !known.contains_key(&id.to_ascii_lowercase())
                && (bundled_loaded || !crate::bundled::has_id(id))
            {
                let d = error(
                    &self.source,
                    span,
                    format!("no loaded rule has the id `{id}`"),
                )
                .with_label("unknown rule id")
                .with_help("`palisade rules` lists the ids of the loaded rules");
                let _ = write!(
                    err,
                    "{}",
                    render::diagnostic::render(&d, output::stderr_style().color)
                );
                return Err(Exit::Usage);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Config, Diagnostic> {
        let source = Arc::new(SourceFile::new("conf/palisade.toml", text));
        parse(&source, Path::new("conf"))
    }

    #[test]
    fn reads_every_key() {
        let c = parsed(
            "rules = [\"org\", \"/abs/x.guard\"]\nno_bundled = true\nfail_on = \"high\"\nunknown = \"warn\"\ndisable = [\"SG060\"]\n[params]\nhigh_risk_ports = [22, 3389]\nname_pattern = \"^app-\"\n[severity]\nSG050 = \"info\"\n",
        )
        .unwrap();
        let paths: Vec<&PathBuf> = c.rules.iter().map(|(p, _)| p).collect();
        assert_eq!(paths, [Path::new("conf/org"), Path::new("/abs/x.guard")]);
        assert_eq!(c.no_bundled, Some(true));
        assert_eq!(c.fail_on, Some(Severity::High));
        assert_eq!(c.unknown, Some(UnknownPolicy::Warn));
        assert_eq!(c.disable.len(), 1);
        assert_eq!(c.severities[0].0, "SG050");
        assert_eq!(c.severities[0].2, Severity::Info);
        let ports = c
            .params
            .iter()
            .find(|p| p.name == "high_risk_ports")
            .unwrap();
        assert_eq!(ports.value, serde_json::json!([22, 3389]));
        let origin = ports.origin.as_ref().unwrap();
        assert_eq!(origin.file.slice(origin.span), "high_risk_ports");
    }

    #[test]
    fn errors_point_at_the_key_or_value() {
        let e = parsed("fail_on = \"low\"\ncolour = true\n").unwrap_err();
        assert_eq!(e.position().line, 2);
        assert_eq!(e.file.slice(e.span), "colour");
        assert!(
            e.message.contains("unknown field `colour`"),
            "{}",
            e.message
        );

        let e = parsed("no_bundled = \"yes\"\n").unwrap_err();
        assert_eq!(e.file.slice(e.span), "\"yes\"");

        let e = parsed("[severity]\nSG011 = \"hihg\"\n").unwrap_err();
        assert_eq!(e.position().line, 2);
        assert_eq!(e.file.slice(e.span), "\"hihg\"");
        assert!(e.message.contains("`hihg` is not a severity"));
    }
}
