//! Unit tests of loading as a whole: format detection, the JSON/YAML twin fixture, empty,
//! binary and mis-encoded files, "not a template", and the rules every error follows.

use super::*;

fn load(text: &str) -> Result<Template, LoadError> {
    parse(Arc::new(SourceFile::new("t", text)))
}

fn json(text: &str) -> String {
    serde_json::to_string(&load(text).unwrap().root).unwrap()
}

/// The 1-based `(line, column)` of byte `offset` in `text`; shared by the readers' tests.
pub(super) fn line_col(text: &str, offset: u32) -> (u32, u32) {
    let p = SourceFile::new("t", text).position(offset);
    (p.line, p.column)
}

/// An error's code, message and `(line, column)`, to compare in one assertion.
pub(super) fn summary<'e>(text: &str, e: &'e LoadError) -> (&'static str, &'e str, (u32, u32)) {
    (e.code, e.message.as_str(), error_at(text, e))
}

/// The 1-based line and column where an error points.
fn error_at(text: &str, e: &LoadError) -> (u32, u32) {
    line_col(text, e.span.unwrap().start)
}

#[test]
fn short_tags_become_long_forms() {
    assert_eq!(
        json("A: !Ref X\nB: !GetAtt Sg.GroupId\nC: !Sub '${X}'\nD: !Cidr [a, 1, 2]\n"),
        r#"{"A":{"Ref":"X"},"B":{"Fn::GetAtt":["Sg","GroupId"]},"C":{"Fn::Sub":"${X}"},"D":{"Fn::Cidr":["a",1,2]}}"#
    );
}

#[test]
fn quoted_numbers_stay_strings_and_plain_ones_are_numbers() {
    assert_eq!(
        json("a: '22'\nb: 22\nc: -1\nd: 1.5\ne: 0.0.0.0/0\nf: ~\n"),
        r#"{"a":"22","b":22,"c":-1,"d":1.5,"e":"0.0.0.0/0","f":null}"#
    );
}

#[test]
fn the_format_comes_from_the_content() {
    // JSON: `{` or `[` first, after a byte-order mark and whitespace.
    for text in ["{\"a\": 1}", "\u{feff}{\"a\": 1}", " \r\n\t{\"a\": 1}\n"] {
        assert_eq!(json(text), r#"{"a":1}"#, "{text:?}");
    }
    // JSON's duplicate-key code proves which reader ran.
    let e = load("\n  {\"a\": 1, \"a\": 2}").unwrap_err();
    assert_eq!(e.code, "json::duplicate-key");
    // YAML otherwise, even when a flow map follows a comment.
    let e = load("# c\n{a: 1, a: 2}").unwrap_err();
    assert_eq!(e.code, "yaml::duplicate-key");
    assert_eq!(json("[1, {b: c}]"), r#"[1,{"b":"c"}]"#);
}

#[test]
fn json_that_only_yaml_reads_is_read_as_yaml() {
    // Trailing commas, unquoted keys, single quotes and `#` comments are YAML, not JSON.
    assert_eq!(
        json("{\"Resources\": {\"A\": {\"Type\": 'X',},}, # note\n Unquoted: yes}"),
        r#"{"Resources":{"A":{"Type":"X"}},"Unquoted":"yes"}"#
    );
    // When YAML fails too, the JSON error is the one reported.
    let text = "{\"a\": 1 \"b\": 2}";
    let e = load(text).unwrap_err();
    assert_eq!(e.code, "json::syntax");
    assert_eq!(error_at(text, &e), (1, 9));
}

#[test]
fn json_and_yaml_twins_load_to_the_same_tree() {
    let yaml = include_str!("../../tests/fixtures/load/twin.yaml");
    let json = include_str!("../../tests/fixtures/load/twin.json");
    let (y, j) = (load(yaml).unwrap(), load(json).unwrap());
    assert!(y.is_cloudformation() && j.is_cloudformation());
    let (y, j) = (
        serde_json::to_string(&y.root).unwrap(),
        serde_json::to_string(&j.root).unwrap(),
    );
    assert_eq!(y, j);
    // The comparison is not vacuous: tags, numbers, escapes and nulls made it through.
    for part in [
        r#""FromPort":443"#,
        r#""FromPort":"22""#,
        r#"{"Fn::If":["IsProd","#,
        r#""Description":"ssh\tfrom the office""#,
        r#""CidrIpv6":null"#,
        r#""Ratio":{"Value":0.25}"#,
        "😀",
    ] {
        assert!(y.contains(part), "{part} in {y}");
    }
}

#[test]
fn empty_files_are_errors() {
    let cases = [
        ("", "the file is empty"),
        ("\u{feff}", "the file is empty"),
        (" \n\t\r\n", "the file holds only whitespace"),
        ("# a comment\n  # another\n", "the file holds only comments"),
    ];
    for (text, message) in cases {
        let e = load(text).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("input::empty", message));
    }
}

#[test]
fn nul_bytes_mark_a_binary_file() {
    for text in ["a: 1\n\0", "{\"a\": \"\0\"}"] {
        let e = load(text).unwrap_err();
        assert_eq!(e.code, "input::binary");
        assert_eq!(e.span.map(|s| s.len()), Some(1));
    }
    let text = "a: 1\nb: x\0";
    assert_eq!(error_at(text, &load(text).unwrap_err()), (2, 5));
}

#[test]
fn decode_accepts_utf8_only() {
    assert_eq!(
        decode("x", b"\xef\xbb\xbfa: 1".to_vec()).unwrap().text(),
        "\u{feff}a: 1"
    );
    for bom in [&b"\xff\xfea\0"[..], b"\xfe\xff\0a"] {
        let e = decode("x", bom.to_vec()).unwrap_err();
        assert_eq!(e.code, "input::not-utf8");
        assert!(e.message.contains("UTF-16"), "{}", e.message);
    }
    for bom in [&b"\xff\xfe\0\0a\0\0\0"[..], b"\0\0\xfe\xff\0\0\0a"] {
        let e = decode("x", bom.to_vec()).unwrap_err();
        assert!(e.message.contains("UTF-32"), "{}", e.message);
        assert!(e.help.unwrap().contains("-f UTF-32"));
    }
    let e = decode("x", b"a: 1\nb: caf\xe9\n".to_vec()).unwrap_err();
    assert_eq!(e.code, "input::not-utf8");
    assert!(
        e.message.contains("byte 0xE9 at line 2, column 7"),
        "{}",
        e.message
    );
}

#[test]
fn a_missing_file_is_unreadable() {
    let e = read_file(Path::new("no/such/file.yaml"), "file.yaml").unwrap_err();
    assert_eq!(e.code, "input::unreadable");
    assert!(e.message.contains("no such file"), "{}", e.message);
}

#[test]
fn not_cloudformation_says_why_and_where() {
    let cases = [
        (
            "- a\n- b\n",
            "its top level is a list, not a map",
            Some((1, 1)),
        ),
        (
            "just text\n",
            "its top level is a string, not a map",
            Some((1, 1)),
        ),
        ("42", "its top level is a number, not a map", Some((1, 1))),
        ("---\n", "its top level is empty, not a map", Some((2, 1))),
        (
            "[{\"ParameterKey\": \"A\"}]",
            "its top level is a list, not a map",
            Some((1, 1)),
        ),
        (
            "AWSTemplateFormatVersion: x\n",
            "it has no `Resources` section",
            None,
        ),
        (
            "Resources:\n  - A\n",
            "`Resources` is a list, not a map",
            Some((2, 3)),
        ),
        (
            "Resources: ~\n",
            "`Resources` is empty, not a map",
            Some((1, 12)),
        ),
    ];
    for (text, why, at) in cases {
        let t = load(text).unwrap();
        assert!(!t.is_cloudformation(), "{text:?}");
        let e = t.check_cloudformation().unwrap_err();
        assert_eq!(e, LoadError::not_cloudformation(&t));
        assert_eq!(e.code, "template::not-cloudformation");
        assert_eq!(e.message, format!("not a CloudFormation template: {why}"));
        assert_eq!(e.span.map(|_| error_at(text, &e)), at, "{text:?}");
        assert!(e.help.is_some());
    }
    let t = load("Resources:\n  A:\n    Type: X\n").unwrap();
    assert!(t.check_cloudformation().is_ok());
    assert_eq!(t.resources().map(Map::len), Some(1));
}

#[test]
fn a_resource_must_be_a_map_with_a_type_name() {
    let cases = [
        (
            "Resources:\n  A: 5\n",
            "resource `A` is a number, not a map",
            (2, 6),
        ),
        (
            "Resources:\n  A:\n",
            "resource `A` is empty, not a map",
            (2, 5),
        ),
        (
            "Resources:\n  Ok:\n    Type: X\n  A:\n    Properties: {}\n",
            "resource `A` has no `Type`",
            (4, 3),
        ),
        (
            "Resources:\n  A:\n    Type: [X]\n",
            "the `Type` of resource `A` is a list, not a resource type name",
            (3, 11),
        ),
        (
            "Resources:\n  A:\n    Type: aws::ec2::securitygroup\n",
            "resource `A` has the type `aws::ec2::securitygroup`, which CloudFormation does not know: type names are case-sensitive",
            (3, 11),
        ),
        (
            "Resources:\n  A:\n    Type: AWS::EC2::instance\n",
            "resource `A` has the type `AWS::EC2::instance`, which CloudFormation does not know: type names are case-sensitive",
            (3, 11),
        ),
        (
            "Resources:\n  A:\n    Type: ' '\n",
            "the `Type` of resource `A` is empty, not a resource type name",
            (3, 11),
        ),
        (
            "Resources:\n  A:\n    Type: !Sub '${T}'\n",
            "the `Type` of resource `A` is a map, not a resource type name",
            (3, 11),
        ),
        (
            "Resources:\n  A:\n    Type: !Rain::Module ./vpc.yml\n",
            "resource `A` is a Rain module, which CloudFormation does not read",
            (3, 11),
        ),
        (
            "Resources:\n  A:\n    Type: X\n    Properties: [a]\n",
            "the `Properties` of resource `A` are a list, not a map",
            (4, 17),
        ),
        (
            "Conditions:\n  Prod: !Equals [a, b]\nResources:\n  A:\n    Type: X\n    Condition: Dev\n",
            "resource `A` names the condition `Dev`, which `Conditions` does not define",
            (6, 16),
        ),
        (
            "Resources:\n  Fn::ForEach::Tiers: [Tier, [a, b]]\n",
            "the loop `Fn::ForEach::Tiers` cannot be expanded: it is not a list of an identifier, a collection and a map of resources",
            (2, 23),
        ),
        (
            "{\"Resources\": {\"A\": {\"Type\": {\"Rain::Module\": \"./vpc.yml\"}}}}",
            "resource `A` is a Rain module, which CloudFormation does not read",
            (1, 30),
        ),
    ];
    for (text, message, at) in cases {
        let t = load(text).unwrap();
        assert!(t.is_cloudformation(), "{text:?}");
        let e = t.check_resources().unwrap_err();
        assert_eq!(e.code, "template::invalid-resource", "{text:?}");
        assert_eq!(e.message, message, "{text:?}");
        assert_eq!(error_at(text, &e), at, "{text:?}");
        assert!(e.help.is_some());
    }
    let rain = load("Resources:\n  A:\n    Type: !Rain::Module ./vpc.yml\n").unwrap();
    let help = rain.check_resources().unwrap_err().help.unwrap();
    assert!(help.contains("rain pkg"), "{help}");
    // A modelled type in another case is named as CloudFormation spells it.
    let group = load("Resources:\n  A:\n    Type: AWS::EC2::Securitygroup\n").unwrap();
    let help = group.check_resources().unwrap_err().help.unwrap();
    assert_eq!(help, "write the type as `AWS::EC2::SecurityGroup`");
    // Well-formed resources, of any type name, and a template without resources pass.
    for text in [
        "Resources: {}\n",
        "Conditions:\n  Dev: !Equals [a, b]\nResources:\n  A:\n    Type: X\n    Condition: Dev\n    Properties:\n",
        "Resources:\n  A:\n    Type: AWS::EC2::SecurityGroup\n  B:\n    Type: Org::Net::Groups::MODULE\n",
        "Resources:\n  A:\n    Type: AWS::EC2::VPCEndpoint\n  B:\n    Type: Custom::lowercase\n  C:\n    Type: Alexa::ASK::Skill\n  D:\n    Type: AWS::Serverless::Function\n",
    ] {
        assert!(load(text).unwrap().check_resources().is_ok(), "{text:?}");
    }
}

/// Every code a file can cause, with an input that causes it; every message follows the
/// house rules (lowercase start, no final period) and comes with advice.
#[test]
fn every_error_code_has_a_position_and_advice() {
    let bomb = format!(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n{}",
        (b'b'..=b'h')
            .map(|c| {
                let prev = (c - 1) as char;
                let c = c as char;
                format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n")
            })
            .collect::<String>()
    );
    let deep = "[".repeat(300);
    let cases: Vec<(&str, &str, bool)> = vec![
        ("a: 1\0", "input::binary", true),
        ("", "input::empty", false),
        (&deep, "input::too-deep", true),
        ("{\"a\": 1 \"b\": 2}", "json::syntax", true),
        ("{\"a\": 1, \"a\": 2}", "json::duplicate-key", true),
        ("a: b: c", "yaml::syntax", true),
        ("a: b\u{7}", "yaml::control-character", true),
        ("a: 1\na: 2", "yaml::duplicate-key", true),
        ("? [a]\n: b", "yaml::complex-key", true),
        ("a: *x", "yaml::unknown-alias", true),
        (&bomb, "yaml::too-large", true),
        ("a: 1\n---\nb: 2", "yaml::multiple-documents", true),
    ];
    let mut errors: Vec<(LoadError, bool)> = cases
        .iter()
        .map(|(text, code, located)| {
            let e = load(text).unwrap_err();
            assert_eq!(e.code, *code, "{text:?}: {}", e.message);
            (e, *located)
        })
        .collect();
    let list = load("- 1").unwrap();
    errors.push((list.check_cloudformation().unwrap_err(), true));
    let typeless = load("Resources:\n  A: {}\n").unwrap();
    errors.push((typeless.check_resources().unwrap_err(), true));
    errors.push((decode("x", vec![0xff]).unwrap_err(), false));
    errors.push((
        read_file(Path::new("no/such/dir/x.json"), "x").unwrap_err(),
        false,
    ));
    for (e, located) in errors {
        let first = e.message.chars().next().unwrap();
        assert!(!first.is_uppercase(), "{}: {}", e.code, e.message);
        assert!(!e.message.ends_with('.'), "{}: {}", e.code, e.message);
        assert!(e.help.is_some(), "{} has no help", e.code);
        assert_eq!(e.span.is_some(), located, "{}: {}", e.code, e.message);
    }
}

#[test]
fn a_stream_is_read_to_its_end_across_batches() {
    let text = "Resources: {}\n".repeat(200_000);
    let bytes = read_bytes(text.as_bytes(), 0, MAX_INPUT_LEN).unwrap();
    assert_eq!(bytes, text.as_bytes());
    // A known size gives the same bytes.
    let sized = read_bytes(text.as_bytes(), text.len(), MAX_INPUT_LEN).unwrap();
    assert_eq!(sized, text.as_bytes());
}

#[test]
fn a_stream_stops_at_its_first_nul_byte() {
    // An endless stream of NUL bytes, as `/dev/zero` is, ends at once.
    let bytes = read_bytes(std::io::repeat(0), 0, MAX_INPUT_LEN).unwrap();
    assert_eq!(bytes, [0]);
    // Text before the NUL is kept, so the error can say where the NUL is.
    let endless = b"Resources:\n  \x00".chain(std::io::repeat(b'x'));
    let source = decode("t", read_bytes(endless, 0, MAX_INPUT_LEN).unwrap()).unwrap();
    let e = parse(source).unwrap_err();
    assert_eq!(summary("Resources:\n  \0", &e).0, "input::binary");
    assert_eq!(error_at("Resources:\n  \0", &e), (2, 3));
}

#[test]
fn a_stream_longer_than_the_limit_is_refused() {
    let limit = 3 * READ_CHUNK as usize + 5;
    let endless = std::io::repeat(b'a');
    assert!(matches!(read_bytes(endless, 0, limit), Err(None)));
    // Exactly at the limit is fine.
    let at_limit = std::io::repeat(b'a').take(limit as u64);
    assert_eq!(read_bytes(at_limit, 0, limit).unwrap().len(), limit);
}
