//! The bundled policy library, embedded in the binary.
//!
//! The source of truth is `policies/<name>.guard` with its tests in
//! `policies/<name>.tests.yaml`; this list names them explicitly (a test checks it against the
//! folder). In diagnostics and findings they appear as `bundled/<name>.guard`.

use std::sync::Arc;

use crate::source::SourceFile;

/// One bundled policy file and its tests.
#[derive(Clone, Copy, Debug)]
pub struct Bundled {
    /// The file's stem, e.g. `ingress`.
    pub name: &'static str,
    /// The policy text.
    pub policy: &'static str,
    /// The test file's text.
    pub tests: &'static str,
}

/// `policies/NAME.guard` and `policies/NAME.tests.yaml`, embedded.
macro_rules! bundled {
    ($name:literal) => {
        Bundled {
            name: $name,
            policy: include_str!(concat!("../policies/", $name, ".guard")),
            tests: include_str!(concat!("../policies/", $name, ".tests.yaml")),
        }
    };
}

/// Every bundled policy file, in the order they are loaded (the order of their ids).
pub const BUNDLED: &[Bundled] = &[
    bundled!("default_group"), // SG001-SG004, practice (a): the VPC default group
    bundled!("ingress"),       // SG010-SG012, practice (b): inbound from the internet
    bundled!("egress"),        // SG020-SG023, practice (c): outbound to the internet, DNS
    bundled!("sprawl"),        // SG030-SG032, practice (d): sprawl and unused groups
    bundled!("ranges"),        // SG040-SG042, practice (e): large ranges, group references
    bundled!("naming"),        // SG050-SG052, practice (f): descriptions and names
    bundled!("monitoring"),    // SG060, practice (g): monitoring
    bundled!("hygiene"),       // SG070-SG071: all protocols, wide port ranges
];

impl Bundled {
    /// The policy as a source file named `bundled/<name>.guard`.
    pub fn policy_file(&self) -> Arc<SourceFile> {
        Arc::new(SourceFile::new(
            format!("bundled/{}.guard", self.name),
            self.policy,
        ))
    }

    /// The tests as a source file named `bundled/<name>.tests.yaml`.
    pub fn tests_file(&self) -> Arc<SourceFile> {
        Arc::new(SourceFile::new(
            format!("bundled/{}.tests.yaml", self.name),
            self.tests,
        ))
    }
}

/// True when `id` is the `@id` of a bundled rule (whatever its case), read from the policies' text without
/// compiling them (a configuration file may name bundled rules that are not loaded).
pub fn has_id(id: &str) -> bool {
    BUNDLED.iter().any(|b| {
        b.policy.split("@id(\"").skip(1).any(|rest| {
            rest.split('"')
                .next()
                .is_some_and(|b| b.eq_ignore_ascii_case(id))
        })
    })
}

/// True when a bundled policy declares a param `name` (`param name = …`), read from the
/// policies' text without compiling them.
pub fn declares_param(name: &str) -> bool {
    BUNDLED.iter().any(|b| {
        b.policy.lines().any(|line| {
            line.trim_start()
                .strip_prefix("param ")
                .and_then(|rest| rest.split('=').next())
                .is_some_and(|declared| declared.trim() == name)
        })
    })
}

/// The bundled policy files.
pub fn policy_files() -> Vec<Arc<SourceFile>> {
    BUNDLED.iter().map(Bundled::policy_file).collect()
}
