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

/// Every bundled policy file, in the order they are loaded (the order of their ids).
pub const BUNDLED: &[Bundled] = &[
    // SG001-SG004, practice (a): the VPC default group.
    Bundled {
        name: "default_group",
        policy: include_str!("../policies/default_group.guard"),
        tests: include_str!("../policies/default_group.tests.yaml"),
    },
    // SG010-SG012, practice (b): inbound from the internet.
    Bundled {
        name: "ingress",
        policy: include_str!("../policies/ingress.guard"),
        tests: include_str!("../policies/ingress.tests.yaml"),
    },
    // SG020-SG023, practice (c): outbound to the internet, DNS.
    Bundled {
        name: "egress",
        policy: include_str!("../policies/egress.guard"),
        tests: include_str!("../policies/egress.tests.yaml"),
    },
    // SG030-SG032, practice (d): sprawl and unused groups.
    Bundled {
        name: "sprawl",
        policy: include_str!("../policies/sprawl.guard"),
        tests: include_str!("../policies/sprawl.tests.yaml"),
    },
    // SG040-SG042, practice (e): large ranges, group references.
    Bundled {
        name: "ranges",
        policy: include_str!("../policies/ranges.guard"),
        tests: include_str!("../policies/ranges.tests.yaml"),
    },
    // SG050-SG052, practice (f): descriptions and names.
    Bundled {
        name: "naming",
        policy: include_str!("../policies/naming.guard"),
        tests: include_str!("../policies/naming.tests.yaml"),
    },
    // SG060, practice (g): monitoring.
    Bundled {
        name: "monitoring",
        policy: include_str!("../policies/monitoring.guard"),
        tests: include_str!("../policies/monitoring.tests.yaml"),
    },
    // SG070-SG071: all protocols, wide port ranges.
    Bundled {
        name: "hygiene",
        policy: include_str!("../policies/hygiene.guard"),
        tests: include_str!("../policies/hygiene.tests.yaml"),
    },
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

/// The bundled policy files.
pub fn policy_files() -> Vec<Arc<SourceFile>> {
    BUNDLED.iter().map(Bundled::policy_file).collect()
}
