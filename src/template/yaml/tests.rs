//! Unit tests of the YAML reader: tags, scalar styles, spans, documents, aliases, bounds,
//! and the inputs that would make the YAML library panic.

use super::*;
use crate::template::MAX_DEPTH;

fn load(text: &str) -> Result<Node, LoadError> {
    parse(&SourceFile::new("t.yaml", text)).map(|root| root.unwrap_or(Node::null(Span::at(0))))
}

fn json(text: &str) -> String {
    serde_json::to_string(&load(text).unwrap()).unwrap()
}

fn error(text: &str) -> LoadError {
    load(text).unwrap_err()
}

use crate::template::tests::{line_col as at, summary};

#[test]
fn every_short_tag_keeps_its_long_form() {
    let cases = [
        ("!Ref X", r#"{"Ref":"X"}"#),
        ("!Condition C", r#"{"Condition":"C"}"#),
        ("!GetAtt A.B", r#"{"Fn::GetAtt":["A","B"]}"#),
        ("!GetAtt A.B.C", r#"{"Fn::GetAtt":["A","B.C"]}"#),
        ("!GetAtt [A, B]", r#"{"Fn::GetAtt":["A","B"]}"#),
        ("!GetAtt 'A.B'", r#"{"Fn::GetAtt":["A","B"]}"#),
        (
            "!Sub 'x-${AWS::Region}'",
            r#"{"Fn::Sub":"x-${AWS::Region}"}"#,
        ),
        (
            "!Sub ['a${B}', {B: !Ref C}]",
            r#"{"Fn::Sub":["a${B}",{"B":{"Ref":"C"}}]}"#,
        ),
        (
            "!If [C, 1, !Ref AWS::NoValue]",
            r#"{"Fn::If":["C",1,{"Ref":"AWS::NoValue"}]}"#,
        ),
        (
            "!Select [0, !GetAZs '']",
            r#"{"Fn::Select":[0,{"Fn::GetAZs":""}]}"#,
        ),
        ("!Join ['', [a, b]]", r#"{"Fn::Join":["",["a","b"]]}"#),
        ("!Split [',', !Ref L]", r#"{"Fn::Split":[",",{"Ref":"L"}]}"#),
        ("!FindInMap [M, K, V]", r#"{"Fn::FindInMap":["M","K","V"]}"#),
        ("!ImportValue Shared", r#"{"Fn::ImportValue":"Shared"}"#),
        ("!Equals [a, b]", r#"{"Fn::Equals":["a","b"]}"#),
        (
            "!And [!Condition A, !Condition B]",
            r#"{"Fn::And":[{"Condition":"A"},{"Condition":"B"}]}"#,
        ),
        (
            "!Or [!Equals [a, b], true]",
            r#"{"Fn::Or":[{"Fn::Equals":["a","b"]},true]}"#,
        ),
        ("!Not [!Condition C]", r#"{"Fn::Not":[{"Condition":"C"}]}"#),
        ("!Base64 text", r#"{"Fn::Base64":"text"}"#),
        (
            "!Cidr [10.0.0.0/16, 4, 8]",
            r#"{"Fn::Cidr":["10.0.0.0/16",4,8]}"#,
        ),
        ("!GetAZs ''", r#"{"Fn::GetAZs":""}"#),
        ("!GetAZs", r#"{"Fn::GetAZs":null}"#),
        (
            "!Transform {Name: X, Parameters: {}}",
            r#"{"Fn::Transform":{"Name":"X","Parameters":{}}}"#,
        ),
        ("!Length [1, 2]", r#"{"Fn::Length":[1,2]}"#),
        ("!ToJsonString {a: 1}", r#"{"Fn::ToJsonString":{"a":1}}"#),
        (
            "!Contains [[a], !Ref P]",
            r#"{"Fn::Contains":[["a"],{"Ref":"P"}]}"#,
        ),
        (
            "!EachMemberIn [!Ref P, [a]]",
            r#"{"Fn::EachMemberIn":[{"Ref":"P"},["a"]]}"#,
        ),
        (
            "!EachMemberEquals [!ValueOf [P, VpcId], v]",
            r#"{"Fn::EachMemberEquals":[{"Fn::ValueOf":["P","VpcId"]},"v"]}"#,
        ),
        (
            "!RefAll AWS::EC2::VPC::Id",
            r#"{"Fn::RefAll":"AWS::EC2::VPC::Id"}"#,
        ),
        ("!ValueOfAll [T, A]", r#"{"Fn::ValueOfAll":["T","A"]}"#),
        (
            "!Rain::Module ../vpc.yml",
            r#"{"Fn::Rain::Module":"../vpc.yml"}"#,
        ),
        (
            "!Rain::Embed {Path: x.js}",
            r#"{"Fn::Rain::Embed":{"Path":"x.js"}}"#,
        ),
        ("!Ref: AWS::NoValue", r#"{"Ref":"AWS::NoValue"}"#),
        ("!!str 80", r#""80""#),
        ("! 80", r#""80""#),
        ("!!int '80'", "80"),
        ("!<!Ref> X", r#"{"Ref":"X"}"#),
        ("!<tag:example.com,2024:x> 1", "1"),
    ];
    for (value, want) in cases {
        assert_eq!(
            json(&format!("v: {value}\n")),
            format!(r#"{{"v":{want}}}"#),
            "{value}"
        );
    }
}

#[test]
fn tags_on_block_collections_are_kept() {
    let text = "a: !If\n  - C\n  - x: 1\n  - !Ref AWS::NoValue\nb: !Transform\n  Name: AWS::Include\n  Parameters:\n    Location: s3://b/k\nc: &anchored !Sub\n  - ${A}\n  - A: 1\nd: *anchored\n";
    assert_eq!(
        json(text),
        concat!(
            r#"{"a":{"Fn::If":["C",{"x":1},{"Ref":"AWS::NoValue"}]},"#,
            r#""b":{"Fn::Transform":{"Name":"AWS::Include","Parameters":{"Location":"s3://b/k"}}},"#,
            r#""c":{"Fn::Sub":["${A}",{"A":1}]},"d":{"Fn::Sub":["${A}",{"A":1}]}}"#
        )
    );
}

#[test]
fn scalars_of_every_style() {
    let text = "plain: a b\n  c\nsingle: 'it''s'\ndouble: \"tab\\there \\u00e9\"\nliteral: |\n  one\n   two\n\nfolded: >-\n  one\n  two\nkeep: |+\n  x\n\nint: 0x1F\nkey with spaces: 1\n1: one\ntrue: yes\n";
    assert_eq!(
        json(text),
        concat!(
            r#"{"plain":"a b c","single":"it's","double":"tab\there é","#,
            r#""literal":"one\n two\n","folded":"one two","keep":"x\n\n","int":31,"#,
            r#""key with spaces":1,"1":"one","true":"yes"}"#
        )
    );
}

#[test]
fn a_block_scalar_at_the_end_of_the_file_keeps_its_value() {
    // libyaml-safer panics on these; a line break is added for it, and taken back out.
    let cases = [
        ("a: |\n  text", "text"),
        ("a: >\n  text\n  more", "text more"),
        ("a: |+\n  x", "x"),
        ("a: |-\n  x", "x"),
        ("a: |\n  x\n  ", "x\n"),
        ("a: |\n  x\n", "x\n"),
        ("a: |\r\n  x\r\n  y", "x\ny"),
        ("a: |\n  x\r", "x\n"),
        ("a: |\n  x\u{2029}", "x\u{2029}"),
    ];
    for (text, want) in cases {
        let root = load(text).unwrap();
        assert_eq!(root.get("a").unwrap().as_str(), Some(want), "{text:?}");
        let span = root.get("a").unwrap().span;
        assert!(span.end as usize <= text.len(), "{text:?}");
    }
}

/// Returns `(line, column, text)` of a node's span.
fn located(text: &str, node: &Node) -> (u32, u32, String) {
    let (line, column) = at(text, node.span.start);
    (line, column, text[node.span.range()].to_string())
}

#[test]
fn spans_cover_exactly_the_written_value() {
    type Path = &'static [&'static str];
    let cases: [(&str, Path, (u32, u32, &str)); 17] = [
        ("a: hello world  # c\n", &["a"], (1, 4, "hello world")),
        ("a: 'x y'  \n", &["a"], (1, 4, "'x y'")),
        ("a: \"x\n  y\"\n", &["a"], (1, 4, "\"x\n  y\"")),
        ("a: !Ref  Foo\n", &["a"], (1, 4, "!Ref  Foo")),
        ("a: !Ref  Foo\n", &["a", "Ref"], (1, 10, "Foo")),
        ("a: &n !Sub  x\n", &["a", "Fn::Sub"], (1, 13, "x")),
        (
            "a: |\n  one\n  two\n\nb: 1\n",
            &["a"],
            (1, 4, "|\n  one\n  two"),
        ),
        ("a: [1, 2]  \n", &["a"], (1, 4, "[1, 2]")),
        (
            "a:\n  - 1\n  - 2\n# end\nb: 1\n",
            &["a"],
            (2, 3, "- 1\n  - 2"),
        ),
        ("a:\n  x: 1\n  y: [2]\n\n", &["a"], (2, 3, "x: 1\n  y: [2]")),
        (
            "a: !If\n  - c\n  - x\nb: 1",
            &["a"],
            (1, 4, "!If\n  - c\n  - x"),
        ),
        (
            "a: !If\n  - c\n  - x\nb: 1",
            &["a", "Fn::If"],
            (2, 3, "- c\n  - x"),
        ),
        (
            "a: !GetAtt [A, B]\n",
            &["a", "Fn::GetAtt"],
            (1, 12, "[A, B]"),
        ),
        ("a: &x [1]\nb: *x\n", &["b"], (2, 4, "*x")),
        ("\u{feff}a: b\n", &["a"], (1, 4, "b")),
        ("a: 1\r\nb: xé\r\nc: [1, 2]\r\n", &["c"], (3, 4, "[1, 2]")),
        ("é: ü\nx:\t日本語\ny: {k: v}\n", &["y"], (3, 4, "{k: v}")),
    ];
    for (text, path, (line, column, written)) in cases {
        let mut node = load(text).unwrap();
        for key in path {
            node = node.get(key).unwrap().clone();
        }
        assert_eq!(
            located(text, &node),
            (line, column, written.to_string()),
            "{text:?} {path:?}"
        );
    }
}

#[test]
fn keys_tags_and_halves_have_their_own_spans() {
    let text = "\u{feff}Res:\r\n  Sg: !GetAtt  Web.GroupId\r\n  tab:\t[x]\r\n";
    let root = load(text).unwrap();
    let res = root.as_map().unwrap().entry("Res").unwrap();
    assert_eq!(at(text, res.key_span.start), (1, 1));
    assert_eq!(&text[res.key_span.range()], "Res");
    // A collection starts at its first character.
    let (line, column, written) = located(text, &root);
    assert_eq!((line, column), (1, 1));
    assert!(
        written.starts_with("Res:") && written.ends_with("[x]"),
        "{written:?}"
    );
    let sg = res.value.as_map().unwrap().entry("Sg").unwrap();
    let call = sg.value.as_map().unwrap().entry("Fn::GetAtt").unwrap();
    assert_eq!(
        (&text[call.key_span.range()], at(text, call.key_span.start)),
        ("!GetAtt", (2, 7))
    );
    let halves = call.value.as_list().unwrap();
    assert_eq!(located(text, &halves[0]), (2, 16, "Web".to_string()));
    assert_eq!(located(text, &halves[1]), (2, 20, "GroupId".to_string()));
    let tab = res.value.get("tab").unwrap();
    assert_eq!(located(text, tab), (3, 8, "[x]".to_string()));
}

#[test]
fn an_indented_document_starts_at_its_first_key() {
    let text = "---\n  # the whole document is indented\n  Resources:\n    A: 1\n";
    let root = load(text).unwrap();
    assert_eq!(
        located(text, &root),
        (3, 3, "Resources:\n    A: 1".to_string())
    );
}

#[test]
fn only_one_document_is_read() {
    let text = "a: 1\n---\nb: 2\n";
    let e = error(text);
    assert_eq!(e.code, "yaml::multiple-documents");
    assert_eq!(at(text, e.span.unwrap().start), (2, 1));
    assert_eq!(
        error("a: 1\n...\n---\nb: 2\n").code,
        "yaml::multiple-documents"
    );
    // libyaml wants `---` before a document that follows `...`.
    assert_eq!(error("a: 1\n...\nb: 2\n").code, "yaml::syntax");
    assert_eq!(json("---\na: 1\n...\n"), r#"{"a":1}"#);
    assert_eq!(json("a: 1\n...\n# trailing comment\n"), r#"{"a":1}"#);
    assert_eq!(parse(&SourceFile::new("t", "# nothing\n")).unwrap(), None);
}

#[test]
fn aliases_copy_their_anchor() {
    assert_eq!(
        json("a: &x {p: 1}\nb: *x\n"),
        r#"{"a":{"p":1},"b":{"p":1}}"#
    );
    assert_eq!(
        json("a: &r !Ref X\nb: *r\n"),
        r#"{"a":{"Ref":"X"},"b":{"Ref":"X"}}"#
    );
    assert_eq!(json("- &k name\n- {*k : v}\n"), r#"["name",{"name":"v"}]"#);
    // A merge key brings the anchored map's entries in (see below).
    assert_eq!(
        json("a: &d {x: 1}\nb:\n  <<: *d\n"),
        r#"{"a":{"x":1},"b":{"x":1}}"#
    );
    let text = "a: 1\nb: *nope\n";
    let e = error(text);
    assert_eq!(e.code, "yaml::unknown-alias");
    assert_eq!(
        e.message,
        "alias `*nope` refers to no anchor defined before it"
    );
    assert_eq!(at(text, e.span.unwrap().start), (2, 4));
}

#[test]
fn an_alias_bomb_fails_before_it_is_built() {
    let mut text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for i in 1..=9 {
        let p = i - 1;
        let refs = vec![format!("*l{p}"); 10].join(", ");
        text.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    let e = error(&text);
    assert_eq!(e.code, "yaml::too-large");
    // Level 4 holds about 10^5 values: copying it ten times into level 5 exhausts the budget.
    assert_eq!(
        e.message,
        format!("alias `*l4` would expand the document past {MAX_NODES} values")
    );
    assert_eq!(at(&text, e.span.unwrap().start).0, 6);
}

#[test]
fn an_alias_cannot_nest_deeper_than_the_bound() {
    let half = MAX_DEPTH / 2 + 1;
    let text = format!(
        "a: &deep {}x{}\nb: {}*deep{}\n",
        "[".repeat(half),
        "]".repeat(half),
        "[".repeat(half),
        "]".repeat(half)
    );
    let e = error(&text);
    assert_eq!(e.code, "input::too-deep");
    assert_eq!(at(&text, e.span.unwrap().start), (2, 4 + half as u32));
}

#[test]
fn deep_nesting_stops_at_the_bound() {
    let flow = |n: usize| "[".repeat(n);
    let block = |n: usize| format!("{}x\n", "- ".repeat(n));
    let tagged = |n: usize| "!If [".repeat(n);
    let cases: [(String, u32); 5] = [
        (flow(10_000), 1 + MAX_DEPTH as u32),
        (flow(100_000), 1 + MAX_DEPTH as u32),
        (block(10_000), 1 + 2 * MAX_DEPTH as u32),
        (block(100_000), 1 + 2 * MAX_DEPTH as u32),
        // A tag is a level of its own: 128 `!If [` fill the bound.
        (tagged(1_000), 5 * (MAX_DEPTH as u32 / 2) + 5),
    ];
    for (text, column) in cases {
        let e = error(&text);
        assert_eq!(e.code, "input::too-deep", "{}", &text[..12]);
        assert_eq!(
            at(&text, e.span.unwrap().start),
            (1, column),
            "{}",
            &text[..12]
        );
    }
    let fits = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(load(&fits).is_ok());
}

#[test]
fn keys_must_be_text() {
    let cases = [
        (
            "? [a]\n: b\n",
            "a map key must be text, not a list, a map or a number",
            (1, 3),
        ),
        (
            "!Ref x: 1\n",
            "a map key cannot be a tagged value (`!Ref`)",
            (1, 6),
        ),
        (
            "a: &n 1\n? *n\n: b\n",
            "a map key must be text, not a list, a map or a number",
            (2, 3),
        ),
    ];
    for (text, message, position) in cases {
        let e = error(text);
        assert_eq!(
            (e.code, e.message.as_str()),
            ("yaml::complex-key", message),
            "{text:?}"
        );
        assert_eq!(at(text, e.span.unwrap().start), position, "{text:?}");
    }
}

#[test]
fn duplicate_keys_name_both_positions() {
    let text = "Resources:\n  A: 1\n  B: 2\n  A: 2\n";
    let e = error(text);
    let message = "duplicate key `A` (first defined at line 2, column 3)";
    assert_eq!(summary(text, &e), ("yaml::duplicate-key", message, (4, 3)));
    assert_eq!(at(text, e.related.unwrap().0.start), (2, 3));
    // Keys compare by text, whatever the quoting.
    assert_eq!(error("a: 1\n'a': 2\n").code, "yaml::duplicate-key");
}

#[test]
fn a_tag_followed_by_a_comma_is_an_error_not_a_panic() {
    let text = "a: [1, !Ref, x]\n";
    let message = "invalid YAML: a tag must be followed by a space or a line break, found `,`";
    assert_eq!(
        summary(text, &error(text)),
        ("yaml::syntax", message, (1, 8))
    );
    for text in [
        "{a: !!str, b: c}",
        "- [a, !<!Ref>, b]",
        "- {a: &x !Sub, b: c}",
    ] {
        assert_eq!(error(text).code, "yaml::syntax", "{text}");
    }
    // Outside a flow collection libyaml reports it; in text it is no tag at all.
    assert_eq!(error("a: !Ref, x\n").code, "yaml::syntax");
    let text = "# !Ref, x\na: \"!Ref, x\"\nb: [foo !x, y]\nc: |\n  !Sub, z\n";
    assert_eq!(
        json(text),
        r#"{"a":"!Ref, x","b":["foo !x","y"],"c":"!Sub, z\n"}"#
    );
}

#[test]
fn an_unfinished_escape_at_the_end_is_an_error_not_a_panic() {
    for text in ["a: \"x\\", "\"\\", "a: [\"\\"] {
        assert_eq!(error(text).code, "yaml::syntax", "{text:?}");
    }
}

#[test]
fn control_characters_are_named_with_their_position() {
    let text = "a: 1\nb: x\u{7}y\n";
    let message = "control character U+0007 is not allowed in YAML";
    let want = ("yaml::control-character", message, (2, 5));
    assert_eq!(summary(text, &error(text)), want);
    assert_eq!(error("\u{feff}a: \u{7f}").span, Some(Span::new(6, 7)));
}

#[test]
fn syntax_errors_say_what_where_and_what_to_do() {
    let text = "a:\n  b: c: d\n";
    let e = error(text);
    let message = "invalid YAML: mapping values are not allowed in this context";
    assert_eq!(summary(text, &e), ("yaml::syntax", message, (2, 7)));
    assert!(e.help.unwrap().contains("quotes"));

    let text = "a: 1\nb: 'never closed\n";
    let e = error(text);
    assert_eq!(
        e.message,
        "invalid YAML: found unexpected end of stream (while scanning a quoted scalar that starts at line 2, column 4)"
    );
    let (related, label) = e.related.unwrap();
    assert_eq!(
        (at(text, related.start), label.as_str()),
        ((2, 4), "a quoted scalar starts here")
    );

    let e = error("a: [1, 2\nb: 3\n");
    assert!(e.message.contains("`,` or `]`"), "{}", e.message);
    assert!(!e.message.contains('\''), "{}", e.message);
}

#[test]
fn a_key_past_the_yaml_limit_is_named_as_such() {
    let long = "K".repeat(1100);
    for text in [
        format!("Resources:\n  {long}: x\n"),
        format!("Tags:\n  - \"{long}\": v\n"),
        format!("Resources:\n  {long}   : x\n"),
    ] {
        let e = error(&text);
        assert!(
            e.message.contains("this key is 1100 characters long")
                || e.message.contains("this key is 1102 characters long"),
            "{}",
            e.message
        );
        let span = e.span.unwrap();
        assert_eq!(at(&text, span.start).0, 2);
        // The span is the key itself.
        let key = text.get(span.start as usize..span.end as usize).unwrap();
        assert!(key.contains(&long), "{key}");
        assert_eq!(key.trim(), key);
        assert!(!key.contains(':'));
    }
    // Written as an explicit key, it is read.
    let explicit = format!("Resources:\n  ? {long}\n  : x\n");
    assert!(load(&explicit).is_ok());
    // A `: ` after a value on a line that holds a key already keeps libyaml's own reason.
    let e = error(&format!("a: \"{long}\": x\n"));
    assert!(
        e.message.contains("mapping values are not allowed"),
        "{}",
        e.message
    );
}

#[test]
fn merge_keys_bring_in_the_named_maps_entries() {
    // Keys written in the map win; the first map of a list wins over the next.
    let text = "d: &d {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}\ne: &e {CidrIp: 1.2.3.4/32, Description: e}\nrule:\n  <<: [*d, *e]\n  CidrIp: 0.0.0.0/0\n";
    let root = load(text).unwrap();
    let rule = root.get("rule").unwrap();
    assert_eq!(
        serde_json::to_string(rule).unwrap(),
        r#"{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"Description":"e","CidrIp":"0.0.0.0/0"}"#
    );
    // A merged value points where the anchored map writes it.
    let from = rule.get("FromPort").unwrap();
    assert_eq!(at(text, from.span.start), (1, 35));
    // One map, through an anchored map that itself merges.
    assert_eq!(
        json("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n"),
        r#"{"a":{"x":1},"b":{"x":1,"y":2},"c":{"x":1,"y":2}}"#
    );
}

#[test]
fn only_a_plain_merge_key_merges() {
    assert_eq!(
        json("a: &a {x: 1}\nb: {\"<<\": *a}\n"),
        r#"{"a":{"x":1},"b":{"<<":{"x":1}}}"#
    );
    assert_eq!(
        json("a: &a {x: 1}\nb: {'<<': *a}\n"),
        r#"{"a":{"x":1},"b":{"<<":{"x":1}}}"#
    );
}

#[test]
fn a_merge_key_needs_maps() {
    for (text, position) in [
        ("a: {<<: 5}\n", (1, 9)),
        ("a: {<<: [{x: 1}, 2]}\n", (1, 18)),
        ("a:\n  <<: text\n", (2, 7)),
        // A function is worked out at deploy time, after merge keys are applied.
        ("a:\n  <<: !If [C, {x: 1}, {y: 2}]\n", (2, 7)),
        ("a: {<<: [!Ref X]}\n", (1, 10)),
    ] {
        let e = error(text);
        assert_eq!(
            summary(text, &e),
            (
                "yaml::invalid-merge",
                "the merge key `<<` takes a map (an alias of one, `*name`) or a list of maps",
                position
            ),
            "{text:?}"
        );
    }
}
