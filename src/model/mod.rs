//! The security-group model: what a template's security groups, their effective rules, the
//! resources that use them and the VPCs really are, once values are resolved.
//!
//! Second stage of the template side of the pipeline (`template → model → eval`). The model is
//! made of the same [`Node`] trees as templates, so policies query both alike
//! (`rules[ direction == "ingress" ]`). Field names and semantics: `docs/model.md`.

mod assume;
mod attachments;
mod build;
mod conditions;
mod egress;
mod entries;
mod functions;
mod groups;
mod output;
pub mod params;
pub mod path;
mod peers;
mod protocol;
mod refs;
pub mod resolve;
mod rules;
#[cfg(test)]
mod tests;
mod written;

pub use assume::{Assumptions, MAX_VARIANTS, Variant};
pub use build::{MAX_DUPLICATES_LISTED, build};
pub use output::Positioned;
pub use params::{Parameters, ParamsError, Supplied};
pub use resolve::{RNode, RVal, Resolver};

use crate::source::Span;
use crate::template::Node;

/// The model of one template: four lists of entries (maps).
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// One entry per `AWS::EC2::SecurityGroup`, then one per VPC default group the template
    /// names.
    pub security_groups: Node,
    /// The effective rules of all groups, flattened: one entry per variant.
    pub rules: Node,
    /// Every place a resource takes security groups.
    pub attachments: Node,
    /// The VPCs of the template with their CIDR blocks.
    pub vpcs: Node,
}

impl Default for Model {
    fn default() -> Self {
        let empty = || Node::list(Vec::new(), Span::default());
        Model {
            security_groups: empty(),
            rules: empty(),
            attachments: empty(),
            vpcs: empty(),
        }
    }
}

impl Model {
    /// The names of the roots, in output order.
    pub const ROOTS: [&'static str; 4] = ["security_groups", "rules", "attachments", "vpcs"];

    /// The root named `name`.
    pub fn root(&self, name: &str) -> Option<&Node> {
        match name {
            "security_groups" => Some(&self.security_groups),
            "rules" => Some(&self.rules),
            "attachments" => Some(&self.attachments),
            "vpcs" => Some(&self.vpcs),
            _ => None,
        }
    }

    /// The four roots as one map (`{security_groups: […], rules: […], …}`), for querying the
    /// model like a template.
    pub fn to_node(&self) -> Node {
        Node::map(
            Self::ROOTS
                .iter()
                .filter_map(|&name| Some((name, self.root(name)?.clone()))),
            Span::default(),
        )
    }

    /// The entries of root `name` (empty for an unknown name).
    pub fn entries(&self, name: &str) -> &[Node] {
        self.root(name).and_then(Node::as_list).unwrap_or_default()
    }
}
