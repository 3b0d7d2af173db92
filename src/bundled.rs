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

/// Every bundled policy file, in the order they are loaded.
pub const BUNDLED: &[Bundled] = &[];

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
