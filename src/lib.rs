//! palisade: a policy-as-code checker for AWS CloudFormation with a precise model of EC2
//! security groups.
//!
//! The pipeline, one module per phase, each depending only on the ones before it:
//!
//! ```text
//! policy text ──syntax──▶ AST ──check──▶ checked policies ─┐
//! template bytes ──template──▶ Node tree ──model──▶ model ──┴─eval──▶ report ──render──▶ output
//! ```
//!
//! The command-line interface in [`cli`] sits on top and is the only module that touches the
//! terminal, the file system walk and exit codes.

pub mod bundled;
pub mod check;
pub mod cli;
pub mod diag;
pub mod engine;
pub mod eval;
pub(crate) mod hash;
pub mod model;
pub mod net;
pub mod render;
pub mod report;
pub mod source;
pub mod syntax;
pub mod template;
pub mod testing;
