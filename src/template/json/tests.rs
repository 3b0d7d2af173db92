//! Unit tests of the JSON reader: values against a reference parser, number typing, spans,
//! and every syntax error with its message and position.

use super::*;

fn load(text: &str) -> Result<Node, LoadError> {
    parse(&SourceFile::new("t.json", text))
}

fn json(text: &str) -> String {
    serde_json::to_string(&load(text).unwrap()).unwrap()
}

use crate::template::tests::{line_col as at, summary};

#[test]
fn values_match_a_reference_parser() {
    let cases = [
        r#"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
        r#"[]"#,
        r#"{}"#,
        r#"[[], {}, [[]], {"": ""}]"#,
        r#"[0, 12, -7, 1.5, 0.25, 1e3, 1E-2, -2.5e+2, 123456789012]"#,
        r#"["\"\\\/\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "日本 ü", "a\u0000b"]"#,
        "  {\n\t\"a\" :\r\n [ 1 , 2 ] }  \n",
        r#""just a string""#,
        "42",
    ];
    for text in cases {
        let ours = serde_json::to_value(load(text).unwrap()).unwrap();
        let reference: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, reference, "{text}");
    }
}

#[test]
fn numbers_are_ints_when_they_fit_and_floats_otherwise() {
    let cases = [
        ("0", Value::Int(0)),
        ("-0", Value::Int(0)),
        ("9223372036854775807", Value::Int(i64::MAX)),
        ("-9223372036854775808", Value::Int(i64::MIN)),
        (
            "9223372036854775808",
            Value::Float(9_223_372_036_854_775_808.0),
        ),
        ("99999999999999999999999999", Value::Float(1e26)),
        ("1.0", Value::Float(1.0)),
        ("1e2", Value::Float(100.0)),
        ("1e999", Value::Float(f64::INFINITY)),
        ("-1e999", Value::Float(f64::NEG_INFINITY)),
        ("1e-999", Value::Float(0.0)),
    ];
    for (text, want) in cases {
        assert_eq!(load(text).unwrap().value, want, "{text}");
    }
    assert_eq!(
        json(r#"{"FromPort": 99999999999999999999999999, "ToPort": 1e999}"#),
        r#"{"FromPort":1e+26,"ToPort":null}"#
    );
}

#[test]
fn spans_cover_exactly_the_value_text() {
    let text = "\u{feff}{\r\n  \"é\": [1, \"x\\ty\"],\r\n  \"b\":\t{\"c\": true},\r\n  \"n\": -2.5e3\r\n}\r\n";
    let root = load(text).unwrap();
    let slice = |n: &Node| &text[n.span.range()];
    assert!(slice(&root).starts_with('{') && slice(&root).ends_with('}'));
    assert_eq!(at(text, root.span.start), (1, 1));
    let map = root.as_map().unwrap();
    let e = map.entry("é").unwrap();
    assert_eq!(
        (&text[e.key_span.range()], at(text, e.key_span.start)),
        ("\"é\"", (2, 3))
    );
    assert_eq!(slice(e.value), "[1, \"x\\ty\"]");
    assert_eq!(at(text, e.value.span.start), (2, 8));
    let items = e.value.as_list().unwrap();
    assert_eq!(slice(&items[1]), "\"x\\ty\"");
    assert_eq!(items[1].as_str(), Some("x\ty"));
    assert_eq!(at(text, items[1].span.start), (2, 12));
    let b = root.get("b").unwrap();
    assert_eq!(
        (slice(b), at(text, b.span.start)),
        ("{\"c\": true}", (3, 8))
    );
    assert_eq!(slice(b.get("c").unwrap()), "true");
    let n = root.get("n").unwrap();
    assert_eq!((slice(n), at(text, n.span.start)), ("-2.5e3", (4, 8)));
}

#[test]
fn syntax_errors_say_what_and_where() {
    let cases = [
        (r#"{"a": 1,}"#, "trailing comma before `}`", (1, 8)),
        ("[1, 2,\n]", "trailing comma before `]`", (1, 6)),
        (
            r#"{"a" 1}"#,
            "expected `:` after the key `a`, found `1`",
            (1, 6),
        ),
        (
            r#"{"a": 1 "b": 2}"#,
            "expected `,` or `}` after a member, found `\"`",
            (1, 9),
        ),
        (
            "[1 2]",
            "expected `,` or `]` after a list element, found `2`",
            (1, 4),
        ),
        (
            r#"{"a": [1, 2}"#,
            "expected `,` or `]` after a list element, found `}`",
            (1, 12),
        ),
        (
            "{a: 1}",
            "expected a key in double quotes, found `a`",
            (1, 2),
        ),
        (
            "{'a': 1}",
            "expected a key in double quotes, found `'`",
            (1, 2),
        ),
        (r#"{"a": tru}"#, "expected a value, found `tru`", (1, 7)),
        (r#"{"a": True}"#, "expected a value, found `True`", (1, 7)),
        (r#"{"a": }"#, "expected a value, found `}`", (1, 7)),
        (r#"{"a": .5}"#, "expected a value, found `.5`", (1, 7)),
        (r#"{"a": +1}"#, "expected a value, found `+1`", (1, 7)),
        (
            "{\"a\": \"x",
            "unterminated string: the file ends before its closing `\"`",
            (1, 7),
        ),
        ("{\"a\": \"x\ny\"}", "line break inside a string", (1, 9)),
        (
            "[\"\u{1}\"]",
            "control character U+0001 inside a string",
            (1, 3),
        ),
        (r#"["\q"]"#, "invalid escape `\\q` in a string", (1, 3)),
        (r#"["\é"]"#, "invalid escape `\\é` in a string", (1, 3)),
        (
            r#"["\u12"]"#,
            "invalid `\\u` escape: expected four hex digits",
            (1, 3),
        ),
        (
            r#"["\ud800"]"#,
            "lone surrogate `\\uD800` in a string",
            (1, 3),
        ),
        (
            r#"["\ud800\u0041"]"#,
            "lone surrogate `\\uD800` in a string",
            (1, 3),
        ),
        (
            r#"["\udc00"]"#,
            "lone surrogate `\\uDC00` in a string",
            (1, 3),
        ),
        ("[01]", "invalid number `01`: leading zero", (1, 2)),
        (
            "[-]",
            "invalid number `-`: expected a digit after `-`",
            (1, 2),
        ),
        (
            "[1.]",
            "invalid number `1.`: expected a digit after the decimal point",
            (1, 2),
        ),
        (
            "[1e+]",
            "invalid number `1e+`: expected a digit in the exponent",
            (1, 2),
        ),
        (
            "{} x",
            "unexpected `x` after the end of the top-level value",
            (1, 4),
        ),
        (
            "{}\n{}",
            "unexpected `{` after the end of the top-level value",
            (2, 1),
        ),
        ("", "unexpected end of the file: expected a value", (1, 1)),
    ];
    for (text, message, position) in cases {
        let e = load(text).unwrap_err();
        assert_eq!(
            summary(text, &e),
            ("json::syntax", message, position),
            "{text}"
        );
        assert!(e.help.is_some(), "{text}");
    }
}

#[test]
fn help_names_the_likely_fix() {
    let help = |text: &str| load(text).unwrap_err().help.unwrap();
    assert!(help(r#"{"a": True}"#).contains("`true` in lower case"));
    assert!(help(r#"{"a": 'x'}"#).contains("double quotes"));
    assert!(help(r#"{"a": abc}"#).contains("`\"abc\"`"));
    assert!(help(r#"{"a": 1 "b": 2}"#).contains("`,` missing"));
}

#[test]
fn an_unclosed_collection_is_named_at_the_end_of_the_file() {
    let text = "{\n  \"a\": [1,\n    2";
    let e = load(text).unwrap_err();
    assert_eq!(e.code, "json::syntax");
    assert_eq!(
        e.message,
        "unexpected end of the file: expected `,` or `]`; the list opened at line 2, column 8 is never closed"
    );
    assert_eq!(e.span, Some(Span::at(text.len() as u32)));
    let (opened, label) = e.related.unwrap();
    assert_eq!(
        (at(text, opened.start), label.as_str()),
        ((2, 8), "this list is never closed")
    );
    let e = load("{\"a\": 1,\n \"b\"").unwrap_err();
    assert!(
        e.message
            .contains("expected `:`; the map opened at line 1, column 1"),
        "{}",
        e.message
    );
}

#[test]
fn duplicate_keys_name_both_positions() {
    let text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}";
    let e = load(text).unwrap_err();
    let message = "duplicate key `a` (first defined at line 2, column 3)";
    assert_eq!(summary(text, &e), ("json::duplicate-key", message, (4, 3)));
    let (first, label) = e.related.unwrap();
    assert_eq!(
        (at(text, first.start), label.as_str()),
        ((2, 3), "first defined here")
    );
    // Keys compare by value, not by spelling.
    assert_eq!(
        load(r#"{"a": 1, "\u0061": 2}"#).unwrap_err().code,
        "json::duplicate-key"
    );
    // A large map uses its index.
    let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
    let text = format!("{{{}, \"k7\": 0}}", many.join(", "));
    assert_eq!(load(&text).unwrap_err().code, "json::duplicate-key");
}

#[test]
fn deep_nesting_stops_at_the_bound_without_recursion() {
    for (open, depth) in [("[", 10_000), ("[", 100_000), ("{\"a\":", 10_000)] {
        let text = open.repeat(depth);
        let e = load(&text).unwrap_err();
        assert_eq!(e.code, "input::too-deep", "{open} × {depth}");
        let start = e.span.unwrap().start as usize;
        assert_eq!(
            start,
            open.len() * crate::template::MAX_DEPTH,
            "{open} × {depth}"
        );
    }
    let fits = format!("{}{}", "[".repeat(256), "]".repeat(256));
    assert!(load(&fits).is_ok());
}
