//! Parser and lowering tests.

use std::sync::Arc;

use super::ast::*;
use super::parse;
use crate::source::SourceFile;

fn ok(text: &str) -> PolicyFile {
    let file = Arc::new(SourceFile::new("t.guard", text));
    let (tree, diags) = parse(&file);
    assert!(diags.is_empty(), "unexpected diagnostics: {:#?}", diags);
    tree.expect("a tree")
}

fn err(text: &str) -> Vec<String> {
    let file = Arc::new(SourceFile::new("t.guard", text));
    let (tree, diags) = parse(&file);
    assert!(tree.is_none());
    diags.iter().map(|d| d.to_string()).collect()
}

#[test]
fn parses_the_spec_example() {
    let f = ok(r#"
param high_risk_ports = [20, 21, 22, 3389]

@id("SG011")
@severity("high")
@title("Ingress from the internet to a high-risk port")
@remediation("Allow the port only from a known CIDR " "or a security-group reference")
rule ingress_high_risk_port_from_internet when %rules !empty {
    let open = rules[ direction == "ingress" ; peer.cidr IS_INTERNET ]
    %open.ports NOT OVERLAPS %high_risk_ports
        << port {{ports}} is open to {{peer.cidr}} >>
}
"#);
    assert_eq!(f.items.len(), 2);
    let Item::Rule(rule) = &f.items[1] else {
        panic!()
    };
    assert_eq!(rule.annotations.len(), 4);
    assert_eq!(rule.name.text, "ingress_high_risk_port_from_internet");
    let LiteralValue::String(remediation) = &rule.annotations[3].args[0].value else {
        panic!()
    };
    assert_eq!(
        remediation,
        "Allow the port only from a known CIDR or a security-group reference"
    );
    assert_eq!(rule.body.items.len(), 2);
    let BlockItem::Statement(s) = &rule.body.items[1] else {
        panic!()
    };
    let TermBody::Clause(c) = &s.terms[0].body else {
        panic!()
    };
    assert!(matches!(
        c.op,
        ClauseOp::Binary {
            negated: true,
            op: BinaryOp::Overlaps,
            ..
        }
    ));
    let message = s.terms[0].message.as_ref().unwrap();
    assert_eq!(message.parts.len(), 5);
}

#[test]
fn parses_guard_core() {
    let f = ok(r#"
let sgs = Resources.*[ Type == 'AWS::EC2::SecurityGroup' ]
rule sg_has_description when %sgs !empty {
    %sgs.Properties.GroupDescription exists
    %sgs.Properties.SecurityGroupIngress[*] {
        CidrIp != '0.0.0.0/0' or CidrIpv6 != '::/0'
        FromPort in r[0, 65535]
        IpProtocol IN ["tcp", "udp"]
    }
}
rule strict when sg_has_description {
    AWS::EC2::SecurityGroup {
        Properties.GroupName == /^app-/
    }
    some Resources.*.Properties.Tags[*].Key == "Name"
    not sg_has_description
    check(%sgs)
}
rule check(groups) { %groups.Properties exists }
Resources.* { Type exists }
"#);
    assert_eq!(f.items.len(), 5);
}

#[test]
fn reports_syntax_errors_in_words() {
    let e = err("rule x {\n  Properties.A ==\n}\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("t.guard:3:1: error[syntax::expected]: expected"),
        "{}",
        e[0]
    );
    assert!(!e[0].contains("operand"), "{}", e[0]);
}

#[test]
fn reports_every_bad_literal() {
    let e = err("rule x {\n  a WITHIN 10.0.0.1/8\n  b == /(/\n  c IN r[5, 1]\n}\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].contains("invalid-cidr"));
    assert!(e[1].contains("invalid-regex"));
    assert!(e[2].contains("invalid-range"));
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let text = format!(
        "rule x {{ {} a exists {} }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let e = err(&text);
    assert!(e[0].contains("too-deep"), "{e:?}");
}

#[test]
fn shows_error_text() {
    for text in [
        "rule x {\n  Properties.A ==\n}\n",
        "rule x when { a exists }",
        "rule {",
        "let = 5",
        "rule x { a exists",
        "rule x { a === b }",
    ] {
        eprintln!("{:?}", err(text));
    }
}

#[test]
fn keywords_are_not_names() {
    let e = err("rule keys { a exists }");
    assert!(e[0].contains("expected a name, found `keys`"), "{e:?}");
}

#[test]
fn nested_filters_parse_in_linear_time() {
    // Each level used to be parsed twice (as a query block, then as a clause), so 30 levels
    // took longer than anyone would wait.
    let mut clause = "x EXISTS".to_string();
    for _ in 0..30 {
        clause = format!("x[ {clause} ] EXISTS");
    }
    let f = ok(&format!("rule r {{ {clause} }}"));
    let Item::Rule(rule) = &f.items[0] else {
        panic!()
    };
    let BlockItem::Statement(s) = &rule.body.items[0] else {
        panic!()
    };
    assert!(matches!(s.terms[0].body, TermBody::Clause(_)));
}

#[test]
fn a_query_followed_by_a_block_is_a_query_block() {
    let f = ok("rule r { Resources.* { Type EXISTS } Resources.* EXISTS }");
    let Item::Rule(rule) = &f.items[0] else {
        panic!()
    };
    let kinds: Vec<bool> = rule
        .body
        .items
        .iter()
        .map(|i| match i {
            BlockItem::Statement(s) => matches!(s.terms[0].body, TermBody::QueryBlock { .. }),
            BlockItem::Let(_) => panic!(),
        })
        .collect();
    assert_eq!(kinds, [true, false]);
}

#[test]
fn deep_nesting_inside_a_message_is_refused_too() {
    let mut clause = "x EXISTS".to_string();
    for _ in 0..40 {
        clause = format!("x[ {clause} ] EXISTS");
    }
    let e = err(&format!(
        "rule r {{ a EXISTS << {{{{ a[ {clause} ] }}}} >> }}"
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("error[syntax::too-deep]"), "{e:?}");
}

#[test]
fn an_unclosed_bracket_is_pointed_at_when_the_file_ends() {
    let file = Arc::new(SourceFile::new("t.guard", "rule x {\n  a[ b EXISTS\n\n"));
    let (_, diags) = parse(&file);
    let d = diags.iter().next().unwrap();
    // At the end of the last line with text, where a label can be shown.
    assert_eq!(d.position().to_string(), "2:14");
    assert_eq!(d.related.len(), 1);
    assert_eq!(file.slice(d.related[0].0), "[");
    assert!(d.help.as_deref().unwrap().contains("add the missing `]`"));
}

#[test]
fn an_exclusive_range_is_not_a_function_call() {
    let f = ok("let open = r(0, 1024)\nrule r { x IN r(22, 80) }");
    let Item::Let(l) = &f.items[0] else { panic!() };
    assert!(matches!(
        &l.value,
        Operand::Literal(Literal {
            value: LiteralValue::Range(Range {
                low_inclusive: false,
                high_inclusive: false,
                ..
            }),
            ..
        })
    ));
    let Item::Rule(rule) = &f.items[1] else {
        panic!()
    };
    let BlockItem::Statement(s) = &rule.body.items[0] else {
        panic!()
    };
    let TermBody::Clause(Clause {
        op: ClauseOp::Binary { rhs, .. },
        ..
    }) = &s.terms[0].body
    else {
        panic!()
    };
    assert!(matches!(rhs, Operand::Literal(_)), "{rhs:?}");
}

#[test]
fn syntax_errors_explain_brackets_quotes_and_conditions() {
    let help = |text: &str| {
        let file = Arc::new(SourceFile::new("t.guard", text));
        let (_, diags) = parse(&file);
        let d = diags.iter().next().unwrap();
        (d.message.clone(), d.help.clone().unwrap_or_default())
    };
    let (message, h) = help("rule a when {\n  x EXISTS\n}\n");
    assert_eq!(message, "expected a condition, found `{`");
    assert!(h.starts_with("`when` needs a condition"), "{h}");
    assert_eq!(
        help("rule a { x EXISTS } }").1,
        "this `}` closes nothing; remove it"
    );
    let (_, h) = help("rule a {\n  x[ y == 1\n}\n");
    assert!(
        h.starts_with("the `[` at line 2, column 4 is not closed"),
        "{h}"
    );
    assert!(
        help("rule a { x EXISTS << m }")
            .1
            .contains("closed with `>>`")
    );
    assert!(
        help("rule a { \"x\n\" == y }")
            .1
            .contains("close the quote")
    );
}

#[test]
fn syntax_errors_explain_misplaced_items_lists_and_misspelt_keywords() {
    let help = |text: &str| {
        let file = Arc::new(SourceFile::new("t.guard", text));
        let (_, diags) = parse(&file);
        let d = diags.iter().next().unwrap();
        (
            d.help.clone().unwrap_or_default(),
            d.related.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        )
    };
    // Items of the top level written inside a rule whose braces all close.
    let (h, _) = help("rule foo {\n    param x = 1\n    Resources EXISTS\n}\n");
    assert!(
        h.starts_with("a `param` is declared at the top level"),
        "{h}"
    );
    let (h, _) = help("rule foo {\n    @id(\"x\")\n    Resources EXISTS\n}\n");
    assert!(h.starts_with("annotations (`@id`"), "{h}");
    // A `[` its line never closes, and list items without a comma.
    let (h, _) = help("rule a {\n    Resources.Sg.Properties.Tags[*.Key EXISTS\n}\n");
    assert!(
        h.starts_with("the `[` at line 2, column 33 is not closed on its line"),
        "{h}"
    );
    for text in ["rule a { x IN [\"a\" \"b\"] }", "rule a { x IN r[1 1024] }"] {
        let (h, _) = help(text);
        assert!(
            h.starts_with("separate the items of a list or range with `,`"),
            "{text}: {h}"
        );
    }
    // A filter with a mistyped operator is not taken for a list.
    let (h, _) = help("rule a {\n    Resources.*[ Type EXSTS ]\n}\n");
    assert!(!h.contains("separate the items"), "{h}");
    // A misspelt `when` opening a block.
    let (h, related) = help(
        "rule a {\n    wehn Resources.Sg EXISTS {\n        Resources.Sg.Type EXISTS\n    }\n}\n",
    );
    assert!(
        h.starts_with("`wehn` at line 2 is read as the name of a rule"),
        "{h}"
    );
    assert_eq!(related, ["did you mean `when`?"]);
}

#[test]
fn a_rule_inside_an_unclosed_block_is_explained() {
    let file = Arc::new(SourceFile::new(
        "t.guard",
        "rule a {\n  Resources.* { Type EXISTS\n}\nrule b { x EXISTS }\n",
    ));
    let (_, diags) = parse(&file);
    let d = diags.iter().next().unwrap();
    // Not "expected a range, found `ule`": the word `rule` starts with `r`.
    assert!(d.message.ends_with("found `rule`"), "{}", d.message);
    assert_eq!(d.position().to_string(), "4:1");
    let help = d.help.as_deref().unwrap();
    assert!(
        help.starts_with("the `{` at line 1, column 8 is not closed (add a `}`), so `rule`"),
        "{help}"
    );
}

/// The messages of `rule a { x EXISTS << TEXT >> }` as diagnostics, with the text each one
/// underlines.
fn message_errors(text: &str) -> Vec<(String, String)> {
    let policy = format!("rule a {{ x EXISTS << {text} >> }}");
    let file = Arc::new(SourceFile::new("t.guard", policy));
    let (tree, diags) = parse(&file);
    assert!(tree.is_none(), "{text} was accepted");
    diags
        .iter()
        .map(|d| {
            assert_eq!(d.code.as_str(), "syntax::invalid-message");
            (d.message.clone(), file.slice(d.span).to_string())
        })
        .collect()
}

#[test]
fn braces_that_make_no_placeholder_are_errors_where_they_stand() {
    let unclosed = "`{{` opens a placeholder that is never closed".to_string();
    let stray = "`}}` closes no placeholder".to_string();
    let empty = "the placeholder is empty".to_string();
    assert_eq!(message_errors("{{ Type"), [(unclosed.clone(), "{{".into())]);
    assert_eq!(message_errors("a }} b"), [(stray.clone(), "}}".into())]);
    assert_eq!(
        message_errors("{{}} and {{ }}"),
        [(empty.clone(), "{{}}".into()), (empty, "{{ }}".into())]
    );
    // The second `{{` opens before the first is closed; the second is fine.
    let errors = message_errors("{{ a {{ b }} }}");
    assert_eq!(errors, [(unclosed, "{{".into()), (stray, "}}".into())]);
    let f = Arc::new(SourceFile::new(
        "t.guard",
        "rule a { x EXISTS << {{ a {{ b }} >> }",
    ));
    let d = &parse(&f).1.into_vec()[0];
    assert_eq!(d.span.start, 21, "the first `{{{{` is the one left open");
}

#[test]
fn braces_apart_are_text_and_placeholders_are_queries() {
    let f = ok("rule a { x EXISTS << { {a} } is {{ Type }}, not {{%v}} >> }");
    let Item::Rule(rule) = &f.items[0] else {
        panic!()
    };
    let BlockItem::Statement(s) = &rule.body.items[0] else {
        panic!()
    };
    let parts = &s.terms[0].message.as_ref().unwrap().parts;
    assert!(matches!(&parts[0], MessagePart::Text(t) if t == " { {a} } is "));
    assert!(matches!(&parts[1], MessagePart::Query(_)));
    assert!(matches!(&parts[2], MessagePart::Text(t) if t == ", not "));
    assert!(matches!(&parts[3], MessagePart::Query(_)));
    assert!(matches!(&parts[4], MessagePart::Text(t) if t == " "));
    assert_eq!(parts.len(), 5);
}
