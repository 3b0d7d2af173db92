//! The loader on broken and hostile input: every prefix of some templates (a stand-in for
//! fuzzing), and inputs built to hurt (alias bombs, deep nesting, huge values, bad encodings).
//! Each must give its documented result, never a panic or a hang.

use std::path::Path;
use std::sync::Arc;

use palisade::source::SourceFile;
use palisade::template::{self, LoadError, MAX_DEPTH, Template, Value};

/// Every code the loader documents.
const CODES: [&str; 17] = [
    "input::not-utf8",
    "input::binary",
    "input::empty",
    "input::too-deep",
    "input::internal",
    "json::syntax",
    "json::duplicate-key",
    "yaml::syntax",
    "yaml::control-character",
    "yaml::duplicate-key",
    "yaml::complex-key",
    "yaml::unknown-alias",
    "yaml::too-large",
    "yaml::multiple-documents",
    "yaml::internal",
    "input::too-large",
    "input::unreadable",
];

/// Codes that mean the loader itself went wrong: never acceptable.
const INTERNAL: [&str; 2] = ["input::internal", "yaml::internal"];

fn load_bytes(bytes: Vec<u8>) -> Result<Template, LoadError> {
    template::decode("t", bytes).and_then(template::parse)
}

fn load(text: &str) -> Result<Template, LoadError> {
    template::parse(Arc::new(SourceFile::new("t", text)))
}

/// The result is a template or a documented error whose positions lie in the text.
fn check(what: &str, text: &str) {
    let Err(e) = load(text) else { return };
    assert!(CODES.contains(&e.code), "{what}: unknown code {}", e.code);
    assert!(
        !INTERNAL.contains(&e.code),
        "{what}: {}: {}",
        e.code,
        e.message
    );
    assert!(!e.message.is_empty() && e.help.is_some(), "{what}: {e:?}");
    let spans = e.span.into_iter().chain(e.related.as_ref().map(|r| r.0));
    for span in spans {
        assert!(
            span.end as usize <= text.len(),
            "{what}: {span:?} past the end"
        );
        assert!(
            text.is_char_boundary(span.start as usize) && text.is_char_boundary(span.end as usize),
            "{what}: {span:?} splits a character"
        );
    }
}

/// Loads the prefixes of `text` ending at every `stride`-th character boundary.
fn check_prefixes(name: &str, text: &str, stride: usize) {
    let ends = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .step_by(stride.max(1));
    for end in ends {
        check(&format!("{name}[..{end}]"), &text[..end]);
    }
}

/// Prefixes at about `count` places.
fn stride_for(text: &str, count: usize) -> usize {
    text.chars().count() / count + 1
}

#[test]
fn every_prefix_of_the_fixtures_loads_or_fails_cleanly() {
    for name in ["twin.yaml", "twin.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/load")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        check_prefixes(name, &text, 1);
        // Prefixes of the CRLF and byte-order-mark forms too.
        let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        check_prefixes(&format!("{name} (BOM, CRLF)"), &crlf, 7);
    }
}

#[test]
fn prefixes_of_corpus_templates_load_or_fail_cleanly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipping: ../shared/corpus not found");
        return;
    }
    // (file, prefixes to try; 0 = every one)
    let files = [
        // short tags in block and flow forms
        (
            "aws-samples__ecs-refarch-cloudformation/infrastructure__security-groups.yaml",
            0,
        ),
        (
            "stelligent__cfn_nag/spec__test_templates__json__security_group__non_32_cidr_standalone_ingress.json",
            0,
        ),
        // CRLF line endings
        (
            "aws-cloudformation__iac-model-evaluation/cloudformation__rds-sql-server-w-vpc.yaml",
            300,
        ),
        (
            "awslabs__aws-cloudformation-templates/community__services__VPC__vpc_template.json",
            150,
        ),
        // a byte-order mark
        (
            "fortinetsolutions__AWS-CloudFormationTemplates/Templates__GuardDuty__5.6__aws-gd-processor_localVpcSettings.sam.template.yaml",
            150,
        ),
        // the `!Ref:` typo tag, long lines of rendered output
        (
            "aws__copilot-cli/internal__pkg__deploy__cloudformation__stack__testdata__workloads__svc-nlb-prod.stack.yml",
            100,
        ),
    ];
    for (name, count) in files {
        let text = std::fs::read_to_string(corpus.join(name)).unwrap();
        let stride = if count == 0 {
            1
        } else {
            stride_for(&text, count)
        };
        check_prefixes(name, &text, stride);
    }
}

#[test]
fn an_alias_bomb_fails_fast() {
    // The classic "billion laughs": 10^9 strings from 10 lines.
    let mut text = "lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for i in 1..=9 {
        let refs = vec![format!("*lol{}", i - 1); 10].join(", ");
        text.push_str(&format!("lol{i}: &lol{i} [{refs}]\n"));
    }
    let e = load(&text).unwrap_err();
    assert_eq!(e.code, "yaml::too-large");
    assert!(e.message.starts_with("alias `*lol"), "{}", e.message);
    // Nested the other way: one anchor holding aliases of itself is not possible, but a
    // single wide anchor copied many times is.
    let wide = format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["x"; 10_000].join(","),
        vec!["*a"; 200].join(",")
    );
    assert_eq!(load(&wide).unwrap_err().code, "yaml::too-large");
    // Few aliases of one long string: a hundred copies of 1 MB would take 100 MB.
    let long = format!(
        "a: &a \"{}\"\nb: [{}]\n",
        "x".repeat(1 << 20),
        vec!["*a"; 100].join(",")
    );
    let e = load(&long).unwrap_err();
    assert_eq!(e.code, "yaml::too-large");
    assert!(e.message.starts_with("alias `*a`"), "{}", e.message);
    // The same string written out in full is read: the budget counts what the file holds.
    let written = format!(
        "a: [{}]\n",
        vec![format!("\"{}\"", "x".repeat(1 << 20)); 3].join(",")
    );
    assert!(load(&written).is_ok());
}

#[test]
fn deep_nesting_is_refused_with_a_position() {
    for depth in [10_000, 100_000] {
        let cases = [
            ("YAML flow", "[".repeat(depth), 1 + MAX_DEPTH),
            (
                "YAML flow, closed",
                format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
                1 + MAX_DEPTH,
            ),
            (
                "YAML flow maps",
                format!("a: {}", "{a: ".repeat(depth)),
                MAX_DEPTH * 4,
            ),
            (
                "YAML block",
                format!("{}x\n", "- ".repeat(depth)),
                1 + 2 * MAX_DEPTH,
            ),
            (
                "JSON",
                format!("{{\"a\":{}", "[".repeat(depth)),
                6 + MAX_DEPTH - 1,
            ),
            ("JSON maps", "{\"a\":".repeat(depth), 1 + MAX_DEPTH * 5),
        ];
        for (what, text, column) in cases {
            let e = load(&text).unwrap_err();
            assert_eq!(e.code, "input::too-deep", "{what} × {depth}: {}", e.message);
            let p = SourceFile::new("t", text.as_str()).position(e.span.unwrap().start);
            assert_eq!((p.line, p.column as usize), (1, column), "{what} × {depth}");
        }
    }
    // Block maps cannot be written that deep in a small file; 1,000 levels already cost
    // half a megabyte of indentation.
    let block_maps: String = (0..1_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let e = load(&block_maps).unwrap_err();
    assert_eq!(e.code, "input::too-deep");
    let p = SourceFile::new("t", block_maps.as_str()).position(e.span.unwrap().start);
    assert_eq!(
        (p.line, p.column),
        (MAX_DEPTH as u32 + 1, MAX_DEPTH as u32 + 1)
    );
}

#[test]
fn bad_encodings_and_empty_files_have_their_own_codes() {
    let cases: [(&str, Vec<u8>, &str); 8] = [
        ("0 bytes", vec![], "input::empty"),
        ("whitespace", b" \n\t\r\n ".to_vec(), "input::empty"),
        (
            "invalid UTF-8",
            b"Resources:\n  A: \xc3\x28\n".to_vec(),
            "input::not-utf8",
        ),
        (
            "Latin-1",
            b"Description: caf\xe9\n".to_vec(),
            "input::not-utf8",
        ),
        (
            "UTF-16 LE",
            b"\xff\xfeR\0e\0s\0".to_vec(),
            "input::not-utf8",
        ),
        (
            "UTF-16 BE",
            b"\xfe\xff\0R\0e\0s".to_vec(),
            "input::not-utf8",
        ),
        (
            "UTF-16 without a mark",
            b"R\0e\0s\0:\0".to_vec(),
            "input::binary",
        ),
        ("NUL in JSON", b"{\"a\": \"x\0\"}".to_vec(), "input::binary"),
    ];
    for (what, bytes, code) in cases {
        let e = load_bytes(bytes).unwrap_err();
        assert_eq!(e.code, code, "{what}: {}", e.message);
        assert!(e.help.is_some(), "{what}");
    }
}

#[test]
fn a_ten_megabyte_string_loads() {
    let big = "x".repeat(10 * 1024 * 1024);
    // (text, length of the value as written: quotes included)
    let cases = [
        (format!("{{\"Description\": \"{big}\"}}"), big.len() + 2),
        (format!("Description: {big}\n"), big.len()),
    ];
    for (text, written) in cases {
        let t = load(&text).unwrap();
        let description = t.root.get("Description").unwrap();
        assert_eq!(description.as_str().map(str::len), Some(big.len()));
        assert_eq!(description.span.len() as usize, written);
    }
}

#[test]
fn huge_numbers_load_as_floats() {
    let yaml = "FromPort: 99999999999999999999999999\nToPort: 1e999\nCode: -1e999\n";
    let json = "{\"FromPort\": 99999999999999999999999999, \"ToPort\": 1e999, \"Code\": -1e999}";
    for text in [yaml, json] {
        let t = load(text).unwrap();
        let value = |k: &str| t.root.get(k).unwrap().value.clone();
        assert_eq!(value("FromPort"), Value::Float(1e26), "{text}");
        assert_eq!(value("ToPort"), Value::Float(f64::INFINITY), "{text}");
        assert_eq!(value("Code"), Value::Float(f64::NEG_INFINITY), "{text}");
    }
}

#[test]
fn many_tag_lookalikes_in_text_stay_cheap_and_harmless() {
    // Each `!x,` looks like a tag followed by a comma, which the YAML library cannot handle
    // in a flow collection; in a string none is a tag. Each is checked by scanning the text
    // before it, within a budget.
    let text = format!("a: \"{}\"\nb: [1, !Ref, 2]\n", "!x, ".repeat(200));
    let e = load(&text).unwrap_err();
    assert_eq!(e.code, "yaml::syntax");
    let p = SourceFile::new("t", text.as_str()).position(e.span.unwrap().start);
    assert_eq!((p.line, p.column), (2, 8));
    let text = format!("a: \"{}\"\n", "!x, ".repeat(100_000));
    let t = load(&text).unwrap();
    assert_eq!(
        t.root.get("a").unwrap().as_str().map(str::len),
        Some(400_000)
    );
}
