//! pest's syntax errors in words: what was expected, what was found, where.

use std::collections::BTreeSet;
use std::sync::Arc;

use pest::error::{Error, ErrorVariant, InputLocation};

use super::Rule;
use crate::diag::{Code, Diagnostic};
use crate::source::{SourceFile, Span};

/// Converts a pest error into a diagnostic that never mentions grammar rule names.
pub(super) fn syntax_error(file: &Arc<SourceFile>, error: Error<Rule>) -> Diagnostic {
    let offset = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let offset = offset.min(file.text().len()) as u32;
    let found = found_at(file.text(), offset as usize);
    let span = Span::new(offset, offset + found.len as u32);
    let expected: BTreeSet<&'static str> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| describe(*r)).collect()
        }
        ErrorVariant::CustomError { .. } => BTreeSet::new(),
    };
    let expected_text = list_in_words(expected.iter().copied());
    let message = if expected_text.is_empty() {
        format!("unexpected {}", found.text)
    } else {
        format!("expected {expected_text}, found {}", found.text)
    };
    if found.len == 0 && offset as usize == file.text().len() {
        return end_of_file(file, message, &expected);
    }
    let d = Diagnostic::error(Code::Syntax, file, span, message).with_label("unexpected here");
    let before = file.text().get(..offset as usize).unwrap_or("");
    let rest = file.text().get(offset as usize..).unwrap_or("");
    if let Some(d) = bracket_problem(d.clone(), file, before, rest) {
        return d;
    }
    if let Some(d) = unclosed(file, offset, rest) {
        return d;
    }
    if let Some(d) = open_square_bracket(d.clone(), file, before, rest) {
        return d;
    }
    if let Some(d) = misspelt_keyword(d.clone(), file, before) {
        return d;
    }
    d.with_help(help_for(&expected, &found.text))
}

/// Keywords that start a statement, which a typo turns into a rule name.
const STATEMENT_KEYWORDS: [&str; 5] = ["when", "rule", "let", "param", "some"];

/// The block the error is in opens with a misspelt keyword (`wehn Resources.Sg EXISTS {`):
/// the grammar read the word as a rule name and stumbled later, inside the block.
fn misspelt_keyword(d: Diagnostic, file: &Arc<SourceFile>, before: &str) -> Option<Diagnostic> {
    let (at, open) = super::unclosed_bracket(before)?;
    if open != '{' {
        return None;
    }
    let head = before.get(..at as usize).unwrap_or("");
    let line_start = head.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line = head.get(line_start..).unwrap_or("");
    let word = line.trim_start();
    let word_start = line_start + (line.len() - word.len());
    let word: String = word
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let lower = word.to_ascii_lowercase();
    // One slip in a short keyword, two (a swap) in a longer one.
    let keyword = STATEMENT_KEYWORDS.iter().find(|k| {
        **k != lower && crate::diag::edit_distance(&lower, k) <= 1 + usize::from(k.len() > 3)
    })?;
    let span = Span::new(word_start as u32, (word_start + word.len()) as u32);
    Some(
        d.with_related(span, format!("did you mean `{keyword}`?"))
            .with_help(format!(
                "`{word}` at line {} is read as the name of a rule; if it is meant as `{keyword}`, correct its spelling",
                file.position(word_start as u32).line
            )),
    )
}

/// Inside a `[`: a `[` that its line never closes (`Tags[*.Key`), or two items without the
/// `,` between them (`["a" "b"]`, `r[1 1024]`).
fn open_square_bracket(
    d: Diagnostic,
    file: &Arc<SourceFile>,
    before: &str,
    rest: &str,
) -> Option<Diagnostic> {
    let (at, open) = super::unclosed_bracket(before)?;
    if open != '[' {
        return None;
    }
    let line_rest = rest.split(['\n', '\r']).next().unwrap_or("");
    let opened_on_this_line = !before
        .get(at as usize..)
        .unwrap_or("")
        .contains(['\n', '\r']);
    let p = file.position(at);
    if opened_on_this_line && !line_rest.contains(']') {
        return Some(
            d.with_related(Span::new(at, at + 1), "opened here and never closed")
                .with_help(format!(
                    "the `[` at line {}, column {} is not closed on its line; add the missing `]`",
                    p.line, p.column
                )),
        );
    }
    // A list or range literal (`IN [`, `r[`), not a filter or index of a query (`Tags[`).
    let ahead = before.get(..at as usize).unwrap_or("");
    let literal = match ahead.chars().next_back() {
        Some('r') => !ahead
            .strip_suffix('r')
            .unwrap_or("")
            .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        Some(c) => !(c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | ']' | ')' | '%')),
        None => true,
    };
    let items = before.get(at as usize + 1..).unwrap_or("").to_string()
        + line_rest.split(']').next().unwrap_or("");
    (literal && missing_comma(&items)).then(|| {
        d.with_help(
            "separate the items of a list or range with `,`, e.g. `[\"a\", \"b\"]` or `r[1, 1024]`",
        )
    })
}

/// True when `items` (the text inside a `[ … ]`) has two values side by side with only spaces
/// between them (`"a" "b"`, `1 1024`).
fn missing_comma(items: &str) -> bool {
    let mut previous_ends_value = false;
    let mut spaced = false;
    let mut chars = items.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                if previous_ends_value && spaced {
                    return true;
                }
                // Skip the quoted text.
                while let Some(q) = chars.next() {
                    if q == '\\' {
                        chars.next();
                    } else if q == c {
                        break;
                    }
                }
                previous_ends_value = true;
                spaced = false;
            }
            c if c.is_whitespace() => spaced = true,
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | ':' | '_' | '-') => {
                if previous_ends_value && spaced {
                    return true;
                }
                previous_ends_value = true;
                spaced = false;
            }
            _ => {
                previous_ends_value = false;
                spaced = false;
            }
        }
    }
    false
}

/// A string, regex or message that starts at `offset` and is never closed, said as such at
/// its start: the grammar only knows that what it expected is not there.
fn unclosed(file: &Arc<SourceFile>, offset: u32, rest: &str) -> Option<Diagnostic> {
    let first = rest.chars().next()?;
    let (message, label, help, width) = if rest.starts_with("<<") {
        if rest.contains(">>") {
            return None;
        }
        (
            "this message is not closed: no `>>` ends it".to_string(),
            "the message starts here",
            "a message opened with `<<` must be closed with `>>`".to_string(),
            2,
        )
    } else if first == '"' || first == '\'' {
        if closed_on_its_line(rest, first, true) {
            return None;
        }
        (
            format!("this string is not closed: no `{first}` ends it on its line"),
            "the string starts here",
            "a string ends on the line it starts on; close the quote on this line".to_string(),
            1,
        )
    } else if first == '/' {
        if closed_on_its_line(rest, '/', false) {
            return None;
        }
        (
            "this regex is not closed: no `/` ends it on its line".to_string(),
            "the regex starts here",
            "a regex ends on the line it starts on; close it with `/` on this line (a `/` inside it is written `\\/`)".to_string(),
            1,
        )
    } else {
        return None;
    };
    Some(
        Diagnostic::error(
            Code::Syntax,
            file,
            Span::new(offset, offset + width),
            message,
        )
        .with_label(label)
        .with_help(help),
    )
}

/// True when the string or regex that `text` starts with is closed by `close` before its line
/// ends. A backslash escapes the next character; in a string it may escape the line break.
fn closed_on_its_line(text: &str, close: char, escapes_line_break: bool) -> bool {
    let mut chars = text.chars().skip(1);
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n' | '\r') if !escapes_line_break => return false,
                Some(_) => {}
                None => return false,
            },
            '\n' | '\r' => return false,
            c if c == close => return true,
            _ => {}
        }
    }
    false
}

/// A closing bracket that closes nothing, or the wrong bracket.
fn bracket_problem(
    d: Diagnostic,
    file: &Arc<SourceFile>,
    before: &str,
    rest: &str,
) -> Option<Diagnostic> {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '@')
        .collect();
    if matches!(word.as_str(), "rule" | "RULE" | "param" | "PARAM") || word.starts_with('@') {
        // A top-level item inside a block: the block was not closed, or, when every bracket
        // of the file is closed, the item was written inside it.
        let (at, open) = super::unclosed_bracket(before)?;
        if super::unclosed_bracket(file.text()).is_none() {
            let what = match word.to_ascii_lowercase().as_str() {
                "param" => {
                    "a `param` is declared at the top level of a file, not inside a rule or block; move it above the rule"
                }
                "rule" => {
                    "rules are not nested: declare this rule at the top level of the file, and refer to it by name from the other"
                }
                _ => {
                    "annotations (`@id`, `@severity`, …) go just before a `rule` at the top level of the file, not inside it"
                }
            };
            return Some(d.with_help(what));
        }
        let p = file.position(at);
        return Some(
            d.with_related(Span::new(at, at + 1), "opened here and never closed")
                .with_help(format!(
                    "the `{open}` at line {}, column {} is not closed (add a `{}`), so `{word}` falls inside it",
                    p.line,
                    p.column,
                    closer(open)
                )),
        );
    }
    let close = rest
        .chars()
        .next()
        .filter(|c| matches!(c, ')' | ']' | '}'))?;
    match super::unclosed_bracket(before) {
        None => Some(d.with_help(format!("this `{close}` closes nothing; remove it"))),
        Some((at, open)) if closer(open) != close => {
            let p = file.position(at);
            Some(
                d.with_related(Span::new(at, at + 1), "opened here and never closed")
                    .with_help(format!(
                        "the `{open}` at line {}, column {} is not closed; add `{}` before this `{close}`",
                        p.line,
                        p.column,
                        closer(open)
                    )),
            )
        }
        Some(_) => None,
    }
}

/// The bracket that closes `open`.
fn closer(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// A file that ends too early: pointed at its last character (a label past the last line
/// would not be shown), with the bracket left open if there is one.
fn end_of_file(
    file: &Arc<SourceFile>,
    message: String,
    expected: &BTreeSet<&'static str>,
) -> Diagnostic {
    let end = file.text().trim_end().len() as u32;
    let d = Diagnostic::error(Code::Syntax, file, Span::at(end), message)
        .with_label("the file ends here");
    match super::unclosed_bracket(file.text()) {
        Some((at, open)) => {
            let close = closer(open);
            let p = file.position(at);
            d.with_related(Span::new(at, at + 1), "opened here and never closed")
                .with_help(format!(
                    "the `{open}` at line {}, column {} is not closed; add the missing `{close}`",
                    p.line, p.column
                ))
        }
        None => d.with_help(help_for(expected, "end of file")),
    }
}

struct Found {
    text: String,
    len: usize,
}

/// The token-ish text at `offset`, in words.
fn found_at(text: &str, offset: usize) -> Found {
    let rest = text.get(offset..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return Found {
            text: "end of file".to_string(),
            len: 0,
        };
    };
    if first == '\n' || first == '\r' {
        return Found {
            text: "end of line".to_string(),
            len: 0,
        };
    }
    if first.is_control() || first == '\u{feff}' {
        // Invisible on screen: named by its code point (a NUL byte, a stray escape).
        return Found {
            text: format!("the character U+{:04X}", u32::from(first)),
            len: first.len_utf8(),
        };
    }
    let word: String = if first.is_ascii_alphanumeric() || first == '_' {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect()
    } else {
        first.to_string()
    };
    Found {
        len: word.len(),
        text: format!("`{word}`"),
    }
}

/// Joins items as "a, b or c".
fn list_in_words<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn help_for(expected: &BTreeSet<&'static str>, found: &str) -> String {
    let word = found.trim_matches('`');
    if expected.contains("a name") && is_keyword(word) {
        return format!("`{word}` is a keyword and cannot be used as a name; choose another name");
    }
    if expected.contains("an operator such as `==`, `IN` or `EXISTS`") {
        return "a clause compares a query with a value, e.g. `Properties.GroupName EXISTS` or `ports IN r[80, 443]`".to_string();
    }
    if expected.contains("a condition") && found == "`{`" {
        return "`when` needs a condition before the `{`, e.g. `when %groups NOT EMPTY { … }`"
            .to_string();
    }
    if expected.contains("a rule body `{ … }`") {
        return "a rule is written `rule name [when condition] { clauses }`".to_string();
    }
    "see docs/language.md for the syntax of policy files".to_string()
}

fn is_keyword(word: &str) -> bool {
    use pest::Parser as _;
    super::PolicyParser::parse(Rule::keyword, word).is_ok_and(|p| p.as_str() == word)
}

/// A grammar rule in words, or `None` for rules that should never be named to a user.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::param_decl | Rule::kw_param => "`param`",
        Rule::let_decl | Rule::kw_let => "`let`",
        Rule::rule_decl | Rule::kw_rule => "`rule`",
        Rule::annotation => "an annotation such as `@id(\"X\")`",
        Rule::rule_params => "rule parameters `(a, b)`",
        Rule::condition | Rule::cond_disjunction | Rule::cond_term => "a condition",
        Rule::block => "a rule body `{ … }`",
        Rule::statement | Rule::disjunction | Rule::term => "a clause",
        Rule::negation | Rule::op_not | Rule::kw_not => "`not`",
        Rule::group => "`(`",
        Rule::when_block | Rule::kw_when => "`when`",
        Rule::type_block | Rule::type_name => "a resource type such as `AWS::EC2::SecurityGroup`",
        Rule::query_term => "a clause",
        Rule::rule_call => "a rule name",
        Rule::clause => "a clause",
        Rule::operand => "a value or query",
        Rule::binary_op
        | Rule::unary_op
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::kw_in
        | Rule::kw_within
        | Rule::kw_overlaps
        | Rule::kw_exists
        | Rule::kw_empty
        | Rule::kw_is_string
        | Rule::kw_is_list
        | Rule::kw_is_struct
        | Rule::kw_is_bool
        | Rule::kw_is_int
        | Rule::kw_is_float
        | Rule::kw_is_null
        | Rule::kw_is_cidr
        | Rule::kw_is_private
        | Rule::kw_is_internet
        | Rule::kw_is_unknown => "an operator such as `==`, `IN` or `EXISTS`",
        Rule::call | Rule::call_args => "a function call",
        Rule::message | Rule::message_text => "a message `<< … >>`",
        Rule::interpolation | Rule::query => "a query",
        Rule::all_values | Rule::all_items => "`*`",
        Rule::index => "an index",
        Rule::quoted_key => "a quoted key",
        Rule::key_name | Rule::name | Rule::identifier => "a name",
        Rule::variable => "a variable `%name`",
        Rule::filter => "a filter `[ … ]`",
        Rule::filter_capture => "a name to bind each key to",
        Rule::list => "a list `[ … ]`",
        Rule::map | Rule::map_entry => "a map `{ … }`",
        Rule::range | Rule::range_open | Rule::range_close => "a range `r[a, b]`",
        Rule::cidr => "a CIDR",
        Rule::float | Rule::int => "a number",
        Rule::regex | Rule::regex_body => "a regex `/…/`",
        Rule::string | Rule::dq_body | Rule::sq_body => "a string",
        Rule::kw_or => "`or`",
        Rule::kw_some => "`some`",
        Rule::kw_this => "`this`",
        Rule::kw_keys => "`keys`",
        Rule::kw_true | Rule::kw_false => "`true` or `false`",
        Rule::kw_null => "`null`",
        Rule::annotation_arg => "an annotation argument",
        Rule::keyword
        | Rule::type_part
        | Rule::policy_file
        | Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::item
        | Rule::let_value
        | Rule::condition_item
        | Rule::block_item
        | Rule::term_body
        | Rule::query_head
        | Rule::query_step
        | Rule::dot_step
        | Rule::bracket_step
        | Rule::literal
        | Rule::number
        | Rule::kw_words
        | Rule::ident_char => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_reads_as_words() {
        assert_eq!(list_in_words(["a"].into_iter()), "a");
        assert_eq!(list_in_words(["a", "b", "c"].into_iter()), "a, b or c");
    }

    #[test]
    fn strings_and_regexes_are_closed_on_their_line_or_not_at_all() {
        assert!(closed_on_its_line("\"a\\\"b\" x", '"', true));
        assert!(!closed_on_its_line("\"a\\\" }\n\"", '"', true));
        assert!(closed_on_its_line("/a\\/b/ }", '/', false));
        assert!(!closed_on_its_line("/a\\/ }", '/', false));
        assert!(!closed_on_its_line("/abc }\n/", '/', false));
        // A backslash may carry a string over a line break, never a regex.
        assert!(closed_on_its_line("'a\\\nb'", '\'', true));
        assert!(!closed_on_its_line("/a\\\nb/", '/', false));
    }

    #[test]
    fn found_names_words_and_end_of_file() {
        assert_eq!(found_at("rule x", 0).text, "`rule`");
        assert_eq!(found_at("x", 1).text, "end of file");
        assert_eq!(found_at("a {", 2).text, "`{`");
        assert_eq!(found_at("a \0", 2).text, "the character U+0000");
        assert_eq!(found_at("\u{1b}[", 0).text, "the character U+001B");
    }
}
