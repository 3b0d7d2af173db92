//! The authoring guide's example (`docs/examples/org/`) works as the guide says.

#![allow(clippy::expect_used, reason = "test helpers fail loudly")]

use std::process::Command;

fn palisade(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("palisade runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_example_policies_pass_their_own_tests() {
    let (code, out) = palisade(&["test", "--rules", "docs/examples/org/org.guard"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: 4 cases, 4 passed, 0 failed"), "{out}");
}

#[test]
fn the_example_template_breaks_each_organisation_rule_at_its_line() {
    let (code, out) = palisade(&[
        "validate",
        "docs/examples/org/template.yaml",
        "--no-bundled",
        "--rules",
        "docs/examples/org/org.guard",
        "--format",
        "json",
    ]);
    assert_eq!(code, 19, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let mut found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("").to_string(),
                f["resource"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("ORG001".to_string(), "Web".to_string(), 21),
            ("ORG002".to_string(), "WebSg".to_string(), 13),
            ("ORG003".to_string(), "WebSg".to_string(), 16),
        ]
    );
}
