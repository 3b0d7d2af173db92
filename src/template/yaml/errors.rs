//! YAML load errors: libyaml's problems in words a person can act on, and the checks that
//! keep libyaml-safer 0.3 from panicking on inputs libyaml itself rejects.

use libyaml_safer::{ErrorKind, TokenData};

use super::{Input, scan_tokens};
use crate::source::{SourceFile, Span};
use crate::template::LoadError;

/// Bytes the `!tag,` checks may scan in all, beyond four times the text (each check scans the
/// text before its place); past this the panic net in `parse` is the guard.
const TAG_CHECK_BUDGET: usize = 1 << 20;

/// libyaml's problem, with its position and context, as a `yaml::syntax` error.
pub(super) fn syntax(
    source: &SourceFile,
    input: &Input<'_>,
    e: &libyaml_safer::Error,
) -> LoadError {
    if e.kind() == ErrorKind::Reader {
        if let Some(error) = control_character(input) {
            return error;
        }
    }
    let problem = e.problem();
    let at = e
        .problem_mark()
        .map(|m| char_span(input, input.offset(m.index)));
    if let Some(error) = at.and_then(|at| long_key(source, problem, at)) {
        return error;
    }
    let mut message = format!("invalid YAML: {}", backquote(problem));
    let mut related = None;
    if let (Some(context), Some(mark)) = (e.context(), e.context_mark()) {
        let offset = input.offset(mark.index);
        let pos = source.position(offset);
        message.push_str(&format!(
            " ({} that starts at line {}, column {})",
            backquote(context),
            pos.line,
            pos.column
        ));
        // "while scanning a quoted scalar" → "a quoted scalar"
        let what = context.splitn(3, ' ').nth(2).unwrap_or(context);
        related = Some((char_span(input, offset), format!("{what} starts here")));
    }
    let error = LoadError::new("yaml::syntax", message, at).with_help(help(problem));
    match related {
        Some((span, label)) => error.with_related(span, label),
        None => error,
    }
}

/// Longest key YAML reads without a `?` (its "simple key" limit).
const MAX_SIMPLE_KEY: usize = 1024;

/// libyaml says only "mapping values are not allowed" at the `:` after a key longer than
/// [`MAX_SIMPLE_KEY`] characters; this says what is wrong instead.
fn long_key(source: &SourceFile, problem: &str, at: Span) -> Option<LoadError> {
    if problem != "mapping values are not allowed in this context" {
        return None;
    }
    let text = source.text();
    let line_start = text
        .get(..at.start as usize)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let before = text.get(line_start..at.start as usize)?.trim_end();
    let key = before.trim_start().trim_start_matches("- ").trim_start();
    // One key alone before the `:`: a quoted one, or a plain one with no `: ` of its own (else
    // the line holds a map already and the `:` is in the wrong place, whatever the lengths).
    let alone = match key.chars().next() {
        Some(q @ ('"' | '\'')) => key.len() >= 2 && key.ends_with(q),
        _ => !key.contains(": "),
    };
    let length = key.chars().count();
    if !alone || length <= MAX_SIMPLE_KEY {
        return None;
    }
    // The key ends where `before` does, spaces before the `:` left out.
    let end = (line_start + before.len()) as u32;
    Some(
        LoadError::new(
            "yaml::syntax",
            format!(
                "invalid YAML: this key is {length} characters long; YAML reads a key of at most {MAX_SIMPLE_KEY} characters unless it is written as an explicit key"
            ),
            Some(Span::new(end - key.len() as u32, end)),
        )
        .with_help("shorten the key, or write it as an explicit key: `? key` on its own line, then `: value` on the next"),
    )
}

/// libyaml quotes with `'…'`; palisade's messages use backquotes.
fn backquote(text: &str) -> String {
    text.replace('\'', "`")
}

/// The span of the character at `offset` (empty at the end of the file).
fn char_span(input: &Input<'_>, offset: u32) -> Span {
    let width = input
        .body
        .get(offset.saturating_sub(input.base) as usize..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8);
    Span::new(offset, offset + width as u32)
}

/// What to do about a libyaml problem.
fn help(problem: &str) -> &'static str {
    match problem {
        "mapping values are not allowed in this context" => {
            "a `: ` inside a plain value starts a key; put the value in quotes, or check the indentation"
        }
        "did not find expected key" => {
            "check the indentation: the keys of one map start in the same column"
        }
        "could not find expected ':'" => {
            "a key needs a `:` after it; put a value that spans lines in quotes, or check the indentation"
        }
        "found character that cannot start any token" => {
            "tabs cannot indent YAML, and `@` or a backquote cannot start a value; use spaces, or put the value in quotes"
        }
        "found a tab character that violates indentation"
        | "found a tab character where an indentation space is expected" => {
            "indent YAML with spaces, not tabs"
        }
        "found unexpected end of stream" => {
            "the file ends inside a quoted value or an open `[` or `{`; close it"
        }
        "did not find expected ',' or ']'" => {
            "separate list items with `,` and close the list with `]`"
        }
        "did not find expected ',' or '}'" => {
            "separate map entries with `,` and close the map with `}`"
        }
        "block sequence entries are not allowed in this context" => {
            "a `- ` item cannot follow a key on the same line; start the list on the next line, indented"
        }
        "did not find expected '-' indicator" => {
            "the items of a list start with `- ` in the same column"
        }
        "did not find expected node content" => "a value is missing here",
        "found undefined tag handle" => {
            "a tag like `!name!x` needs a `%TAG` directive; CloudFormation tags are written `!Ref`, `!Sub`, …"
        }
        "found unknown escape character" => {
            "double-quoted strings allow escapes such as `\\n` and `\\\\`; write a backslash as `\\\\`, or use single quotes"
        }
        "did not find expected whitespace or line break" => {
            "put a space between a tag and its value, e.g. `!Ref Name`"
        }
        "did not find expected alphabetic or numeric character" => {
            "anchor and alias names (`&name`, `*name`) are made of letters, digits, `-` and `_`"
        }
        _ => {
            "fix the YAML syntax at this position; an editor with YAML support shows the structure"
        }
    }
}

/// The first character libyaml refuses (control characters other than tab and line breaks).
fn control_character(input: &Input<'_>) -> Option<LoadError> {
    let (i, c) = input.body.char_indices().find(|&(_, c)| !allowed(c))?;
    let start = input.base + i as u32;
    Some(
        LoadError::new(
            "yaml::control-character",
            format!(
                "control character U+{:04X} is not allowed in YAML",
                c as u32
            ),
            Some(Span::new(start, start + c.len_utf8() as u32)),
        )
        .with_help(
            "remove it, or write it as an escape in a double-quoted string, e.g. `\"\\x07\"`",
        ),
    )
}

/// Characters YAML allows in a stream (the printable set of YAML 1.2, §5.1).
fn allowed(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
        | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// libyaml-safer 0.3 panics ("TODO: What is expected here?" in its tag scanner) when a tag in
/// a flow collection is followed directly by `,` (`[!Ref, X]`), where libyaml reports an
/// error. Finds such a tag before the real parse and reports it as libyaml's siblings do.
///
/// A candidate is a `!` whose run of tag characters ends at a `,`; it is a real tag only if
/// libyaml's scanner, run over the text before the comma, yields a tag token ending there
/// inside a flow collection (in a string or comment it is not one).
pub(super) fn tag_before_comma(input: &Input<'_>) -> Option<LoadError> {
    let bytes = input.bytes();
    let mut budget = TAG_CHECK_BUDGET.saturating_add(bytes.len().saturating_mul(4));
    let mut from = 0;
    while let Some(bang) = bytes
        .iter()
        .skip(from)
        .position(|&b| b == b'!')
        .map(|i| i + from)
    {
        // A `!` inside this run belongs to the same tag (or to none): skip the whole run.
        let run_end = if bytes.get(bang + 1) == Some(&b'<') {
            match bytes.iter().skip(bang).position(|&b| b == b'>') {
                Some(close) => bang + close + 1,
                None => return None,
            }
        } else {
            bang + 1
                + bytes
                    .iter()
                    .skip(bang + 1)
                    .take_while(|&&b| is_tag_char(b))
                    .count()
        };
        from = run_end.max(bang + 1);
        let comma = run_end;
        if bytes.get(comma) != Some(&b',') {
            continue;
        }
        budget = budget.checked_sub(comma)?;
        let end = input.base + comma as u32;
        let found = scan_tokens(input, comma, |token, start, stop, flow| {
            (matches!(token, TokenData::Tag { .. }) && stop == end).then_some((start, flow > 0))
        });
        match found {
            Ok(Some((start, true))) => {
                return Some(
                    LoadError::new(
                        "yaml::syntax",
                        "invalid YAML: a tag must be followed by a space or a line break, found `,`",
                        Some(Span::new(start, end + 1)),
                    )
                    .with_help("give the tag a value (`!Ref Name`) or remove it"),
                );
            }
            // A tag outside a flow collection: libyaml reports it itself.
            Ok(Some((_, false))) => return None,
            Ok(None) => {}
            // The text before this point is already invalid: libyaml stops there.
            Err(at) if at < input.base + bang as u32 => return None,
            Err(_) => {}
        }
    }
    None
}

/// Characters libyaml reads as part of a `!tag` (letters, digits and the URI characters it
/// accepts outside verbatim tags).
fn is_tag_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_;/?:@&=+$.%!~*'()".contains(&b)
}

/// `yaml::multiple-documents` at the start of the second document.
pub(super) fn second_document(at: Span) -> LoadError {
    LoadError::new(
        "yaml::multiple-documents",
        "the file holds a second YAML document; a template is one document",
        Some(at),
    )
    .with_help("CloudFormation reads one document per template: remove this `---` and what follows, or split the file in two")
}

/// `yaml::invalid-merge`: a merge key (`<<`) whose value is not a map or a list of maps.
pub(super) fn invalid_merge(at: Span) -> LoadError {
    LoadError::new(
        "yaml::invalid-merge",
        "the merge key `<<` takes a map (an alias of one, `*name`) or a list of maps",
        Some(at),
    )
    .with_help("write `<<: *name` where `&name` marks a map, or quote the key (`\"<<\"`) if it is meant as text")
}

/// `yaml::complex-key`: a list, a map or a tagged value used as a map key.
pub(super) fn complex_key(at: Span, tag: Option<&str>) -> LoadError {
    let message = match tag {
        Some(tag) => format!("a map key cannot be a tagged value (`{tag}`)"),
        None => "a map key must be text, not a list, a map or a number".to_string(),
    };
    LoadError::new("yaml::complex-key", message, Some(at))
        .with_help("CloudFormation keys are names: write the key as plain text")
}

/// `yaml::unknown-alias`.
pub(super) fn unknown_alias(at: Span, name: &str) -> LoadError {
    LoadError::new(
        "yaml::unknown-alias",
        format!("alias `*{name}` refers to no anchor defined before it"),
        Some(at),
    )
    .with_help(format!(
        "define `&{name}` on a value above this line, or fix the alias name"
    ))
}

/// `yaml::too-large`: the node budget is spent.
pub(super) fn too_large(at: Span, alias: Option<&str>, budget: usize) -> LoadError {
    let message = match alias {
        Some(name) => format!("alias `*{name}` would expand the document past {budget} values"),
        None => format!("the document holds more than {budget} values"),
    };
    LoadError::new("yaml::too-large", message, Some(at)).with_help(
        "aliases that copy large anchored values multiply the size of a document (a `billion laughs` attack), and a long string counts as one value per 32 bytes; expand fewer of them, or split the template",
    )
}

/// The YAML library panicked on an input no check above foresaw.
pub(super) fn reader_failed() -> LoadError {
    LoadError::new(
        "yaml::internal",
        "internal error: the YAML reader failed on this file",
        None,
    )
    .with_help("this is a bug in palisade's YAML reader; please report it with the file. Converting the template to JSON works around it")
}
