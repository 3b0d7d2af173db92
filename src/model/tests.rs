//! Spans of model values: findings must point at the template text a value came from.

use std::sync::Arc;

use super::{Parameters, build};
use crate::source::SourceFile;
use crate::template::{self, Node};

const TEXT: &str = "\
Parameters:
  Admin: {Type: String, Default: 0.0.0.0/0}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: vpc-1
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Admin}
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/0}
  Host:
    Type: AWS::EC2::Instance
    Properties:
      SecurityGroupIds: [!GetAtt Sg.GroupId]
";

fn field<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    path.iter()
        .try_fold(node, |n, k| n.get(k))
        .unwrap_or_else(|| panic!("no {path:?}"))
}

#[test]
fn values_keep_the_span_of_the_text_they_come_from() {
    let source = Arc::new(SourceFile::new("t.yaml", TEXT));
    let t = template::parse(Arc::clone(&source)).unwrap();
    let m = build(&t, &Parameters::new());
    let rules = m.entries("rules");
    let text = |n: &Node| source.slice(n.span).to_string();
    // A value from a parameter points at the `!Ref`, a literal at itself.
    assert_eq!(text(field(&rules[0], &["peer", "cidr"])), "!Ref Admin");
    assert_eq!(
        field(&rules[0], &["peer", "cidr"]).as_str(),
        Some("0.0.0.0/0")
    );
    assert_eq!(text(field(&rules[1], &["peer", "cidr"])), "10.0.0.0/0");
    // Ports cover `FromPort` to `ToPort`; the protocol is its own value.
    assert_eq!(text(field(&rules[1], &["ports"])), "443, ToPort: 443");
    assert_eq!(text(field(&rules[1], &["protocol"])), "tcp");
    // An inline rule is its list item; the implicit rule and the group are the group's key.
    assert!(text(&rules[0]).starts_with("{IpProtocol: tcp, FromPort: 22"));
    assert_eq!(text(&rules[2]), "Sg");
    let sg = &m.entries("security_groups")[0];
    assert_eq!(text(sg), "Sg");
    let attached = &field(sg, &["attached_to"]).as_list().unwrap()[0];
    assert_eq!(text(attached), "!GetAtt Sg.GroupId");
    let attachment = &m.entries("attachments")[0];
    assert_eq!(text(attachment), "[!GetAtt Sg.GroupId]");
}

#[test]
fn the_model_is_one_map_of_four_lists() {
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", TEXT))).unwrap();
    let node = build(&t, &Parameters::new()).to_node();
    let keys: Vec<&str> = node.as_map().unwrap().iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["security_groups", "rules", "attachments", "vpcs"]);
    assert_eq!(
        node.get("rules").and_then(Node::as_list).map(<[Node]>::len),
        Some(3)
    );
}

#[test]
fn declared_rules_built_on_two_threads_give_the_same_model() {
    // Rules of the second half name groups of the first (egress decides their implicit
    // rules), under conditions and parameters.
    let mut text = String::from(
        "Parameters:\n  Cidr: {Type: String, AllowedValues: [10.0.0.0/8, 0.0.0.0/0]}\nConditions:\n  Prod: !Equals [!Ref Cidr, 0.0.0.0/0]\nResources:\n",
    );
    for i in 0..40 {
        text.push_str(&format!(
            "  Sg{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: {i}, ToPort: {i}, CidrIp: !Ref Cidr}}\n"
        ));
    }
    for i in 0..40 {
        text.push_str(&format!(
            "  Out{i}:\n    Type: AWS::EC2::SecurityGroupEgress\n    Condition: Prod\n    Properties: {{GroupId: !Ref Sg{i}, IpProtocol: '-1', CidrIp: 10.0.0.0/8}}\n  In{i}:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties: {{GroupId: !GetAtt Sg{}.GroupId, IpProtocol: tcp, FromPort: 80, ToPort: 80, SourceSecurityGroupId: !Ref Sg{i}}}\n",
            (i + 7) % 40
        ));
    }
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
    let params = Parameters::default();
    let one = super::build::build_split(&t, &params, usize::MAX);
    let two = super::build::build_split(&t, &params, 2);
    assert_eq!(one, two);
    assert_eq!(one.entries("rules").len(), two.entries("rules").len());
    assert!(
        one.entries("rules").len() > 160,
        "{}",
        one.entries("rules").len()
    );
}

#[test]
fn conditions_in_a_cycle_do_not_depend_on_which_resource_asks_first() {
    // CloudFormation rejects conditions that name each other in a cycle; palisade reads them
    // anyway, and the value of each must not depend on the order of the resources.
    let head = "\
Parameters:
  Cidr: {Type: String, AllowedValues: [10.0.0.0/8, 0.0.0.0/0]}
  P: {Type: String, AllowedValues: [a, b, c]}
Conditions:
  A: !And [!Condition B, !Equals [!Ref P, a]]
  B: !Or [!Condition C, !Condition A, !Equals [!Ref Cidr, 0.0.0.0/0]]
  C: !Not [!Condition D]
  D: !Or [!Condition A, !Equals [!Ref P, b]]
Resources:
";
    let uses_a = "  SA:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 1, ToPort: 1, CidrIp: !If [A, !Ref Cidr, 10.1.0.0/16]}\n";
    let uses_d = "  SD:\n    Type: AWS::EC2::SecurityGroup\n    Condition: D\n    Properties:\n      GroupDescription: g\n";
    let rules_of = |text: String| {
        let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
        let model = build(&t, &Parameters::default());
        let mut rules: Vec<String> = model
            .entries("rules")
            .iter()
            .map(|r| {
                let group = field(r, &["group"]).as_str().unwrap().to_string();
                let rest = ["condition", "parameters", "peer"]
                    .map(|k| serde_json::to_string(field(r, &[k])).unwrap());
                format!("{group} {}", rest.join(" "))
            })
            .collect();
        rules.sort();
        rules
    };
    let a_first = rules_of(format!("{head}{uses_a}{uses_d}"));
    let d_first = rules_of(format!("{head}{uses_d}{uses_a}"));
    assert_eq!(a_first, d_first);
    assert!(a_first.iter().any(|r| r.starts_with("SD ")));
}

/// The `description` of the first rule of a template with one group whose first ingress rule
/// takes its `Description` from `value`, after `parameters` (YAML lines of the `Parameters`
/// map).
fn first_description(parameters: &str, value: &str) -> Node {
    let text = format!(
        "Parameters:\n{parameters}Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 10.0.0.0/8\n          Description: {value}\n"
    );
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
    let m = build(&t, &Parameters::new());
    field(&m.entries("rules")[0], &["description"]).clone()
}

fn unknown_reason(node: &Node) -> String {
    match &node.value {
        crate::template::Value::Unknown(u) => u.reason.to_string(),
        other => panic!("not unknown: {other:?}"),
    }
}

#[test]
fn text_built_by_functions_is_bounded() {
    // A parameter of 100 kB joined 1,000 times would be 100 MB: past the bound, unknown.
    let param = format!(
        "  P: {{Type: String, Default: \"{}\"}}\n",
        "1".repeat(100_000)
    );
    let join = format!("!Join [\"\", [{}]]", vec!["!Ref P"; 1000].join(", "));
    let reason = unknown_reason(&first_description(&param, &join));
    assert!(
        reason.contains("builds more text than palisade works out"),
        "{reason}"
    );
    // Fewer copies are worked out in full.
    let join = format!("!Join [\"\", [{}]]", ["!Ref P"; 10].join(", "));
    let joined = first_description(&param, &join);
    assert_eq!(joined.as_str().map(str::len), Some(1_000_000), "{joined:?}");
    // A short text that splits into millions of parts is not split.
    let split = format!("!Select [0, !Split [\",\", \"{}\"]]", ",".repeat(2_000_000));
    let reason = unknown_reason(&first_description("", &split));
    assert!(reason.contains("gives 2000001 parts"), "{reason}");
    let split = "!Select [1, !Split [\",\", \"a,10.0.0.0/8,b\"]]";
    assert_eq!(first_description("", split).as_str(), Some("10.0.0.0/8"));
}

/// A rule naming a prefix list of the template is one rule per entry of the list, each with
/// the entry's block as `cidr` (shown at the rule's `SourcePrefixListId`) and the entry's
/// conditions; a list without entries, and a list outside the template, leave `cidr` null.
#[test]
fn a_prefix_list_of_the_template_gives_one_rule_per_entry() {
    let text = "\
Parameters:
  Office: {Type: String}
  Env: {Type: String, AllowedValues: [dev, prod]}
Conditions:
  Open: !Equals [!Ref Env, dev]
Resources:
  Wide:
    Type: AWS::EC2::PrefixList
    Properties:
      AddressFamily: IPv4
      MaxEntries: 4
      Entries:
        - {Cidr: 10.0.0.0/0}
        - !If [Open, {Cidr: '2001:db8::/32'}, !Ref AWS::NoValue]
        - {Cidr: !Ref Office}
        - {Description: no block}
  Empty:
    Type: AWS::EC2::PrefixList
    Properties: {AddressFamily: IPv4, MaxEntries: 1}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, SourcePrefixListId: !Ref Wide}
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, SourcePrefixListId: !GetAtt Empty.PrefixListId}
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, SourcePrefixListId: pl-0123}
";
    let source = Arc::new(SourceFile::new("t.yaml", text));
    let t = template::parse(Arc::clone(&source)).unwrap();
    let m = build(&t, &Parameters::new());
    let ingress: Vec<&Node> = m
        .entries("rules")
        .iter()
        .filter(|r| field(r, &["direction"]).as_str() == Some("ingress"))
        .collect();
    let peer = |r: &Node, k: &str| field(r, &["peer", k]).clone();
    let ssh: Vec<&Node> = ingress
        .iter()
        .copied()
        .filter(|r| {
            field(r, &["path"]).as_str() == Some("/Resources/Sg/Properties/SecurityGroupIngress/0")
        })
        .collect();
    assert_eq!(ssh.len(), 4, "{ssh:#?}");
    for r in &ssh {
        assert_eq!(peer(r, "kind").as_str(), Some("prefix_list"));
        assert_eq!(peer(r, "prefix_list").as_str(), Some("Wide"));
        assert_eq!(source.slice(field(r, &["peer", "cidr"]).span), "!Ref Wide");
    }
    // Host bits are cleared as for `CidrIp`, so the first entry is the internet.
    assert_eq!(peer(ssh[0], "cidr").as_str(), Some("0.0.0.0/0"));
    assert!(field(ssh[0], &["condition"]).value == crate::template::Value::Null);
    assert_eq!(peer(ssh[1], "cidr").as_str(), Some("2001:db8::/32"));
    assert_eq!(
        field(ssh[1], &["condition", "Open"]).value,
        crate::template::Value::Bool(true)
    );
    let unknown = |r: &Node| match &field(r, &["peer", "cidr"]).value {
        crate::template::Value::Unknown(u) => u.reason.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(unknown(ssh[2]), "parameter `Office` has no default");
    assert_eq!(
        unknown(ssh[3]),
        "an entry of prefix list `Wide` has no `Cidr`"
    );
    // No entries written, or a list outside the template: one rule, block not known to be any.
    for (item, list) in [(1, "Empty"), (2, "pl-0123")] {
        let path = format!("/Resources/Sg/Properties/SecurityGroupIngress/{item}");
        let rs: Vec<&&Node> = ingress
            .iter()
            .filter(|r| field(r, &["path"]).as_str() == Some(path.as_str()))
            .collect();
        assert_eq!(rs.len(), 1, "{list}");
        assert_eq!(peer(rs[0], "prefix_list").as_str(), Some(list));
        assert!(peer(rs[0], "cidr").value == crate::template::Value::Null);
    }
}
