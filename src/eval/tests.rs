//! Evaluator tests: small policies against small templates.

use std::sync::Arc;

use super::*;
use crate::check::check;
use crate::source::SourceFile;
use crate::template;

/// Runs `policy` on `template` (YAML) with no model; returns (rule name, status, findings).
fn run(policy: &str, template: &str) -> Vec<(String, Status, Vec<Finding>)> {
    run_with_model(policy, template, &[])
}

pub(super) fn run_with_model(
    policy: &str,
    template: &str,
    model: &[(&'static str, Node)],
) -> Vec<(String, Status, Vec<Finding>)> {
    let file = Arc::new(SourceFile::new("p.guard", policy));
    let (program, _) = check(&[file], &[]).unwrap_or_else(|d| panic!("{:#?}", d.into_vec()));
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", template))).unwrap();
    let doc = Document {
        source: &t.source,
        root: &t.root,
        model,
    };
    evaluate(&program, &doc)
        .into_iter()
        .map(|o| {
            (
                program.rule(o.rule).unwrap().name.clone(),
                o.status,
                o.findings,
            )
        })
        .collect()
}

fn statuses(policy: &str, template: &str) -> Vec<(String, Status)> {
    run(policy, template)
        .into_iter()
        .map(|(n, s, _)| (n, s))
        .collect()
}

/// A `rules` entry of a hand-made model: its direction (if any) and `cidr`.
fn model_rule(direction: Option<&str>, cidr: Node) -> Node {
    let mut fields = Vec::new();
    if let Some(d) = direction {
        fields.push(("direction", Node::string(d, Default::default())));
    }
    fields.push(("cidr", cidr));
    Node::map(fields, Default::default())
}

/// An unknown CIDR, as an import gives.
fn imported() -> Node {
    Node::unknown(
        crate::template::Unknown::new("imported"),
        Default::default(),
    )
}

/// A model whose only root is `rules`.
fn rules_model(rules: Vec<Node>) -> [(&'static str, Node); 1] {
    [("rules", Node::list(rules, Default::default()))]
}

const SGS: &str = "\
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
        - IpProtocol: tcp
          FromPort: '22'
          ToPort: 22
          CidrIp: 10.0.0.0/8
  Db:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupName: db
      GroupDescription: db
  Bucket:
    Type: AWS::S3::Bucket
";

#[test]
fn clauses_fail_at_the_exact_value() {
    let r = run(
        "rule no_world { Resources.Web.Properties.SecurityGroupIngress[*].CidrIp != '0.0.0.0/0' }",
        SGS,
    );
    assert_eq!(r[0].1, Status::Fail);
    assert_eq!(r[0].2.len(), 1);
    let f = &r[0].2[0];
    assert_eq!(
        f.pointer,
        "/Resources/Web/Properties/SecurityGroupIngress/0/CidrIp"
    );
    assert_eq!(f.resource.as_deref(), Some("Web"));
    assert_eq!(f.security_group.as_deref(), Some("Web"));
    let source = SourceFile::new("t", SGS);
    assert_eq!(source.position(f.span.unwrap().start).line, 10);
}

#[test]
fn a_missing_key_fails_where_it_should_be() {
    let r = run(
        "rule ingress { Resources.*[ Type == 'AWS::EC2::SecurityGroup' ].Properties.SecurityGroupIngress[*].CidrIp != '0.0.0.0/0' }",
        SGS,
    );
    let pointers: Vec<&str> = r[0].2.iter().map(|f| f.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/Resources/Web/Properties/SecurityGroupIngress/0/CidrIp",
            "/Resources/Db/Properties/SecurityGroupIngress"
        ]
    );
    assert!(
        r[0].2[1].message.contains("is missing"),
        "{}",
        r[0].2[1].message
    );
}

#[test]
fn ports_compare_as_numbers_whatever_their_type() {
    let s = statuses(
        "rule ssh { some Resources.Web.Properties.SecurityGroupIngress[*].FromPort == 22 }\n\
         rule range { Resources.Web.Properties.SecurityGroupIngress[*].FromPort IN r[1, 1024] }",
        SGS,
    );
    assert_eq!(
        s,
        [("ssh".into(), Status::Pass), ("range".into(), Status::Pass)]
    );
}

#[test]
fn typed_cidrs() {
    let s = statuses(
        "rule a { Resources.Web.Properties.SecurityGroupIngress[0].CidrIp IS_INTERNET }\n\
         rule b { Resources.Web.Properties.SecurityGroupIngress[1].CidrIp WITHIN 10.0.0.0/8 }\n\
         rule c { Resources.Web.Properties.SecurityGroupIngress[1].CidrIp == 10.0.0.0/8 }\n\
         rule d { Resources.Web.Properties.SecurityGroupIngress[1].CidrIp IS_PRIVATE }",
        SGS,
    );
    assert!(s.iter().all(|(_, st)| *st == Status::Pass), "{s:?}");
}

#[test]
fn skip_when_the_guard_fails_or_nothing_is_selected() {
    let s = statuses(
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
         let queues = Resources.*[ Type == 'AWS::SQS::Queue' ]\n\
         rule guarded when %queues !empty { %queues.Properties.Name exists }\n\
         rule unguarded { %queues.Properties.Name exists }\n\
         rule held when %buckets !empty { %buckets.Properties.Nothing[*] exists }\n\
         rule missing { %buckets.Properties.BucketName exists }",
        SGS,
    );
    assert_eq!(
        s,
        [
            ("guarded".into(), Status::Skip),
            ("unguarded".into(), Status::Skip),
            ("held".into(), Status::Fail),
            ("missing".into(), Status::Fail),
        ]
    );
}

#[test]
fn type_blocks_filters_and_or() {
    let s = statuses(
        "rule names { AWS::EC2::SecurityGroup { Properties.GroupName exists or Properties.GroupDescription == 'web' } }\n\
         rule by_key { Resources[ keys == /^W/ ].Type == 'AWS::EC2::SecurityGroup' }\n\
         rule count_them { count(Resources.*[ Type == 'AWS::EC2::SecurityGroup' ]) == 2 }",
        SGS,
    );
    assert!(s.iter().all(|(_, st)| *st == Status::Pass), "{s:?}");
}

#[test]
fn unknown_values_make_unknown_outcomes() {
    let model = rules_model(vec![model_rule(Some("ingress"), imported())]);
    let r = run_with_model(
        "rule open { rules[ direction == 'ingress' ].cidr NOT IS_INTERNET }\n\
         rule filtered { rules[ cidr IS_INTERNET ].direction != 'ingress' }",
        "Resources: {}",
        &model,
    );
    assert_eq!(r[0].1, Status::Unknown);
    assert!(r[0].2[0].message.contains("imported"), "{:?}", r[0].2);
    // In a custom message an unknown value says so, with its reason.
    let m = run_with_model(
        "rule open { rules[ direction == 'ingress' ].cidr NOT IS_INTERNET << from {{cidr}} >> }",
        "Resources: {}",
        &model,
    );
    assert_eq!(&*m[0].2[0].message, "from unknown: imported");
    // The filter could not decide, so the element is kept in doubt: unknown, not pass.
    assert_eq!(r[1].1, Status::Unknown);
    assert_eq!(r[1].2[0].status, FindingStatus::Unknown);
}

/// A placeholder never takes its value from another entry of a list the failing value is in:
/// an ingress rule without `Description` does not show the description of the one before.
#[test]
fn placeholders_do_not_look_into_sibling_entries() {
    let template = "Resources:\n  Sg:\n    Type: X\n    Properties:\n      SecurityGroupIngress:\n        - {FromPort: 443, Description: https}\n        - {FromPort: 22}\n";
    let r = run(
        "rule m { Resources.Sg.Properties.SecurityGroupIngress[*].Description EXISTS << port {{FromPort}}: {{Description}} >> }",
        template,
    );
    assert_eq!(&*r[0].2[0].message, "port 22: (none)", "{r:#?}");
}

/// A null in a map nested in a record (a rule's `peer.group` for a CIDR peer) does not hide
/// the record's own field of that name (the rule's `group`).
#[test]
fn a_null_nested_in_a_record_gives_way_to_the_records_field() {
    let at = crate::source::Span::default();
    let peer = Node::map(
        [
            ("cidr", Node::string("0.0.0.0/0", at)),
            ("group", Node::null(at)),
        ],
        at,
    );
    let rule = Node::map([("group", Node::string("Web", at)), ("peer", peer)], at);
    let model = rules_model(vec![rule]);
    let r = run_with_model(
        "rule m { rules[*].peer.cidr != 0.0.0.0/0 << {{group}}: {{peer.group}} >> }",
        "Resources: {}",
        &model,
    );
    assert_eq!(&*r[0].2[0].message, "Web: null", "{r:#?}");
}

/// A placeholder whose value is null in the failing value's record shows that null, not the
/// values of the other records further out.
#[test]
fn a_null_in_the_failing_record_is_shown_as_null() {
    let model = rules_model(vec![
        model_rule(Some("ingress"), Node::null(Default::default())),
        model_rule(
            Some("egress"),
            Node::string("0.0.0.0/0", Default::default()),
        ),
    ]);
    let r = run_with_model(
        "rule m { rules[ direction == 'ingress' ].direction == 'egress' << from {{cidr}} >> }",
        "Resources: {}",
        &model,
    );
    assert_eq!(&*r[0].2[0].message, "from null", "{r:#?}");
}

/// A value of the policy that fails (an item of a param) is reported where the clause is
/// checked: one finding per resource of the block, with the resource's values in its message.
#[test]
fn failing_policy_values_are_reported_at_the_block_value() {
    let template = "Resources:\n  A:\n    Type: X\n    Properties: {Tags: [{Key: Owner}]}\n  B:\n    Type: X\n    Properties: {Tags: [{Key: Team}]}\n";
    let r = run(
        "param required = [\"Owner\"]\n\
         rule tagged { Resources.* { let tag_keys = Properties.Tags[*].Key\n\
         %required[*] IN %tag_keys << {{Type}} lacks a required tag >> } }",
        template,
    );
    assert_eq!(r[0].1, Status::Fail, "{r:#?}");
    let found: Vec<(Option<&str>, &str)> = r[0]
        .2
        .iter()
        .map(|f| (f.resource.as_deref(), &*f.message))
        .collect();
    assert_eq!(found, [(Some("B"), "X lacks a required tag")], "{r:#?}");
    assert!(r[0].2[0].span.is_some());
    // `{{this}}` is the failing value of the policy, so each missing tag is a finding of its
    // own, at the resource.
    let r = run(
        "param required = [\"Owner\", \"Team\", \"Cost\"]\n\
         rule tagged { Resources.B { let tag_keys = Properties.Tags[*].Key\n\
         %required[*] IN %tag_keys << {{Type}} lacks the tag {{this}} >> } }",
        template,
    );
    let found: Vec<&str> = r[0].2.iter().map(|f| &*f.message).collect();
    assert_eq!(
        found,
        ["X lacks the tag Owner", "X lacks the tag Cost"],
        "{r:#?}"
    );
}

/// A key taken from a variable whose value is missing is missing: the clause fails.
#[test]
fn a_key_from_a_missing_value_is_missing() {
    let template = "Resources:\n  In:\n    Type: X\n    Properties: {GroupId: sg-1}\n";
    let r = statuses(
        "let m = Resources.In.Properties.GroupId.Ref\nrule r { Resources.%m.Type == \"Y\" }",
        template,
    );
    assert_eq!(r, [("r".to_string(), Status::Fail)]);
}

/// Booleans written as text (`"true"`, `"FALSE"`) are booleans, as CloudFormation reads them;
/// other text is not.
#[test]
fn booleans_compare_whatever_their_yaml_type() {
    let template = "Resources:\n  Db:\n    Type: X\n    Properties: {A: \"true\", B: \"FALSE\", C: true, D: \"yes\"}\n";
    let r = statuses(
        "rule a { Resources.Db.Properties.A == true }\n\
         rule b { Resources.Db.Properties.B == false }\n\
         rule c { Resources.Db.Properties.C == true }\n\
         rule d { Resources.Db.Properties.D == true }\n\
         rule e { Resources.Db.Properties.A != false }",
        template,
    );
    let s: Vec<Status> = r.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        s,
        [
            Status::Pass,
            Status::Pass,
            Status::Pass,
            Status::Fail,
            Status::Pass
        ],
        "{r:?}"
    );
}

/// A CloudFormation function in the raw template is not a value that differs from every
/// address: compared with one, it is unknown; its structure can still be queried.
#[test]
fn raw_functions_are_unknown_in_comparisons() {
    let template = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n        - {CidrIp: !Ref AdminCidr}\n";
    let policy = "let cidrs = Resources.Sg.Properties.SecurityGroupIngress[*].CidrIp\n\
                  rule world { %cidrs NOT IS_INTERNET }\n\
                  rule neq { %cidrs != 0.0.0.0/0 }\n\
                  rule inside { %cidrs WITHIN 10.0.0.0/8 }\n\
                  rule listed { %cidrs NOT IN [\"0.0.0.0/0\"] }\n\
                  rule by_ref { %cidrs.Ref == \"AdminCidr\" }\n\
                  rule as_map { %cidrs == { Ref: \"AdminCidr\" } }\n\
                  rule shape { %cidrs IS_STRUCT }";
    let r = run(policy, template);
    let status = |name: &str| r.iter().find(|(n, ..)| n == name).map(|(_, s, _)| *s);
    for name in ["world", "neq", "inside", "listed"] {
        assert_eq!(status(name), Some(Status::Unknown), "{name}: {r:#?}");
    }
    let world = &r.iter().find(|(n, ..)| n == "world").unwrap().2[0];
    assert!(
        world
            .message
            .contains("`!Ref AdminCidr` is worked out when the stack is deployed"),
        "{}",
        world.message
    );
    for name in ["by_ref", "as_map", "shape"] {
        assert_eq!(status(name), Some(Status::Pass), "{name}: {r:#?}");
    }
}

/// What a filter kept in doubt may not be there: `EMPTY`, `NOT EMPTY` and `count` over it
/// are unknown, in a rule body and in a `when` condition alike.
#[test]
fn emptiness_and_counts_of_doubtful_values_are_unknown() {
    let model = rules_model(vec![
        model_rule(Some("ingress"), imported()),
        model_rule(
            Some("egress"),
            Node::string("10.0.0.0/8", Default::default()),
        ),
    ]);
    let r = run_with_model(
        "rule inside { rules[ direction == 'ingress'; cidr WITHIN 10.0.0.0/8 ] NOT EMPTY }\n\
         rule counted { count(rules[ direction == 'ingress'; cidr WITHIN 10.0.0.0/8 ]) >= 1 }\n\
         rule guarded when rules[ direction == 'ingress'; cidr IS_INTERNET ] EMPTY { rules[0].direction == 'egress' }\n\
         rule sure { rules[ direction == 'egress'; cidr WITHIN 10.0.0.0/8 ] NOT EMPTY }",
        "Resources: {}",
        &model,
    );
    let statuses: Vec<Status> = r.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(
        statuses,
        [
            Status::Unknown,
            Status::Unknown,
            Status::Unknown,
            Status::Pass
        ],
        "{r:#?}"
    );
}

/// A missing value stays missing through a function, and a join with an unknown part is
/// unknown: neither turns a failure into a pass.
#[test]
fn functions_keep_missing_and_unknown_values() {
    let template = "Resources:\n  A:\n    Type: X\n    Properties: {Name: prod-a}\n  B:\n    Type: X\n    Properties: {}\n";
    let r = run(
        "rule named { Resources.*.Properties { to_lower(Name) == /^prod-/ } }",
        template,
    );
    assert_eq!(r[0].1, Status::Fail, "{r:#?}");
    assert!(r[0].2[0].message.contains("is missing"), "{:?}", r[0].2);
    let model = rules_model(vec![
        model_rule(None, Node::string("10.0.0.0/8", Default::default())),
        model_rule(None, imported()),
    ]);
    let j = run_with_model(
        "rule joined { join(rules[*].cidr, \",\") == \"10.0.0.0/8\" }",
        "Resources: {}",
        &model,
    );
    assert_eq!(j[0].1, Status::Unknown, "{j:#?}");
}

#[test]
fn messages_interpolate_from_the_failing_value_outwards() {
    let r = run(
        "rule m { Resources.*.Properties.SecurityGroupIngress[*] { CidrIp != '0.0.0.0/0' << port {{FromPort}} open to {{CidrIp}} >> } }",
        SGS,
    );
    assert_eq!(&*r[0].2[0].message, "port 443 open to 0.0.0.0/0");
}

#[test]
fn rule_references_and_negation() {
    let s = statuses(
        "rule has_db { Resources.Db exists }\n\
         rule no_db { not has_db }\n\
         rule needs when has_db { Resources.Db.Type == 'AWS::EC2::SecurityGroup' }\n\
         rule p(x) { %x == 'db' }\n\
         rule call { p(Resources.Db.Properties.GroupName) }",
        SGS,
    );
    assert_eq!(
        s,
        [
            ("has_db".into(), Status::Pass),
            ("no_db".into(), Status::Fail),
            ("needs".into(), Status::Pass),
            ("call".into(), Status::Pass),
        ]
    );
}

#[test]
fn unknown_blocks_of_known_version_and_size_are_still_measured() {
    let text = "\
Parameters:
  Ip: {Type: String}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: g
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Sub '${Ip}/32'}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Join ['', [!Ref Ip, /24]]}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: !Sub '${Ip}/32'}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Ip}
";
    let t = template::parse(Arc::new(SourceFile::new("t.yaml", text))).unwrap();
    let m = crate::model::build(&t, &crate::model::Parameters::new());
    let model = [("rules", m.rules)];
    let s: Vec<Status> = run_with_model(
        "rule v4_host_is_not_internet { rules[0].peer.cidr NOT IS_INTERNET }\n\
         rule v4_host_size { prefix_len(rules[0].peer.cidr) == 32 \n address_count(rules[0].peer.cidr) == 1 }\n\
         rule v4_version { rules[0].peer.cidr WITHIN 0.0.0.0/0 \n rules[0].peer.cidr NOT OVERLAPS ::/0 }\n\
         rule joined_size { prefix_len(rules[1].peer.cidr) == 24 \n rules[1].peer.cidr IS_CIDR }\n\
         rule v6_slash_32_may_be_internet { rules[2].peer.cidr NOT IS_INTERNET }\n\
         rule v6_version { rules[2].peer.cidr WITHIN ::/0 }\n\
         rule unsized_is_unknown { prefix_len(rules[3].peer.cidr) == 32 }\n\
         rule other_blocks_stay_unknown { rules[0].peer.cidr WITHIN 10.0.0.0/8 }",
        text,
        &model,
    )
    .into_iter()
    .map(|(_, s, _)| s)
    .collect();
    use Status::{Pass, Unknown};
    assert_eq!(
        s,
        [Pass, Pass, Pass, Pass, Unknown, Pass, Unknown, Unknown],
        "an IPv4 /32 is never the internet; an IPv6 /32 may be"
    );
}

#[test]
fn messages_of_negated_terms_and_empty_queries_say_what_was_expected() {
    let r = run(
        "rule folded { not Resources.Db.Properties.GroupName == 'db' }\n\
         rule group { not (Resources.Db.Properties.GroupName == 'db') }\n\
         rule nothing { Resources.*[ Type == 'AWS::SQS::Queue' ] NOT EMPTY }\n\
         rule none_some { some Resources.*[ Type == 'AWS::SQS::Queue' ].Properties == 1 }",
        SGS,
    );
    let messages: Vec<&str> = r.iter().map(|(_, _, f)| &*f[0].message).collect();
    assert_eq!(
        messages,
        [
            "`Resources.Db.Properties.GroupName` is `db`, expected `!= 'db'`",
            "`(Resources.Db.Properties.GroupName == 'db')` holds, but the rule requires it not to",
            "`Resources.*[ Type == 'AWS::SQS::Queue' ]` selects nothing, expected `NOT EMPTY`",
            "`Resources.*[ Type == 'AWS::SQS::Queue' ].Properties` selects nothing, so no value satisfies `== 1`",
        ]
    );
}

#[test]
fn a_failing_rule_referenced_under_an_unknown_condition_is_unknown() {
    let r = run(
        "rule failing { Resources.Db.Properties.GroupName == 'x' }\n\
         rule doubt { when Resources.Db.Properties.GroupName == Resources.Db.Properties.Nope { failing } }",
        SGS,
    );
    assert_eq!(r[0].1, Status::Fail);
    assert_eq!(r[1].1, Status::Unknown);
    assert_eq!(r[1].2[0].status, FindingStatus::Unknown);
    assert!(
        r[1].2[0].message.contains("unknown whether it applies"),
        "{:?}",
        r[1].2
    );
}

#[test]
fn a_variable_holding_a_list_names_each_of_its_keys() {
    let s = statuses(
        "let names = ['Web', 'Db']\n\
         param groups = ['Db']\n\
         rule both { count(Resources.%names) == 2 }\n\
         rule param_keys { Resources.%groups.Properties.GroupName == 'db' }",
        SGS,
    );
    assert_eq!(
        s,
        [
            ("both".into(), Status::Pass),
            ("param_keys".into(), Status::Pass)
        ]
    );
}

#[test]
fn a_missing_list_item_has_a_json_pointer() {
    let r = run(
        "rule r { Resources.Web.Properties.SecurityGroupIngress[5].CidrIp == '10.0.0.0/8' }",
        SGS,
    );
    assert_eq!(
        r[0].2[0].pointer,
        "/Resources/Web/Properties/SecurityGroupIngress/5"
    );
    assert!(r[0].2[0].message.contains("(no `[5]`)"), "{:?}", r[0].2);
}

#[test]
fn an_or_failing_on_different_resources_keeps_a_finding_for_each() {
    let r = run(
        "rule r { Resources.Web.Properties.GroupName EXISTS or Resources.Db.Properties.Nope EXISTS }",
        SGS,
    );
    let resources: Vec<Option<&str>> = r[0].2.iter().map(|f| f.resource.as_deref()).collect();
    assert_eq!(resources, [Some("Web"), Some("Db")]);
    // On one resource, the failures of an `or` make one finding.
    let r = run(
        "rule r { Resources.Db.Properties.A EXISTS or Resources.Db.Properties.B EXISTS }",
        SGS,
    );
    assert_eq!(r[0].2.len(), 1, "{:?}", r[0].2);
    assert!(r[0].2[0].message.contains("; and "), "{:?}", r[0].2);
}

#[test]
fn some_blocks_need_one_value_that_satisfies_the_whole_block() {
    let s = statuses(
        "rule one_matches { some Resources.Web.Properties.SecurityGroupIngress[*] { FromPort == 22; CidrIp == 10.0.0.0/8 } }\n\
         rule none_matches { some Resources.Web.Properties.SecurityGroupIngress[*] { FromPort == 22; CidrIp == 0.0.0.0/0 } }\n\
         rule all_do_not { Resources.Web.Properties.SecurityGroupIngress[*] { FromPort == 22 } }\n\
         rule nothing_selected { some Resources.Db.Properties.SecurityGroupIngress[*] { FromPort == 22 } }",
        SGS,
    );
    assert_eq!(
        s,
        [
            ("one_matches".into(), Status::Pass),
            ("none_matches".into(), Status::Fail),
            ("all_do_not".into(), Status::Fail),
            ("nothing_selected".into(), Status::Fail),
        ]
    );
}
