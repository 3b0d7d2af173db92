//! SAM `Globals.Function` applied to the template's functions.

use std::sync::Arc;

use crate::source::SourceFile;
use crate::template;

/// The properties of resource `F` in `text`, as compact JSON.
fn properties(text: &str) -> String {
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
    let f = t.resources().unwrap().get("F").unwrap();
    serde_json::to_string(f.get("Properties").unwrap()).unwrap()
}

const GLOBALS: &str = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.12\n    Layers: [a]\n    VpcConfig: {SubnetIds: [s1]}\n";

#[test]
fn a_function_takes_the_globals_its_own_properties_win() {
    let text = format!(
        "{GLOBALS}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Layers: [b]\n      VpcConfig: {{SecurityGroupIds: [sg-1]}}\n"
    );
    assert_eq!(
        properties(&text),
        r#"{"Runtime":"nodejs20.x","Layers":["a","b"],"VpcConfig":{"SubnetIds":["s1"],"SecurityGroupIds":["sg-1"]}}"#
    );
}

#[test]
fn a_function_without_properties_takes_them_all() {
    let text = format!("{GLOBALS}Resources:\n  F:\n    Type: AWS::Serverless::Function\n");
    assert_eq!(
        properties(&text),
        r#"{"Runtime":"python3.12","Layers":["a"],"VpcConfig":{"SubnetIds":["s1"]}}"#
    );
}

#[test]
fn a_function_value_is_not_merged() {
    let text = format!(
        "{GLOBALS}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      VpcConfig: !If [C, {{SecurityGroupIds: [sg-1]}}, !Ref AWS::NoValue]\n"
    );
    assert_eq!(
        properties(&text),
        r#"{"Runtime":"python3.12","Layers":["a"],"VpcConfig":{"Fn::If":["C",{"SecurityGroupIds":["sg-1"]},{"Ref":"AWS::NoValue"}]}}"#
    );
}

#[test]
fn globals_apply_only_to_serverless_functions_of_sam_templates() {
    let other = format!(
        "{GLOBALS}Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {{Runtime: x}}\n"
    );
    assert_eq!(properties(&other), r#"{"Runtime":"x"}"#);
    let no_transform = format!(
        "{}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {{Runtime: x}}\n",
        GLOBALS.replace("Transform: AWS::Serverless-2016-10-31\n", "")
    );
    assert_eq!(properties(&no_transform), r#"{"Runtime":"x"}"#);
}
