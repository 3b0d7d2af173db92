//! Which templates a command reads: files, folders (walked recursively) and `-` for stdin.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::render::printable;
use crate::source::SourceFile;
use crate::template::{self, LoadError, Template};

/// Extensions a folder walk picks up.
pub const TEMPLATE_EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "template"];

/// One template to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// Where to read it from; `None` for standard input.
    pub path: Option<PathBuf>,
    /// The name shown in reports: the path as given (or as found under a given folder).
    pub name: String,
    /// True when the user named it directly (not found by walking a folder).
    pub explicit: bool,
}

/// A path that could not be expanded into inputs.
#[derive(Debug)]
pub struct InputError {
    /// The name shown for it.
    pub name: String,
    /// Why.
    pub error: LoadError,
}

/// The command-line paths, expanded.
#[derive(Debug, Default)]
pub struct Expanded {
    /// The templates to read, in a deterministic order: the order given, and sorted by path
    /// inside each folder.
    pub inputs: Vec<Input>,
    /// Folders that could not be read.
    pub errors: Vec<InputError>,
    /// Folders given on the command line in which no file has a template extension: nothing
    /// in them is checked, which the user is told (a renamed folder must not pass silently).
    pub empty_folders: Vec<String>,
}

impl Expanded {
    /// The warning for each folder without templates, one line each, with the control
    /// characters of its name escaped.
    pub fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        self.empty_folders.iter().map(|name| {
            format!(
                "warning: folder `{}` holds no template files (*.{}); nothing in it was checked",
                printable(name),
                TEMPLATE_EXTENSIONS.join(", *.")
            )
        })
    }
}

/// [`expand`], writing the warnings to `err`: the inputs and the folders that could not be
/// read.
pub fn expand_and_warn(
    paths: &[PathBuf],
    err: &mut dyn std::io::Write,
) -> (Vec<Input>, Vec<InputError>) {
    let expanded = expand(paths);
    for warning in expanded.warnings() {
        let _ = writeln!(err, "{warning}");
    }
    (expanded.inputs, expanded.errors)
}

/// Expands command-line paths into inputs.
pub fn expand(paths: &[PathBuf]) -> Expanded {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut empty_folders = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                path: None,
                name: "<stdin>".to_string(),
                explicit: true,
            });
        } else if path.is_dir() {
            let (found, unreadable) = files_under(path, &has_template_extension);
            if found.is_empty() && unreadable.is_empty() {
                empty_folders.push(display(path));
            }
            errors.extend(unreadable.into_iter().map(|(dir, e)| InputError {
                name: display(&dir),
                error: LoadError::new(
                    "input::unreadable",
                    format!("cannot read folder `{}`: {e}", dir.display()),
                    None,
                )
                .with_help("check the folder's permissions (palisade needs to list it and read its files), or leave it out"),
            }));
            inputs.extend(found.into_iter().map(|p| Input {
                name: display(&p),
                path: Some(p),
                explicit: false,
            }));
        } else {
            inputs.push(Input {
                name: display(path),
                path: Some(path.clone()),
                explicit: true,
            });
        }
    }
    Expanded {
        inputs,
        errors,
        empty_folders,
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The files under `dir`, recursively, for which `keep` holds, sorted by path; and the folders
/// that could not be read. Hidden folders (`.git`, `.aws-sam` build output) are skipped;
/// whether hidden files count is `keep`'s call (template generators name some of theirs that
/// way).
pub fn files_under(
    dir: &Path,
    keep: &dyn Fn(&Path) -> bool,
) -> (Vec<PathBuf>, Vec<(PathBuf, std::io::Error)>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push((dir, e));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !is_hidden(&path) {
                    todo.push(path);
                }
            } else if keep(&path) && can_open(&path, kind) {
                found.push(path);
            }
        }
    }
    found.sort();
    (found, errors)
}

/// False for what a folder walk must not open, directly or behind a symbolic link: a FIFO
/// (opening it waits for a writer that may never come), a socket or a device (which may never
/// end), a folder reached by a link (links are not walked, so that a loop cannot be). A broken
/// link is kept, to be reported as unreadable.
fn can_open(path: &Path, kind: std::fs::FileType) -> bool {
    kind.is_file()
        || (kind.is_symlink() && std::fs::metadata(path).ok().is_none_or(|m| m.is_file()))
}

/// True for a file or folder whose name starts with a dot.
pub fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn has_template_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        TEMPLATE_EXTENSIONS
            .iter()
            .any(|t| t.eq_ignore_ascii_case(e))
    })
}

/// Reads an input's text.
pub fn read(input: &Input) -> Result<Arc<SourceFile>, LoadError> {
    match &input.path {
        Some(path) => template::read_file(path, input.name.clone()),
        None => template::read_stream(input.name.clone(), std::io::stdin().lock()),
    }
}

/// What reading an input gave.
#[derive(Debug)]
pub enum Loaded {
    /// A CloudFormation template.
    Template(Template),
    /// Not a CloudFormation template, met while walking a folder (or told to skip such files).
    Skipped,
    /// Unreadable, not YAML or JSON, or named explicitly and not a template; with the text when
    /// it was read, for positions.
    Failed(LoadError, Option<Arc<SourceFile>>),
}

/// Reads and parses an input. A file that is not a CloudFormation template is an error when it
/// was named explicitly (unless `skip_non_templates`), and skipped when a folder walk found it.
pub fn load(input: &Input, skip_non_templates: bool) -> Loaded {
    let source = match read(input) {
        Ok(s) => s,
        Err(e) => return Loaded::Failed(e, None),
    };
    let template = match template::parse(Arc::clone(&source)) {
        Ok(t) => t,
        Err(e) => return Loaded::Failed(e, Some(source)),
    };
    if template.is_cloudformation() {
        match template.check_resources() {
            Ok(()) => Loaded::Template(template),
            Err(e) => Loaded::Failed(e, Some(source)),
        }
    } else if !input.explicit || skip_non_templates {
        Loaded::Skipped
    } else {
        Loaded::Failed(LoadError::not_cloudformation(&template), Some(source))
    }
}
