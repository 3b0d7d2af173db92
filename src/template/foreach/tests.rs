//! Loops expanded: keys, references and `Fn::Sub` texts per item; collections written or
//! from a parameter's default; unknown collections; nested loops; the bound.

use std::sync::Arc;

use crate::source::SourceFile;
use crate::template::{self, LoadError, Template};

fn load(text: &str) -> Result<Template, LoadError> {
    template::parse(Arc::new(SourceFile::new("t.yaml", text)))
}

/// The `Resources` of `text`, loops expanded, as compact JSON.
fn resources(text: &str) -> String {
    let t = load(text).unwrap();
    serde_json::to_string(t.root.get("Resources").unwrap()).unwrap()
}

#[test]
fn each_item_gets_its_own_copy() {
    let text = "Resources:\n  Fn::ForEach::Tiers:\n    - Tier\n    - [web, db-1]\n    - ${Tier}Sg:\n        Type: AWS::EC2::SecurityGroup\n        Properties:\n          GroupDescription: !Sub '${Tier} tier in ${AWS::Region}'\n          Tags: [{Key: Name, Value: !Ref Tier}]\n      Rule&{Tier}:\n        Type: AWS::EC2::SecurityGroupIngress\n        Properties: {GroupId: !Ref '${Tier}Sg'}\n";
    assert_eq!(
        resources(text),
        concat!(
            r#"{"webSg":{"Type":"AWS::EC2::SecurityGroup","Properties":{"GroupDescription":{"Fn::Sub":"web tier in ${AWS::Region}"},"Tags":[{"Key":"Name","Value":"web"}]}},"#,
            r#""Ruleweb":{"Type":"AWS::EC2::SecurityGroupIngress","Properties":{"GroupId":{"Ref":"webSg"}}},"#,
            r#""db-1Sg":{"Type":"AWS::EC2::SecurityGroup","Properties":{"GroupDescription":{"Fn::Sub":"db-1 tier in ${AWS::Region}"},"Tags":[{"Key":"Name","Value":"db-1"}]}},"#,
            r#""Ruledb1":{"Type":"AWS::EC2::SecurityGroupIngress","Properties":{"GroupId":{"Ref":"db-1Sg"}}}}"#
        )
    );
}

#[test]
fn every_text_of_the_copy_is_substituted() {
    let text = "Resources:\n  Fn::ForEach::L:\n    - X\n    - [a.b]\n    - R&{X}:\n        D: !Sub ['${X}-${Y}', {Y: 1}]\n        E: plain ${X} and &{X}\n        F: [!Ref X, !Ref Y, 3]\n";
    assert_eq!(
        resources(text),
        r#"{"Rab":{"D":{"Fn::Sub":["a.b-${Y}",{"Y":1}]},"E":"plain a.b and ab","F":["a.b",{"Ref":"Y"},3]}}"#
    );
}

#[test]
fn a_collection_can_be_a_parameters_default() {
    let csv = "Parameters:\n  Names: {Type: CommaDelimitedList, Default: 'a, b'}\nResources:\n  Fn::ForEach::L:\n    - N\n    - !Ref Names\n    - ${N}Q: {Type: AWS::SQS::Queue}\n";
    assert_eq!(
        resources(csv),
        r#"{"aQ":{"Type":"AWS::SQS::Queue"},"bQ":{"Type":"AWS::SQS::Queue"}}"#
    );
    let list = csv.replace("'a, b'", "[x]");
    assert_eq!(resources(&list), r#"{"xQ":{"Type":"AWS::SQS::Queue"}}"#);
}

#[test]
fn a_loop_over_an_unknown_collection_is_kept_once_as_written() {
    // No default: what the loop declares is still there to be checked.
    let text = "Parameters:\n  Names: {Type: CommaDelimitedList}\nResources:\n  Fn::ForEach::L:\n    - N\n    - !Ref Names\n    - ${N}Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref N}}\n";
    assert_eq!(
        resources(text),
        r#"{"${N}Q":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":{"Ref":"N"}}}}"#
    );
}

#[test]
fn loops_nest_and_sit_beside_other_entries() {
    let text = "Resources:\n  Keep: {Type: AWS::SQS::Queue}\n  Fn::ForEach::Outer:\n    - A\n    - [x, y]\n    - Fn::ForEach::Inner:\n        - B\n        - ['1', 2]\n        - Q${A}${B}: {Type: AWS::SQS::Queue}\n";
    let t = load(text).unwrap();
    let keys: Vec<&str> = t.resources().unwrap().iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["Keep", "Qx1", "Qx2", "Qy1", "Qy2"]);
}

#[test]
fn malformed_loops_are_left_as_they_are() {
    for body in ["[N, [a]]", "[N, [a], text]", "[[N], [a], {Q: 1}]", "text"] {
        let text = format!("Resources:\n  Fn::ForEach::L: {body}\n");
        let t = load(&text).unwrap();
        assert!(
            t.resources().unwrap().get("Fn::ForEach::L").is_some(),
            "{body}"
        );
    }
}

#[test]
fn loops_that_make_too_much_are_refused() {
    let items: Vec<String> = (0..2_000).map(|i| format!("i{i}")).collect();
    let list = items.join(", ");
    let text = format!(
        "Resources:\n  Fn::ForEach::A:\n    - X\n    - [{list}]\n    - Fn::ForEach::B:\n        - Y\n        - [{list}]\n        - Q${{X}}${{Y}}: {{Type: AWS::SQS::Queue}}\n"
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.code, "template::too-large");
    assert!(
        e.message.contains("`Fn::ForEach::A` makes more than"),
        "{}",
        e.message
    );
}

#[test]
fn a_loop_that_makes_a_key_twice_is_refused() {
    // Without `${X}` in its output key, every item makes the same resource.
    let same =
        "Resources:\n  Fn::ForEach::L:\n    - X\n    - [a, b]\n    - Q: {Type: AWS::SQS::Queue}\n";
    // With it, an item can still make a resource written beside the loop.
    let beside = "Resources:\n  Qa: {Type: AWS::SQS::Queue}\n  Fn::ForEach::L:\n    - X\n    - [a, b]\n    - Q${X}: {Type: AWS::SQS::Queue}\n";
    for text in [same, beside] {
        let e = load(text).unwrap_err();
        assert_eq!(e.code, "template::duplicate-key", "{text}");
        assert!(
            e.message.starts_with("`Fn::ForEach::L` makes the key `Q"),
            "{}",
            e.message
        );
    }
}

#[test]
fn long_texts_count_against_the_bound_of_loops() {
    // 2,000 copies of a 20 KB description: 40 MB of text from a 20 KB template.
    let items: Vec<String> = (0..2_000).map(|i| format!("i{i}")).collect();
    let long = "x".repeat(20_000);
    let text = format!(
        "Resources:\n  Fn::ForEach::A:\n    - X\n    - [{}]\n    - Q${{X}}: {{Type: AWS::SQS::Queue, Properties: {{D: {long}}}}}\n",
        items.join(", ")
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.code, "template::too-large");
    // The same loop with a short description is expanded.
    let short = text.replace(&long, "short");
    assert_eq!(load(&short).unwrap().resources().unwrap().len(), 2_000);
}
