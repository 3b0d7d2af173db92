//! Checker tests; rendered diagnostics are snapshot-tested in `tests/diagnostics`.

use std::sync::Arc;

use super::*;
use crate::source::SourceFile;

fn run(text: &str) -> Result<Program, Vec<String>> {
    let file = Arc::new(SourceFile::new("t.guard", text));
    check(&[file], &[]).map(|(p, _)| p).map_err(|d| {
        d.iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect()
    })
}

#[test]
fn resolves_names_and_orders_rules() {
    let p = run("rule b when a { x exists }\nrule a { y exists }\n").unwrap();
    let names: Vec<&str> = p
        .order
        .iter()
        .map(|id| p.rule(*id).unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn reports_all_name_errors_at_once() {
    let e = run("rule a { %nope exists  missing_rule  count(x, y) > 1  unknownfn(x) == 1 }\nrule a { x exists }\n").unwrap_err();
    let codes: Vec<&str> = e.iter().map(|s| s.split(' ').next().unwrap()).collect();
    assert!(codes.contains(&"check::undefined-variable"), "{e:?}");
    assert!(codes.contains(&"check::undefined-rule"), "{e:?}");
    assert!(codes.contains(&"check::wrong-arity"), "{e:?}");
    assert!(codes.contains(&"check::undefined-function"), "{e:?}");
    assert!(codes.contains(&"check::duplicate-rule"), "{e:?}");
}

#[test]
fn finds_cycles() {
    let e = run("rule a when b { x exists }\nrule b { c }\nrule c { a }\n").unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("rule-cycle") && e[0].contains("`a` → `b` → `c` → `a`"),
        "{e:?}"
    );
}

#[test]
fn long_rule_chains_do_not_overflow() {
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!("rule r{i} when r{} {{ x exists }}\n", i + 1));
    }
    text.push_str("rule r20000 { x exists }\n");
    let p = run(&text).unwrap();
    assert_eq!(
        p.order.first().map(|id| p.rule(*id).unwrap().name.as_str()),
        Some("r20000")
    );
}

#[test]
fn type_errors_visible_in_the_text() {
    let e = run("param ports = [22]\nrule a { x IN 5  y < [1]  z WITHIN \"abc\"  w IN %ports }\n")
        .unwrap_err();
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e.iter().all(|s| s.starts_with("check::type-mismatch")));
    // Numbers beside `WITHIN` and `OVERLAPS` are ports.
    let e = run(
        "rule a { x WITHIN [22, 65536]  y OVERLAPS -1  z WITHIN r[0, 70000] }
",
    )
    .unwrap_err();
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e.iter().all(|s| s.contains("takes ports from 0 to 65535")),
        "{e:?}"
    );
    assert!(
        run(
            "rule a { x WITHIN [r[0, 1023], 65535, 10.0.0.0/8]  y OVERLAPS r(-1, 65536) }
"
        )
        .is_ok()
    );
}

#[test]
fn annotations_are_checked() {
    let e = run("@id(\"X1\") @severity(\"urgent\") @colour(\"red\")\nrule a { x exists }\n@id(\"X1\")\nrule b { x exists }\n").unwrap_err();
    assert_eq!(e.len(), 3, "{e:?}");
    let p =
        run("@id(\"X1\") @severity(\"high\") @tags(\"a\", \"b\")\nrule a { x exists }\n").unwrap();
    let meta = &p.rules[0].meta;
    assert_eq!(
        (meta.id.as_str(), meta.severity, meta.tags.len()),
        ("X1", ir::Severity::High, 2)
    );
}

#[test]
fn parameterized_rules_need_the_right_arguments() {
    let e = run("rule p(a, b) { %a exists }\nrule q { p(x) }\nrule r { p }\nrule s { q(x) }\n")
        .unwrap_err();
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn overrides_must_name_a_param_of_the_same_type() {
    let file = Arc::new(SourceFile::new(
        "t.guard",
        "param max = 5\nrule a { x <= %max }\n",
    ));
    let ok = check(
        std::slice::from_ref(&file),
        &[ParamOverride::parse("max=7").unwrap()],
    );
    assert!(ok.is_ok());
    let bad = check(
        std::slice::from_ref(&file),
        &[ParamOverride::parse("max=\"seven\"").unwrap()],
    )
    .unwrap_err();
    assert_eq!(bad.iter().next().unwrap().code, Code::InvalidOverride);
    let unknown = check(&[file], &[ParamOverride::parse("min=1").unwrap()]).unwrap_err();
    assert_eq!(unknown.iter().next().unwrap().file.name(), "<command line>");
}

/// The warnings of checking `text` (which must check), as `code message`.
fn warnings(text: &str) -> Vec<String> {
    let file = Arc::new(SourceFile::new("t.guard", text));
    let (_, warnings) = check(&[file], &[]).unwrap();
    warnings
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

#[test]
fn a_file_without_rules_is_a_warning() {
    let none = ["", "# only a comment\n", "let x = 1\nparam p = 2\n"];
    for text in none {
        assert_eq!(
            warnings(text),
            ["check::no-rules `t.guard` declares no rules: it checks nothing"],
            "{text:?}"
        );
    }
    for text in [
        "rule a { x exists }\n",
        "x exists\n",
        "rule p(v) { %v exists }\n",
    ] {
        assert_eq!(warnings(text), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn lone_carriage_returns_end_comments_and_strings() {
    // Old Mac line endings: the comment ends at its line, and the rule after it is read.
    let p = run("# ports\rrule a { x == \"y\" }\r# end\r").unwrap();
    assert_eq!(
        p.reported_rules()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    // A string may not run past the end of its line, whatever ends it.
    let e = run("rule a { x == \"y\r\" }\r").unwrap_err();
    assert!(e.iter().any(|d| d.starts_with("syntax::expected")), "{e:?}");
}

/// Ids are one namespace whatever their case, and `PAL` ids are palisade's own.
#[test]
fn ids_clash_in_any_case_and_pal_ids_are_reserved() {
    let e = run("@id(\"org1\")\nrule a { x exists }\n@id(\"ORG1\")\nrule b { x exists }\n")
        .unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("check::duplicate-id") && e[0].contains("differ only in case"),
        "{e:?}"
    );
    let e = run("@id(\"pal002\")\nrule a { x exists }\n").unwrap_err();
    assert!(
        e[0].contains("check::duplicate-id") && e[0].contains("keeps for its own findings"),
        "{e:?}"
    );
    // An id that merely starts with the letters is the author's.
    assert!(run("@id(\"PALACE1\")\nrule a { x exists }\n").is_ok());
}

/// Annotations on a parameterized rule would be ignored: a warning says so.
#[test]
fn annotations_on_parameterized_rules_are_warned_about() {
    let file = Arc::new(SourceFile::new(
        "t.guard",
        "@severity(\"high\")\nrule helper(x) { %x EXISTS }\nrule main { helper(Resources) }\n",
    ));
    let (_, warnings) = check(&[file], &[]).unwrap();
    let texts: Vec<String> = warnings
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(
        texts,
        [
            "check::invalid-annotation `helper` takes parameters, so it is never reported by itself: its annotations are not used"
        ],
    );
}
