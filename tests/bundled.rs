//! The bundled policy library: what is embedded is what is in `policies/`, every file checks
//! cleanly, the catalogue is the product's (ids, severities, texts), every rule is tested
//! (PASS, FAIL, and SKIP where it has a `when`), every test case holds when run through
//! `palisade::testing` (the code behind `palisade test`), `docs/policies.md` is current, and the
//! example templates show what they are there to show.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use palisade::bundled::{self, BUNDLED};
use palisade::check::{self, Program};
use palisade::engine;
use palisade::eval::Status;
use palisade::model::Parameters;
use palisade::render::catalogue;
use palisade::template;
use palisade::testing::{self, TestFile};

/// The catalogue of the product specification: id, severity.
const CATALOGUE: [(&str, &str); 23] = [
    ("SG001", "high"),
    ("SG002", "high"),
    ("SG003", "medium"),
    ("SG004", "low"),
    ("SG010", "critical"),
    ("SG011", "high"),
    ("SG012", "medium"),
    ("SG020", "medium"),
    ("SG021", "low"),
    ("SG022", "low"),
    ("SG023", "medium"),
    ("SG030", "medium"),
    ("SG031", "low"),
    ("SG032", "low"),
    ("SG040", "medium"),
    ("SG041", "medium"),
    ("SG042", "info"),
    ("SG050", "low"),
    ("SG051", "low"),
    ("SG052", "low"),
    ("SG060", "info"),
    ("SG070", "low"),
    ("SG071", "low"),
];

/// The longest template a rule's first PASS or FAIL case may have: `palisade explain` prints
/// them as the rule's examples.
const MAX_EXAMPLE_LINES: usize = 30;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn program() -> Program {
    match check::check(&bundled::policy_files(), &[]) {
        Ok((program, warnings)) => {
            assert!(
                warnings.is_empty(),
                "the bundled policies have warnings: {:#?}",
                warnings.into_vec()
            );
            program
        }
        Err(diags) => panic!("the bundled policies do not check: {:#?}", diags.into_vec()),
    }
}

fn test_files() -> Vec<TestFile> {
    BUNDLED
        .iter()
        .map(|b| {
            testing::parse(b.tests_file(), None)
                .unwrap_or_else(|e| panic!("{}: {}", b.name, e.message))
        })
        .collect()
}

fn stems(dir: &Path, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(suffix).map(str::to_string))
        .collect()
}

#[test]
fn the_embedded_list_is_the_policies_folder() {
    let folder = root().join("policies");
    let listed: BTreeSet<String> = BUNDLED.iter().map(|b| b.name.to_string()).collect();
    assert_eq!(listed.len(), BUNDLED.len(), "a policy is listed twice");
    assert_eq!(
        stems(&folder, ".guard"),
        listed,
        "src/bundled.rs must list every policies/*.guard, and nothing else"
    );
    assert_eq!(
        stems(&folder, ".tests.yaml"),
        listed,
        "every policies/NAME.guard needs policies/NAME.tests.yaml, and no test file may be orphaned"
    );
    for b in BUNDLED {
        let on_disk = std::fs::read_to_string(folder.join(format!("{}.guard", b.name))).unwrap();
        assert_eq!(on_disk, b.policy, "{}", b.name);
    }
}

#[test]
fn every_policy_file_checks_without_diagnostics_alone_and_together() {
    for b in BUNDLED {
        match check::check(&[b.policy_file()], &[]) {
            Ok((_, warnings)) => assert!(
                warnings.is_empty(),
                "{}: {:#?}",
                b.name,
                warnings.into_vec()
            ),
            Err(diags) => panic!("{}: {:#?}", b.name, diags.into_vec()),
        }
    }
    program();
}

#[test]
fn the_catalogue_is_the_specified_one_with_texts_for_every_rule() {
    let program = program();
    let rules: Vec<_> = program.reported_rules().collect();
    let got: Vec<(&str, &str)> = rules
        .iter()
        .map(|r| (r.meta.id.as_str(), r.meta.severity.as_str()))
        .collect();
    assert_eq!(got, CATALOGUE, "ids, severities and their order");
    for r in rules {
        for (what, text) in [
            ("@title", &r.meta.title),
            ("@rationale", &r.meta.rationale),
            ("@remediation", &r.meta.remediation),
        ] {
            let text = text.as_deref().unwrap_or("");
            assert!(
                text.len() >= 20,
                "{} has no real {what}: {text:?}",
                r.meta.id
            );
        }
        assert!(!r.meta.tags.is_empty(), "{} has no tags", r.meta.id);
    }
}

#[test]
fn every_bundled_test_case_holds() {
    let program = program();
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in test_files() {
        testing::check_rule_names(&file, &program).unwrap_or_else(|e| panic!("{}", e.message));
        testing::check_cases_expect_something(&file).unwrap_or_else(|e| panic!("{}", e.message));
        for case in &file.cases {
            cases += 1;
            let result = testing::run_case(&file, case, &program)
                .unwrap_or_else(|e| panic!("{}: {}", case.name, e.message));
            if !result.passed() {
                failures.push(format!(
                    "{} / {}:\n  {}",
                    file.source.name(),
                    result.name,
                    result.mismatches.join("\n  ")
                ));
            }
        }
    }
    assert!(cases > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_passing_failing_and_skipping_cases() {
    let program = program();
    let files = test_files();
    let mut missing = Vec::new();
    for rule in program.reported_rules() {
        let mut wanted = vec![Status::Pass, Status::Fail];
        if rule.when.is_some() {
            wanted.push(Status::Skip);
        }
        for status in wanted {
            let found = files
                .iter()
                .flat_map(|f| &f.cases)
                .any(|c| c.expects(&rule.name) == Some(status));
            if !found {
                missing.push(format!("{} has no {} case", rule.meta.id, status.as_str()));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_examples_explain_shows_are_short_and_in_the_rules_own_file() {
    let program = program();
    for (bundle, file) in BUNDLED.iter().zip(test_files()) {
        let policy = format!("bundled/{}.guard", bundle.name);
        let rules = program
            .reported_rules()
            .filter(|r| program.file(r.file).map(|f| f.name()) == Some(policy.as_str()));
        for rule in rules {
            for status in [Status::Pass, Status::Fail] {
                let case = file
                    .cases
                    .iter()
                    .find(|c| c.expects(&rule.name) == Some(status))
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: no {} example in {}.tests.yaml",
                            rule.meta.id,
                            status.as_str(),
                            bundle.name
                        )
                    });
                let span = case.input_span().unwrap();
                let lines = file.source.slice(span).trim_end().lines().count();
                assert!(
                    lines <= MAX_EXAMPLE_LINES,
                    "{}: the first {} case `{}` has {lines} lines",
                    rule.meta.id,
                    status.as_str(),
                    case.name
                );
            }
        }
    }
}

#[test]
fn the_policy_catalogue_document_is_current() {
    let program = program();
    let expected = catalogue::render(&program);
    let path = root().join("docs/policies.md");
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/policies.md is out of date; regenerate it with\n\n    \
         cargo run --release -- rules --format markdown > docs/policies.md\n"
    );
}

#[test]
fn the_good_examples_pass_every_rule_and_the_bad_ones_show_several() {
    let program = program();
    let dir = root().join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.iter().any(|n| n.starts_with("good")), "{names:?}");
    for name in names {
        let path = dir.join(&name);
        let loaded = template::read_file(&path, name.clone())
            .and_then(template::parse)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        let outcomes = engine::evaluate_template(&program, &loaded, &Parameters::new());
        let statuses: Vec<Status> = outcomes.iter().map(|o| o.status).collect();
        let failing: BTreeSet<&str> = outcomes
            .iter()
            .filter(|o| o.status != Status::Pass && o.status != Status::Skip)
            .filter_map(|o| program.rule(o.rule).map(|r| r.meta.id.as_str()))
            .collect();
        if name.starts_with("good") {
            assert!(
                failing.is_empty() && statuses.contains(&Status::Pass),
                "{name} should pass every rule; fails {failing:?}"
            );
        } else {
            assert!(
                failing.len() >= 3,
                "{name} should show several rules failing; shows {failing:?}"
            );
        }
    }
}

#[test]
fn identical_groups_are_counted_when_there_are_more_than_the_model_lists() {
    let program = program();
    // `n` identical groups; the model lists 16 duplicates of each at most.
    let messages = |n: usize| -> Vec<String> {
        let mut text = String::from("Resources:\n");
        for i in 0..n {
            text.push_str(&format!(
                "  Sg{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web {i}\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/24}}\n"
            ));
        }
        let source = std::sync::Arc::new(palisade::source::SourceFile::new("t.yaml", text));
        let loaded = template::parse(source).unwrap();
        engine::evaluate_template(&program, &loaded, &Parameters::new())
            .into_iter()
            .filter(|o| program.rule(o.rule).map(|r| r.meta.id.as_str()) == Some("SG031"))
            .flat_map(|o| o.findings)
            .map(|f| f.message.to_string())
            .collect()
    };
    let few = messages(3);
    assert_eq!(few.len(), 3, "{few:#?}");
    assert_eq!(
        few[0],
        "security group `Sg0` has the same rules as Sg1, Sg2"
    );
    let many = messages(18);
    assert_eq!(many.len(), 18, "{many:#?}");
    assert!(
        many[0].starts_with(
            "security group `Sg0` has the same rules as 17 other groups, among them Sg1, Sg2,"
        ),
        "{}",
        many[0]
    );
    assert!(many[0].ends_with("Sg16"), "{}", many[0]);
}
