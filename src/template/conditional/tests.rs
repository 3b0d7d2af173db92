//! `Properties: !If` spread over the properties.

use std::sync::Arc;

use crate::source::SourceFile;
use crate::template;

/// The properties of resource `R` in `text`, as compact JSON.
fn properties(text: &str) -> String {
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
    let r = t.resources().unwrap().get("R").unwrap();
    serde_json::to_string(r.get("Properties").unwrap()).unwrap()
}

#[test]
fn each_property_gets_the_condition() {
    let text = "Resources:\n  R:\n    Type: T\n    Properties: !If\n      - C\n      - {A: 1, B: [x]}\n      - {B: [y], D: 2}\n";
    assert_eq!(
        properties(text),
        concat!(
            r#"{"A":{"Fn::If":["C",1,{"Ref":"AWS::NoValue"}]},"#,
            r#""B":{"Fn::If":["C",["x"],["y"]]},"#,
            r#""D":{"Fn::If":["C",{"Ref":"AWS::NoValue"},2]}}"#
        )
    );
}

#[test]
fn a_branch_without_properties_and_nested_conditions_spread_too() {
    let text = "Resources:\n  R:\n    Type: T\n    Properties: !If [C, !If [D, {A: 1}, {A: 2}], !Ref AWS::NoValue]\n";
    assert_eq!(
        properties(text),
        r#"{"A":{"Fn::If":["C",{"Fn::If":["D",1,2]},{"Ref":"AWS::NoValue"}]}}"#
    );
}

#[test]
fn other_branches_leave_the_properties_as_written() {
    let text =
        "Resources:\n  R:\n    Type: T\n    Properties: !If [C, {A: 1}, !FindInMap [M, a, b]]\n";
    assert_eq!(
        properties(text),
        r#"{"Fn::If":["C",{"A":1},{"Fn::FindInMap":["M","a","b"]}]}"#
    );
}

#[test]
fn maps_inside_the_properties_spread_when_both_branches_are_maps() {
    let text = "Resources:\n  R:\n    Type: T\n    Properties:\n      Data: !If [C, {Ids: [a]}, {Image: x}]\n      Keep: !If [C, {A: 1}, !Ref AWS::NoValue]\n      List: [!If [C, {A: 1}, {A: 2}]]\n";
    assert_eq!(
        properties(text),
        concat!(
            r#"{"Data":{"Ids":{"Fn::If":["C",["a"],{"Ref":"AWS::NoValue"}]},"Image":{"Fn::If":["C",{"Ref":"AWS::NoValue"},"x"]}},"#,
            // An absent map is not an empty one: kept as written.
            r#""Keep":{"Fn::If":["C",{"A":1},{"Ref":"AWS::NoValue"}]},"#,
            // A list item stays one `Fn::If`: the model reads items branch by branch.
            r#""List":[{"Fn::If":["C",{"A":1},{"A":2}]}]}"#
        )
    );
}
