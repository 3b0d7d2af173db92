//! Inputs crafted to break palisade, through the binary: each gives a clear result (the
//! documented exit code, the file and the position of the problem) and never a panic, a hang or
//! a stack overflow. Big inputs are generated here, at run time.

// Test code throughout, helpers included (the lints allow `unwrap` in tests).
#![cfg(test)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that takes longer than this has hung (the inputs here take seconds at most).
const HANG: Duration = Duration::from_secs(300);

/// A policy with one rule, independent of the bundled library: ingress from anywhere fails.
const POLICY: &str = r#"@id("T001")
@severity("high")
rule open_to_world when %rules !empty {
    rules[ direction == "ingress" ].peer.cidr != "0.0.0.0/0"
        << `{{resource}}` is open to the world >>
}
"#;

/// A template whose group `name` is open to the world on port 22.
fn open_group(name: &str) -> String {
    format!(
        "  {name}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}\n"
    )
}

/// `inner` inside `depth` pairs of `open` and `close`.
fn nest(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        let dir = Dir(tempfile::tempdir().unwrap());
        dir.write("policy.guard", POLICY.as_bytes());
        dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// `palisade validate --no-bundled --rules policy.guard ARGS…`, from this folder.
    fn validate(&self, args: &[&str]) -> Run {
        self.validate_with("policy.guard", args)
    }

    /// `palisade validate --no-bundled --rules POLICY ARGS…`, from this folder.
    fn validate_with(&self, policy: &str, args: &[&str]) -> Run {
        let mut all = vec!["validate", "--no-bundled", "--rules", policy];
        all.extend_from_slice(args);
        palisade(self.0.path(), &all)
    }
}

/// Runs the binary in `dir`; a run that does not finish in [`HANG`] fails the test.
fn palisade(dir: &Path, args: &[&str]) -> Run {
    palisade_reading(dir, args, Stdio::null())
}

/// [`palisade`] with `stdin` as its standard input.
fn palisade_reading(dir: &Path, args: &[&str], stdin: Stdio) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on threads so that a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(&mut out).unwrap());
    let err = std::thread::spawn(move || std::io::read_to_string(&mut err).unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            child.kill().unwrap();
            panic!("palisade {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "palisade {args:?} panicked: {}",
        run.stderr
    );
    run
}

/// The run failed to read the template: exit 4, and the report has a line that starts with
/// `at` (the file, or the file and line) and names the error's code.
fn assert_load_error(run: &Run, at: &str, code: &str) {
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let error = format!("error[{code}]");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with(at) && l.contains(&error)),
        "{at} … {error}:\n{}",
        run.stdout
    );
}

#[test]
fn an_alias_bomb_is_refused() {
    let dir = Dir::new();
    let mut text =
        "Resources: {}\nlol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for i in 1..=12 {
        let refs = vec![format!("*lol{}", i - 1); 9].join(", ");
        text.push_str(&format!("lol{i}: &lol{i} [{refs}]\n"));
    }
    dir.write("bomb.yaml", text.as_bytes());
    let run = dir.validate(&["bomb.yaml"]);
    assert_load_error(&run, "bomb.yaml:", "yaml::too-large");
}

#[test]
fn deep_nesting_is_refused_with_its_position() {
    let dir = Dir::new();
    let depth = 100_000;
    let cases = [
        ("flow.yaml", format!("Resources: {}", "[".repeat(depth))),
        (
            "block.yaml",
            format!("Resources:\n{}x\n", "- ".repeat(depth)),
        ),
        (
            "deep.json",
            format!("{{\"Resources\": {}", "{\"a\": ".repeat(depth)),
        ),
        (
            "closed.json",
            format!("{{\"Resources\": {}}}", nest("[", "", "]", depth)),
        ),
    ];
    for (name, text) in &cases {
        dir.write(name, text.as_bytes());
        let run = dir.validate(&[name]);
        let line = if *name == "block.yaml" { 2 } else { 1 };
        assert_load_error(&run, &format!("{name}:{line}:"), "input::too-deep");
    }
}

#[test]
fn a_ten_megabyte_line_is_read_and_shown_cut() {
    let dir = Dir::new();
    // One line of JSON: a 10 MB description, then many open groups on the same line.
    let big = "x".repeat(10 * 1024 * 1024);
    let groups: Vec<String> = (0..500)
        .map(|i| format!("\"Sg{i}\": {{\"Type\": \"AWS::EC2::SecurityGroup\", \"Properties\": {{\"GroupDescription\": \"x\", \"SecurityGroupIngress\": [{{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"CidrIp\": \"0.0.0.0/0\"}}]}}}}"))
        .collect();
    let text = format!(
        "{{\"Description\": \"{big}\", \"Resources\": {{{}}}}}",
        groups.join(", ")
    );
    dir.write("one-line.json", text.as_bytes());
    let run = dir.validate(&["one-line.json"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    assert_eq!(run.stdout.matches("high T001").count(), 500);
    // Each finding shows a window of the line, not the line: a few hundred bytes each.
    assert!(run.stdout.len() < 500 * 1_000, "{} bytes", run.stdout.len());
    // The last group's value, 10 MB into the line, has its real column.
    let last = text.rfind("\"0.0.0.0/0\"").unwrap();
    let column = text[..last].chars().count() + 1;
    assert!(
        run.stdout
            .contains(&format!("one-line.json:1:{column}: high T001")),
        "{}",
        &run.stdout[run.stdout.len().saturating_sub(2_000)..]
    );
}

#[test]
fn huge_and_odd_numbers_in_port_fields_are_unknown_not_a_crash() {
    let dir = Dir::new();
    let text = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 99999999999999999999999, ToPort: 1e999, CidrIp: 0.0.0.0/0}\n        - {IpProtocol: tcp, FromPort: .nan, ToPort: -1e999, CidrIp: 0.0.0.0/0}\n        - {IpProtocol: 1e400, FromPort: -9223372036854775808, ToPort: 9223372036854775807, CidrIp: 0.0.0.0/0}\n";
    dir.write("ports.yaml", text.as_bytes());
    let json = r#"{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 1e308, "ToPort": 123456789012345678901234567890, "CidrIp": "0.0.0.0/0"}]}}}}"#;
    dir.write("ports.json", json.as_bytes());
    let run = dir.validate(&["ports.yaml", "ports.json", "--format", "json"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    // Every rule is open to the world whatever its ports: each is found.
    assert_eq!(findings.len(), 4, "{findings:#?}");
    let ports = palisade(dir.0.path(), &["model", "ports.yaml", "ports.json"]);
    assert_eq!(ports.code, 0, "{}", ports.stderr);
    // Two ports of the YAML template, one of the JSON one (each rule says why its first bad
    // port is none, and a huge one is named as written, not as the `i64` it would saturate
    // to); the third YAML rule's ports depend on its protocol, which is not one. The model
    // shows each rule twice: in its group and in `rules`.
    for (reason, count) in [
        ("`FromPort` 1e23 is out of range", 2),
        ("`FromPort` is not a finite number", 2),
        ("`FromPort` 1e308 is out of range", 2),
        ("9223372036854775807", 0),
    ] {
        assert_eq!(
            ports.stdout.matches(reason).count(),
            count,
            "{reason}: {}",
            ports.stdout
        );
    }
}

#[test]
fn bad_bytes_are_errors_with_their_position() {
    let dir = Dir::new();
    dir.write("latin1.yaml", b"Resources:\n  A:\n    Type: caf\xe9\n");
    dir.write("nul.yaml", b"Resources:\n  A:\n    Type: \"x\0y\"\n");
    dir.write("utf16.json", b"\xff\xfe{\0}\0");
    let run = dir.validate(&["latin1.yaml"]);
    assert_load_error(&run, "latin1.yaml", "input::not-utf8");
    assert!(run.stdout.contains("line 3, column 14"), "{}", run.stdout);
    assert_load_error(
        &dir.validate(&["nul.yaml"]),
        "nul.yaml:3:13",
        "input::binary",
    );
    assert_load_error(
        &dir.validate(&["utf16.json"]),
        "utf16.json",
        "input::not-utf8",
    );
}

#[test]
fn duplicate_keys_are_errors_with_both_positions() {
    let dir = Dir::new();
    dir.write(
        "dup.yaml",
        b"Resources:\n  Sg:\n    Type: a\n  Sg:\n    Type: b\n",
    );
    dir.write(
        "dup.json",
        br#"{"Resources": {"A": {"Type": "x"}, "A": {"Type": "y"}}}"#,
    );
    let run = dir.validate(&["dup.yaml"]);
    assert_load_error(&run, "dup.yaml:4:3", "yaml::duplicate-key");
    assert!(run.stdout.contains("line 2, column 3"), "{}", run.stdout);
    let run = dir.validate(&["dup.json"]);
    assert_load_error(&run, "dup.json:1:36", "json::duplicate-key");
}

#[test]
fn unknown_tags_make_values_unknown_not_absent() {
    let dir = Dir::new();
    let text = format!(
        "Resources:\n{}      Tags: !Frob x\n  Other:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref Sg\n      IpProtocol: tcp\n      FromPort: 443\n      ToPort: 443\n      CidrIp: !Rain::Cidr office\n",
        open_group("Sg")
    );
    dir.write("tags.yaml", text.as_bytes());
    let run = dir.validate(&["tags.yaml", "-q"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    // The open rule fails; the rule whose peer is behind an unknown tag is not a pass.
    assert!(
        run.stdout.contains("tags.yaml:7:63: high T001"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("high (unknown) T001") && run.stdout.contains("!Rain::Cidr office"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_folder_of_ten_thousand_files_is_checked_in_a_fixed_order() {
    let dir = Dir::new();
    for i in 0..10_000 {
        let text = if i % 1000 == 7 {
            format!("Resources:\n{}", open_group(&format!("Sg{i}")))
        } else {
            format!("Resources:\n  Q{i}:\n    Type: AWS::SQS::Queue\n")
        };
        dir.write(&format!("many/{:02}/t{i}.yaml", i % 97), text.as_bytes());
    }
    let first = dir.validate(&["many", "--format", "json"]);
    assert_eq!(first.code, 19, "{}", first.stderr);
    let report: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 10_000);
    assert_eq!(report["summary"]["findings"], 10);
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted, "files are reported in path order");
    // Files are checked in parallel; the report does not depend on which finishes first.
    let again = dir.validate(&["many", "--format", "json"]);
    assert_eq!(first.stdout, again.stdout);
    // One broken file among them makes the run an error.
    dir.write("many/50/broken.yaml", b"Resources:\n  A: [\n");
    let broken = dir.validate(&["many/50", "-q"]);
    assert_load_error(&broken, "many/50/broken.yaml:3:1", "yaml::syntax");
}

#[test]
fn rules_compared_with_many_others_are_found_exactly() {
    // Thousands of VPCs and of rules compared with their blocks (SG042), and thousands of
    // DNS rules each looking for its group's other DNS rule (SG022): each comparison is
    // looked up, not scanned (see `eval::join`), and finds what a scan finds.
    let n = 2_000;
    let mut text = String::from("Resources:\n");
    for i in 0..n {
        let (a, b) = (i / 256, i % 256);
        text.push_str(&format!(
            "  Vpc{i}:\n    Type: AWS::EC2::VPC\n    Properties: {{CidrBlock: 10.{a}.{b}.0/24}}\n"
        ));
    }
    text.push_str("  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: !Ref Vpc0\n      SecurityGroupIngress:\n");
    for i in 0..n {
        let (a, b) = (i / 256, i % 256);
        text.push_str(&format!(
            "        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.{a}.{b}.9/32, Description: inside}}\n        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 172.16.{a}.{b}/32, Description: outside}}\n"
        ));
    }
    for i in 0..n {
        // Every other group also allows DNS over TCP.
        let tcp = if i % 2 == 0 {
            ", {IpProtocol: tcp, FromPort: 53, ToPort: 53, CidrIp: 10.0.0.2/32, Description: dns}"
        } else {
            ""
        };
        text.push_str(&format!(
            "  Dns{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: dns {i}\n      VpcId: !Ref Vpc0\n      SecurityGroupEgress: [{{IpProtocol: udp, FromPort: 53, ToPort: 53, CidrIp: 10.0.0.2/32, Description: dns}}{tcp}]\n"
        ));
    }
    let dir = Dir::new();
    dir.write("many.yaml", text.as_bytes());
    let run = palisade(
        dir.0.path(),
        &[
            "validate",
            "many.yaml",
            "--only",
            "SG022,SG042",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 19, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let count = |id: &str| findings.iter().filter(|f| f["id"] == id).count();
    // Each block inside a VPC, and no other.
    assert_eq!(count("SG042"), n);
    assert!(
        findings
            .iter()
            .filter(|f| f["id"] == "SG042")
            .all(|f| f["message"].as_str().unwrap().contains(".9/32"))
    );
    // Each group with DNS over UDP only.
    assert_eq!(count("SG022"), n / 2);
    assert!(
        findings
            .iter()
            .filter(|f| f["id"] == "SG022")
            .all(|f| f["message"].as_str().unwrap().contains("not over TCP"))
    );
}

#[test]
fn long_chains_of_conditions_and_lets_are_worked_out() {
    let dir = Dir::new();
    // Each condition names the one before it: 10,000 deep.
    let n = 10_000;
    let mut text = String::from(
        "Parameters:\n  P: {Type: String, Default: a}\nConditions:\n  C0: !Equals [!Ref P, a]\n",
    );
    for i in 1..n {
        text.push_str(&format!(
            "  C{i}: !And [!Condition C{}, !Equals [!Ref P, a]]\n",
            i - 1
        ));
    }
    text.push_str(&format!("Resources:\n{}", open_group("Sg")));
    text.push_str(&format!("    Condition: C{}\n", n - 1));
    dir.write("conditions.yaml", text.as_bytes());
    let run = dir.validate(&["conditions.yaml", "-q"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    assert!(run.stdout.contains("high T001"), "{}", run.stdout);
    // Each `let` names the one before it: 10,000 deep. Two templates, so that some are
    // checked on worker threads, whose stacks are smaller.
    let lets: String = (1..n)
        .map(|i| format!("let x{i} = %x{}[ Type exists ]\n", i - 1))
        .collect();
    let policy = format!(
        "let x0 = Resources.*\n{lets}rule last {{ %x{}.Type != \"AWS::EC2::SecurityGroup\" }}\n",
        n - 1
    );
    dir.write("lets.guard", policy.as_bytes());
    dir.write(
        "a.yaml",
        format!("Resources:\n{}", open_group("Sg")).as_bytes(),
    );
    let run = dir.validate_with("lets.guard", &["a.yaml", "conditions.yaml", "-q"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    assert_eq!(run.stdout.matches(" last ").count(), 2, "{}", run.stdout);
}

#[test]
fn large_and_deep_policies_are_checked_or_refused_cleanly() {
    let dir = Dir::new();
    dir.write(
        "t.yaml",
        format!("Resources:\n{}", open_group("Sg")).as_bytes(),
    );
    let n = 10_000;
    let many: String = (0..n)
        .map(|i| format!("rule r{i} {{\n  Resources.*.Type != \"T{i}\"\n}}\n"))
        .collect();
    let chain: String = std::iter::once("rule c0 {\n  Resources exists\n}\n".to_string())
        .chain((1..n).map(|i| format!("rule c{i} when c{} {{\n  c{}\n}}\n", i - 1, i - 1)))
        .collect();
    dir.write("many.guard", many.as_bytes());
    dir.write("chain.guard", chain.as_bytes());
    for policy in ["many.guard", "chain.guard"] {
        let run = dir.validate_with(policy, &["t.yaml", "-q"]);
        assert_eq!(run.code, 0, "{policy}: {}{}", run.stdout, run.stderr);
    }
    // One clause with 10,000 alternatives, all failing: one finding, whose message shows the
    // first alternatives and counts the rest.
    let wide = format!(
        "@id(\"W001\")\nrule w {{\n  Resources.*.Type == \"T0\"{}\n}}\n",
        (1..n)
            .map(|i| format!(" or Resources.*.Type == \"T{i}\""))
            .collect::<String>()
    );
    dir.write("wide.guard", wide.as_bytes());
    let run = dir.validate_with("wide.guard", &["t.yaml", "--format", "json"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", run.stdout);
    let message = findings[0]["message"].as_str().unwrap();
    assert!(message.contains("expected `== \"T19\"`"), "{message}");
    assert!(!message.contains("expected `== \"T20\"`"), "{message}");
    assert!(
        message.ends_with("; and 9980 more alternatives failed"),
        "{message}"
    );
    // Nesting that would overflow a recursive parser is refused before it is parsed.
    let depth = 100_000;
    let deep = [
        (
            "blocks.guard",
            format!(
                "rule d {{\n{}}}\n",
                nest("Resources {\n", "this exists\n", "}\n", depth)
            ),
        ),
        (
            "parens.guard",
            format!(
                "rule d {{\n  Resources.*[ {} ] empty\n}}\n",
                nest("(", "Type == \"x\"", ")", depth)
            ),
        ),
        (
            "lists.guard",
            format!(
                "let x = {}\nrule d {{ Resources exists }}\n",
                nest("[", "", "]", depth)
            ),
        ),
    ];
    for (name, text) in &deep {
        dir.write(name, text.as_bytes());
        let run = dir.validate_with(name, &["t.yaml"]);
        assert_eq!(run.code, 5, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("syntax::too-deep"),
            "{name}: {}",
            run.stderr
        );
        assert!(
            run.stderr.len() < 5_000,
            "{name}: {} bytes",
            run.stderr.len()
        );
    }
}

#[test]
fn many_errors_on_one_long_policy_line_are_each_shown_briefly() {
    let dir = Dir::new();
    dir.write(
        "t.yaml",
        format!("Resources:\n{}", open_group("Sg")).as_bytes(),
    );
    let n = 5_000;
    let clauses: Vec<String> = (0..n)
        .map(|i| format!("Resources.*.Type != nosuch({i})"))
        .collect();
    let text = format!("rule long {{\n{}\n}}\n", clauses.join(" "));
    dir.write("long.guard", text.as_bytes());
    let run = dir.validate_with("long.guard", &["t.yaml"]);
    assert_eq!(
        run.code,
        5,
        "{}",
        &run.stderr[..run.stderr.len().min(2_000)]
    );
    assert!(
        run.stderr
            .contains(&format!("error: {n} problems in policy files"))
    );
    // Every diagnostic shows a window of the line (at most a few hundred bytes of it).
    assert!(run.stderr.len() < n * 1_000, "{} bytes", run.stderr.len());
    let last = text.rfind("nosuch(").unwrap();
    let column = last - text.find('\n').unwrap();
    assert!(
        run.stderr.contains(&format!("[long.guard:2:{column}]")),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(2_000)..]
    );
}

/// Templates that cannot be parsed, each with where the error is reported.
const BROKEN: [(&str, &str, &str); 6] = [
    (
        "truncated.json",
        "{\"Resources\": {\"A\": {\"Type\": \"x\"",
        "truncated.json:1:",
    ),
    ("trailing.json", "{\"Resources\": {}} x", "trailing.json:1:"),
    (
        "unclosed.yaml",
        "Resources:\n  A: [1, 2\n",
        "unclosed.yaml:3:",
    ),
    ("tabs.yaml", "Resources:\n\tA: 1\n", "tabs.yaml:2:"),
    (
        "two-docs.yaml",
        "Resources: {}\n---\nResources: {}\n",
        "two-docs.yaml:2:",
    ),
    (
        "bad-alias.yaml",
        "Resources:\n  A: *nowhere\n",
        "bad-alias.yaml:2:",
    ),
];

#[test]
fn a_template_that_fails_to_parse_never_exits_zero() {
    let dir = Dir::new();
    dir.write("ok.yaml", b"Resources:\n  Q:\n    Type: AWS::SQS::Queue\n");
    dir.write(
        "open.yaml",
        format!("Resources:\n{}", open_group("Sg")).as_bytes(),
    );
    let options: [&[&str]; 8] = [
        &[],
        &["--fail-on", "critical"],
        &["--unknown", "warn"],
        &["--format", "json"],
        &["--format", "sarif"],
        &["--format", "junit"],
        &["-q"],
        &["--skip", "T001"],
    ];
    // Alone, beside a clean template, and beside one with findings.
    let others: [&[&str]; 3] = [&[], &["ok.yaml"], &["open.yaml"]];
    for (i, (name, text, at)) in BROKEN.into_iter().enumerate() {
        dir.write(name, text.as_bytes());
        for (j, extra) in options.into_iter().enumerate() {
            {
                let others = others[(i + j) % others.len()];
                let mut args = vec![name];
                args.extend_from_slice(others);
                args.extend_from_slice(extra);
                let run = dir.validate(&args);
                assert_eq!(run.code, 4, "{args:?}: {}{}", run.stdout, run.stderr);
                assert!(
                    run.stdout.contains(at) || run.stdout.contains(name),
                    "{args:?}: {}",
                    run.stdout
                );
            }
        }
        let run = dir.validate(&[name]);
        assert!(run.stdout.contains(at), "{name}: {}", run.stdout);
    }
    // Found while walking a folder, too.
    std::fs::create_dir_all(dir.path("tree/sub")).unwrap();
    std::fs::copy(dir.path("open.yaml"), dir.path("tree/open.yaml")).unwrap();
    dir.write("tree/sub/broken.json", b"{\"Resources\": [");
    let run = dir.validate(&["tree", "--fail-on", "critical"]);
    assert_load_error(&run, "tree/sub/broken.json:1:16", "json::syntax");
    // And from standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["validate", "--no-bundled", "--rules", "policy.guard", "-"])
        .current_dir(dir.0.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Resources: {")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4));
}

/// Inputs that never end or never start: a device, a FIFO, a file too large to read. Each run
/// ends with an error naming the input, or skips what a folder walk must not open.
#[cfg(unix)]
#[test]
fn endless_and_special_files_end_with_an_error() {
    let dir = Dir::new();
    if Path::new("/dev/zero").exists() {
        // `/dev/zero` never ends: reading stops at its first byte, which is NUL.
        let named = dir.validate(&["/dev/zero"]);
        assert_load_error(&named, "/dev/zero:1:1", "input::binary");
        let piped = palisade_reading(
            dir.0.path(),
            &["validate", "--no-bundled", "--rules", "policy.guard", "-"],
            Stdio::from(std::fs::File::open("/dev/zero").unwrap()),
        );
        assert_load_error(&piped, "<stdin>:1:1", "input::binary");
    } else {
        eprintln!("skipped the /dev/zero part: this system has no /dev/zero");
    }

    // A file over the limit is refused before it is read (a sparse file: no disk is used).
    let huge = std::fs::File::create(dir.path("huge.yaml")).unwrap();
    huge.set_len(palisade::template::MAX_INPUT_LEN as u64 + 1)
        .unwrap();
    let run = dir.validate(&["huge.yaml"]);
    assert_load_error(&run, "huge.yaml:", "input::too-large");

    // A FIFO in a folder, directly or behind a link, is not opened: nothing would ever write
    // to it. The run checks the rest.
    dir.write(
        "walk/open.yaml",
        format!("Resources:\n{}", open_group("Sg")).as_bytes(),
    );
    let made = Command::new("mkfifo")
        .arg(dir.path("walk/pipe.yaml"))
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipped the FIFO part: `mkfifo` is not available");
        return;
    }
    std::os::unix::fs::symlink(dir.path("walk/pipe.yaml"), dir.path("walk/link.yaml")).unwrap();
    let run = dir.validate(&["walk", "--format", "json"]);
    assert_eq!(run.code, 19, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1, "{}", run.stdout);
    assert_eq!(report["files"][0]["path"], "walk/open.yaml");
}

/// Text that intrinsic functions or aliases would multiply: a kilobyte-sized template that
/// joins a long parameter a thousand times, and a long string copied by a hundred aliases.
/// Both end quickly with a bounded result instead of taking gigabytes.
#[test]
fn amplified_text_is_bounded() {
    let dir = Dir::new();
    let refs = vec!["!Ref P"; 1000].join(", ");
    let joined = format!(
        "Parameters:\n  P: {{Type: String, Default: \"{}\"}}\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Join [\"\", [{refs}]]}}\n",
        "0".repeat(100_000)
    );
    dir.write("joined.yaml", joined.as_bytes());
    let run = dir.validate(&["joined.yaml"]);
    // 100 MB of joined text is not built: the address is unknown, which fails closed.
    assert_eq!(run.code, 19, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("high (unknown) T001")
            && run
                .stdout
                .contains("builds more text than palisade works out"),
        "{}",
        run.stdout
    );
    // The same through `Fn::Sub`, which used to build its text before measuring it: 400 MB
    // from a 400 KB template, and gigabytes from a longer value. Measured first, the text is
    // not made, and what it would have cost is not taken from the bound either: the `Fn::Join`
    // of the group `Sg2` after it is still worked out.
    let sub = format!(
        "Parameters:\n  P: {{Type: String, Default: \"{}\"}}\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Sub \"{}\"}}\n  Sg2:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Join [\"\", [0.0.0.0/, \"0\"]]}}\n",
        "0".repeat(4096),
        "${P}".repeat(100_000)
    );
    dir.write("sub.yaml", sub.as_bytes());
    let run = dir.validate(&["sub.yaml"]);
    assert_eq!(run.code, 19, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("high (unknown) T001")
            && run
                .stdout
                .contains("`Fn::Sub` here builds more text than palisade works out"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("high T001 `Sg2` is open to the world"),
        "{}",
        run.stdout
    );
    let aliases = format!(
        "Metadata:\n  Big: &s \"{}\"\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [{}]\n",
        "a".repeat(1 << 20),
        vec!["*s"; 100].join(", ")
    );
    dir.write("aliases.yaml", aliases.as_bytes());
    let run = dir.validate(&["aliases.yaml"]);
    assert_load_error(&run, "aliases.yaml:7:", "yaml::too-large");
}

/// Values that multiply: `Fn::If`s nested in each other's false branch under a condition of
/// a three-valued parameter (once resolved per path through them, twice as long per level),
/// and a list of many `!Ref`s to a parameter of many values (once copied per item and value).
#[test]
fn nested_conditions_and_repeated_parameters_are_bounded() {
    let dir = Dir::new();
    let mut cidr = "0.0.0.0/0".to_string();
    for _ in 0..60 {
        cidr = format!("{{\"Fn::If\": [\"C\", \"10.1.0.0/16\", {cidr}]}}");
    }
    let head = "\"Parameters\": {\"P\": {\"Type\": \"String\", \"AllowedValues\": [\"a\", \"b\", \"c\"]}}, \"Conditions\": {\"C\": {\"Fn::Equals\": [{\"Ref\": \"P\"}, \"b\"]}}";
    let group = |cidr: &str| {
        format!(
            "{{{head}, \"Resources\": {{\"Sg\": {{\"Type\": \"AWS::EC2::SecurityGroup\", \"Properties\": {{\"GroupDescription\": \"x\", \"SecurityGroupIngress\": [{{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"CidrIp\": {cidr}}}]}}}}}}}}"
        )
    };
    dir.write("nested.json", group(&cidr).as_bytes());
    let run = dir.validate(&["nested.json"]);
    assert_eq!(run.code, 19, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("high T001 `Sg` is open to the world (when C is false"),
        "{}",
        run.stdout
    );
    // 10,000 references to a parameter of 30 values: 300,000 possible values in all, past
    // the bound, so the value is unknown (which fails closed) and nothing is copied.
    let values: Vec<String> = (0..30).map(|i| format!("\"10.0.{i}.0/24\"")).collect();
    let refs = vec!["{\"Ref\": \"Q\"}"; 10_000].join(", ");
    let joined = format!(
        "{{\"Parameters\": {{\"Q\": {{\"Type\": \"String\", \"AllowedValues\": [{}]}}}}, \"Resources\": {{\"Sg\": {{\"Type\": \"AWS::EC2::SecurityGroup\", \"Properties\": {{\"GroupDescription\": \"x\", \"SecurityGroupIngress\": [{{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"CidrIp\": {{\"Fn::Join\": [\"\", [{refs}]]}}}}]}}}}}}}}",
        values.join(", ")
    );
    dir.write("joined.json", joined.as_bytes());
    let run = dir.validate(&["joined.json"]);
    assert_eq!(run.code, 19, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("high (unknown) T001") && run.stdout.contains("too long to follow"),
        "{}",
        run.stdout
    );
}

/// Escape sequences in template values (a logical id, a quoted value) would reach the terminal
/// through the text report; they are shown escaped. The machine formats keep them as data.
#[test]
fn control_characters_from_templates_do_not_reach_the_terminal() {
    let dir = Dir::new();
    dir.write(
        "t.yaml",
        format!("Resources:\n{}", open_group("\"Sg\\e]0;title\\a\\e[2J\"")).as_bytes(),
    );
    let run = dir.validate(&["t.yaml"]);
    assert_eq!(run.code, 19, "{}", run.stderr);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    assert!(
        run.stdout.contains("[Sg\\u{1b}]0;title\\u{7}\\u{1b}[2J]"),
        "{}",
        run.stdout
    );
    let json = dir.validate(&["t.yaml", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["findings"][0]["resource"],
        "Sg\u{1b}]0;title\u{7}\u{1b}[2J"
    );
    // Nor through the output of policy tests: case names and the values they quote.
    dir.write(
        "policy.tests.yaml",
        b"- name: \"red\\e[31m\"\n  input: {Resources: {Q: {Type: AWS::EC2::SecurityGroup, Properties: {SecurityGroupIngress: [{CidrIp: \"0.0.0.0/0\\e[2J\"}]}}}}\n  expectations: {rules: {open_to_world: SKIP}}\n",
    );
    let run = palisade(
        dir.0.path(),
        &[
            "test",
            "--rules",
            "policy.guard",
            "--tests",
            "policy.tests.yaml",
        ],
    );
    assert_eq!(run.code, 7, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    assert!(run.stdout.contains("FAIL red\\u{1b}[31m"), "{}", run.stdout);
}

/// A report that cannot be written (a full disk) fails the run with exit 2 and says so, for
/// every command; a reader that stops early (`| head`) leaves the verdict as it is.
#[cfg(unix)]
#[test]
fn output_that_cannot_be_written_fails_the_run() {
    let dir = Dir::new();
    dir.write(
        "open.yaml",
        format!("Resources:\n{}", open_group("Sg")).as_bytes(),
    );
    let run_to = |args: &[&str], stdout: Stdio| {
        let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(args)
            .current_dir(dir.0.path())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    if Path::new("/dev/full").exists() {
        let commands: [&[&str]; 5] = [
            &["validate", "open.yaml"],
            &["validate", "open.yaml", "--format", "sarif"],
            &["model", "open.yaml"],
            &["rules"],
            &["completions", "bash"],
        ];
        for args in commands {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let (code, stderr) = run_to(args, Stdio::from(full));
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains("error: cannot write to standard output")
                    && !stderr.contains("panicked"),
                "{args:?}: {stderr}"
            );
        }
    } else {
        eprintln!("skipped the full-disk part: this system has no /dev/full");
    }
    // A pipe closed by its reader before the report is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["validate", "open.yaml"])
        .current_dir(dir.0.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(19), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}
