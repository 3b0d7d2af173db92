//! Value resolution: a template value becomes a bounded list of [`Variant`]s of a resolved
//! value ([`RNode`]), each holding under its assumptions.
//!
//! `Ref`, `Fn::GetAtt` and `Fn::If` live here; string and list functions in
//! `functions.rs`, conditions in `conditions.rs`. Anything that is only known at deploy time
//! becomes [`RVal::Unknown`] with the reason kept. Results are cached where a template may ask
//! the same question many times (conditions, VPC CIDRs), so resolution stays linear in the
//! size of the template.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::assume::{Assumptions, MAX_VARIANTS, Variant, product};
use super::params::{Candidate, Domain, Parameters, domains};
use super::path::Seg;
use crate::hash::HashMap;
use crate::source::Span;
use crate::template::{Map, Node, Str, Unknown, UnknownHint, Value};

/// The resource type of security groups.
pub const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
/// The resource type of VPCs.
pub const VPC: &str = "AWS::EC2::VPC";

/// The resource type of managed prefix lists.
pub const PREFIX_LIST: &str = "AWS::EC2::PrefixList";
/// The subnet resource type.
pub const SUBNET: &str = "AWS::EC2::Subnet";

/// Deepest nesting of intrinsic functions resolution follows.
const MAX_NESTING: u32 = 128;

/// Most bytes of text the intrinsic functions of one template may build: copies of parameter
/// values, `Fn::Join`, `Fn::Sub` and `Fn::Split` results, counted as they are made. A template
/// that joins a long parameter value a thousand times would otherwise take gigabytes from a
/// few kilobytes of text; past the bound, values are unknown. CloudFormation accepts at most
/// 1 MB of template, so real templates stay far below it.
pub(crate) const MAX_BUILT_TEXT: usize = 64 << 20;

/// Texts longer than this are copied only while [`MAX_BUILT_TEXT`] can pay for them.
const LONG_TEXT: usize = 4096;

/// A resolved value and the template text it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct RNode<'t> {
    /// The value.
    pub val: RVal<'t>,
    /// Where it came from (for a `!Ref` of a parameter: the `!Ref`).
    pub span: Span,
}

/// A resolved value.
#[derive(Clone, Debug, PartialEq)]
pub enum RVal<'t> {
    /// `!Ref AWS::NoValue`: the property or list item is removed.
    NoValue,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Str(Str),
    /// A list (items removed by `AWS::NoValue` are already gone).
    List(Vec<RNode<'t>>),
    /// A map written in the template; its values are resolved by whoever reads it.
    Map {
        /// The map.
        map: &'t Map,
        /// Its JSON pointer.
        path: Rc<str>,
    },
    /// A resource of this template: `!Ref Id` (`attr` is `None`) or `!GetAtt Id.Attr`.
    Resource {
        /// Logical id.
        id: Str,
        /// Attribute, if any.
        attr: Option<Str>,
    },
    /// The IPv4 CIDR of a VPC of this template (`!GetAtt Vpc.CidrBlock`): its literal
    /// `CidrBlock` when the template gives one.
    VpcCidr {
        /// The VPC's logical id.
        vpc: Str,
        /// Its CIDR block as written, if known.
        cidr: Option<Str>,
    },
    /// `!GetAtt Vpc.CidrBlockAssociations`: the list of a VPC's CIDR blocks.
    VpcCidrList(Str),
    /// Not known before deployment.
    Unknown(Unknown),
}

/// The variants of a resolved value.
pub type Vs<'t> = Vec<Variant<RNode<'t>>>;

/// The variants of a VPC's literal CIDR block.
pub(crate) type VpcCidrs = Vec<Variant<Option<Str>>>;

/// State of a cached computation.
#[derive(Clone, Debug)]
pub(crate) enum Cached<T> {
    /// Being computed (a second request means a cycle).
    InProgress,
    /// Done.
    Done(Rc<T>),
}

/// Resolves values of one template.
#[derive(Debug)]
pub struct Resolver<'t> {
    /// The `Resources` map.
    pub(crate) resources: Option<&'t Map>,
    pub(crate) mappings: Option<&'t Map>,
    pub(crate) condition_defs: Option<&'t Map>,
    pub(crate) domains: HashMap<Str, Domain>,
    pub(crate) conditions: RefCell<HashMap<Str, Cached<Vec<Variant<bool>>>>>,
    vpc_cidrs: RefCell<HashMap<Str, Cached<VpcCidrs>>>,
    depth: Cell<u32>,
    /// What is left of [`MAX_BUILT_TEXT`].
    text_left: Cell<usize>,
    /// Most variants of one value.
    pub bound: usize,
}

/// One variant that always holds.
pub(crate) fn one<'t>(val: RVal<'t>, span: Span) -> Vs<'t> {
    vec![Variant::always(RNode { val, span })]
}

/// One unknown variant.
pub(crate) fn unknown<'t>(reason: impl Into<Str>, span: Span) -> Vs<'t> {
    one(RVal::Unknown(Unknown::new(reason)), span)
}

/// The reason given when a value has too many variants.
pub(crate) fn too_many(bound: usize) -> String {
    format!("more than {bound} possible values")
}

/// Most variants that the values of a list (or `Fn::Sub`'s variables) may have in all, and
/// about the most values a combination of them may copy: a list of thousands of items that
/// each depend on a parameter of many values would take a copy of the list per value.
const MAX_COMBINED: usize = 1 << 18;

/// Resolves each of `nodes` in turn; `Err` with the reason once their variants are past
/// [`MAX_COMBINED`] in all, before they take the memory.
pub(crate) fn resolve_each<'t, I>(
    nodes: I,
    what: &str,
    mut resolve: impl FnMut(I::Item) -> Vs<'t>,
) -> Result<Vec<Vs<'t>>, String>
where
    I: IntoIterator,
{
    let mut lists = Vec::new();
    let mut total: usize = 0;
    for node in nodes {
        let vs = resolve(node);
        total = total.saturating_add(vs.len());
        if total > MAX_COMBINED {
            return Err(format!(
                "{what} whose values have more than {MAX_COMBINED} possible values in all is too long to follow"
            ));
        }
        lists.push(vs);
    }
    Ok(lists)
}

/// The bytes a resolved value takes beyond its own node: its text, and its items (a node each)
/// with theirs.
fn built_text(val: &RVal<'_>) -> usize {
    let mut total = 0usize;
    let mut todo = vec![val];
    while let Some(val) = todo.pop() {
        let bytes = match val {
            RVal::Str(s) => s.len(),
            RVal::List(items) => {
                todo.extend(items.iter().map(|i| &i.val));
                items.len().saturating_mul(std::mem::size_of::<RNode<'_>>())
            }
            _ => 0,
        };
        total = total.saturating_add(bytes);
    }
    total
}

/// Text as a value: a string holding a dynamic reference (`{{resolve:…}}`) is unknown.
pub(crate) fn string_value<'t>(s: &str) -> RVal<'t> {
    match s.find("{{resolve:") {
        Some(start) => {
            let rest = s.get(start..).unwrap_or_default();
            let end = rest.find("}}").map_or(rest.len(), |e| e + 2);
            let reference = rest.get(..end).unwrap_or(rest);
            RVal::Unknown(Unknown::new(format!(
                "dynamic reference `{reference}` is only known at deploy time"
            )))
        }
        None => RVal::Str(Str::from(s)),
    }
}

impl<'t> Resolver<'t> {
    /// A resolver for `root` (a template's root map) with the user's parameter values.
    pub fn new(root: &'t Node, params: &Parameters) -> Self {
        let condition_defs = root.get("Conditions").and_then(Node::as_map);
        let uses = super::conditions::condition_uses(condition_defs);
        let resolver = Resolver {
            resources: root.get("Resources").and_then(Node::as_map),
            mappings: root.get("Mappings").and_then(Node::as_map),
            condition_defs,
            domains: domains(root, params, &uses),
            conditions: RefCell::new(HashMap::default()),
            vpc_cidrs: RefCell::new(HashMap::default()),
            depth: Cell::new(0),
            text_left: Cell::new(MAX_BUILT_TEXT),
            bound: MAX_VARIANTS,
        };
        // Every condition up front, in template order: a condition's value then does not
        // depend on which value asked for it first (it could, through a cycle of conditions,
        // which CloudFormation rejects), so resolvers working on different resources agree.
        for (name, _) in condition_defs.into_iter().flat_map(Map::iter) {
            resolver.condition_value(name);
        }
        resolver
    }

    /// The `Type` of a resource of this template.
    pub fn resource_type(&self, id: &str) -> Option<&'t str> {
        self.resources?.get(id)?.get("Type")?.as_str()
    }

    /// The number of candidates of a parameter (0 for names that are not parameters).
    pub(crate) fn domain_size(&self, name: &str) -> usize {
        self.domains.get(name).map_or(0, |d| d.candidates.len())
    }

    /// The value shown for candidate `choice` of parameter `name`.
    pub(crate) fn shown(&self, name: &str, choice: u16) -> Option<&Value> {
        let domain = self.domains.get(name)?;
        let (candidate, shown) = domain.candidates.get(usize::from(choice))?;
        (!matches!(candidate, Candidate::Unknown(_))).then_some(shown)
    }

    /// Every variant of `node` (at `at` in the template).
    pub fn resolve(&self, node: &'t Node, at: Seg<'_>) -> Vs<'t> {
        let depth = self.depth.get();
        if depth > MAX_NESTING {
            return unknown("intrinsic functions are nested too deeply", node.span);
        }
        self.depth.set(depth + 1);
        let out = self.resolve_inner(node, at);
        self.depth.set(depth);
        out
    }

    fn resolve_inner(&self, node: &'t Node, at: Seg<'_>) -> Vs<'t> {
        let node = node.resolved();
        let span = node.span;
        match &node.value {
            Value::Map(map) => match node.as_intrinsic() {
                Some((name, arg)) => {
                    let at = at.key(name);
                    self.intrinsic(name, arg, node, at)
                }
                None => one(
                    RVal::Map {
                        map,
                        path: Rc::from(at.pointer()),
                    },
                    span,
                ),
            },
            Value::List(items) => self.resolve_list(items, span, at),
            // A long text is not copied once the budget could not pay for it: resolving the
            // same long value over and over (through `Fn::FindInMap`, say) stays cheap.
            Value::String(s) if s.len() > LONG_TEXT && !self.can_build(s.len()) => {
                one(RVal::Unknown(self.spent("text")), span)
            }
            Value::String(s) => one(string_value(s), span),
            Value::Null => one(RVal::Null, span),
            Value::Bool(b) => one(RVal::Bool(*b), span),
            Value::Int(i) => one(RVal::Int(*i), span),
            Value::Float(f) => one(RVal::Float(*f), span),
            Value::Ports(_) | Value::Unknown(_) | Value::Shared(_) => {
                unknown("not a template value", span)
            }
        }
    }

    fn resolve_list(&self, items: &'t [Node], span: Span, at: Seg<'_>) -> Vs<'t> {
        let resolved = resolve_each(items.iter().enumerate(), "a list", |(i, item)| {
            self.resolve(item, at.index(i))
        });
        let lists = match resolved {
            Ok(lists) => lists,
            Err(reason) => return unknown(reason, span),
        };
        match product(&lists, self.bound) {
            Some(combos) => combos
                .into_iter()
                .map(|v| {
                    v.map(|values| RNode {
                        val: RVal::List(
                            values
                                .into_iter()
                                .filter(|n| n.val != RVal::NoValue)
                                .collect(),
                        ),
                        span,
                    })
                })
                .collect(),
            None => unknown(too_many(self.bound), span),
        }
    }

    /// The items of a list value, each with the assumptions under which it is there, without
    /// multiplying the variants of different items: `[a, !If [C, b, !Ref AWS::NoValue]]` gives
    /// `a` always and `b` when `C`. A value that is not a list counts as one item.
    pub fn items(&self, node: &'t Node, at: Seg<'_>) -> Vs<'t> {
        let mut out = Vec::new();
        if let Value::List(items) = &node.value {
            for (i, item) in items.iter().enumerate() {
                out.extend(
                    self.resolve(item, at.index(i))
                        .into_iter()
                        .filter(|v| v.value.val != RVal::NoValue),
                );
            }
            return out;
        }
        for v in self.resolve(node, at) {
            match v.value.val {
                RVal::List(items) => {
                    out.extend(items.into_iter().map(|i| Variant::new(i, v.when.clone())));
                }
                RVal::NoValue => {}
                val => out.push(Variant::new(
                    RNode {
                        val,
                        span: v.value.span,
                    },
                    v.when,
                )),
            }
        }
        out
    }

    fn intrinsic(&self, name: &str, arg: &'t Node, node: &'t Node, at: Seg<'_>) -> Vs<'t> {
        let out = self.intrinsic_value(name, arg, node, at);
        self.charge(out, name, node.span)
    }

    /// Takes the text `out` holds from what is left of [`MAX_BUILT_TEXT`]; once that is spent,
    /// the value is unknown instead.
    fn charge(&self, out: Vs<'t>, name: &str, span: Span) -> Vs<'t> {
        let cost = out
            .iter()
            .map(|v| built_text(&v.value.val))
            .fold(0, usize::saturating_add);
        let left = self.text_left.get();
        if cost <= left {
            self.text_left.set(left - cost);
            return out;
        }
        self.text_left.set(0);
        one(RVal::Unknown(self.spent(name)), span)
    }

    /// Why a value is unknown once [`MAX_BUILT_TEXT`] is spent, or would be by making it.
    pub(crate) fn spent(&self, name: &str) -> Unknown {
        Unknown::new(format!(
            "`{name}` here builds more text than palisade works out ({} MiB for the template's intrinsic functions)",
            MAX_BUILT_TEXT >> 20
        ))
    }

    /// True when `bytes` more of built text fit in what is left of [`MAX_BUILT_TEXT`].
    pub(crate) fn can_build(&self, bytes: usize) -> bool {
        bytes <= self.text_left.get()
    }

    fn intrinsic_value(&self, name: &str, arg: &'t Node, node: &'t Node, at: Seg<'_>) -> Vs<'t> {
        let span = node.span;
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target, span),
                None => unknown("`Ref` needs the name of a parameter or resource", span),
            },
            "Fn::GetAtt" => match get_att_args(arg) {
                Some((res, attr)) => self.get_att(res, attr, span),
                None => unknown("`Fn::GetAtt` needs a resource and an attribute name", span),
            },
            "Fn::If" => self.fn_if(arg, span, at),
            "Fn::Sub" => self.fn_sub(arg, span, at),
            "Fn::Join" => self.fn_join(arg, span, at),
            "Fn::Select" => self.fn_select(arg, span, at),
            "Fn::Split" => self.fn_split(arg, span, at),
            "Fn::FindInMap" => self.fn_find_in_map(arg, span, at),
            "Condition" | "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => self
                .eval_condition(node)
                .into_iter()
                .map(|v| {
                    v.map(|b| RNode {
                        val: RVal::Bool(b),
                        span,
                    })
                })
                .collect(),
            _ => unknown(
                format!("`{}` is only known at deploy time", describe(name, arg)),
                span,
            ),
        }
    }

    /// `!Ref name`.
    pub fn reference(&self, name: &str, span: Span) -> Vs<'t> {
        if name == "AWS::NoValue" {
            return one(RVal::NoValue, span);
        }
        if let Some(domain) = self.domains.get(name) {
            return self.parameter(name, domain, span);
        }
        if self.resource_type(name).is_some()
            || self.resources.is_some_and(|r| r.get(name).is_some())
        {
            return one(
                RVal::Resource {
                    id: Str::from(name),
                    attr: None,
                },
                span,
            );
        }
        unknown(
            format!("`{name}` is neither a parameter nor a resource of this template"),
            span,
        )
    }

    fn parameter(&self, name: &str, domain: &Domain, span: Span) -> Vs<'t> {
        if domain.candidates.len() > self.bound {
            return unknown(
                format!(
                    "parameter `{name}` has {} possible values ({})",
                    domain.candidates.len(),
                    too_many(self.bound)
                ),
                span,
            );
        }
        let bytes = domain
            .candidates
            .iter()
            .map(|(candidate, _)| match candidate {
                Candidate::Text(s) => s.len(),
                Candidate::List(items) => items.iter().map(|s| s.len()).sum(),
                _ => 0,
            })
            .fold(0, usize::saturating_add);
        if bytes > LONG_TEXT && !self.can_build(bytes) {
            return one(RVal::Unknown(self.spent("Ref")), span);
        }
        let record = !domain.supplied
            && !matches!(domain.candidates.as_slice(), [(Candidate::Unknown(_), _)]);
        domain
            .candidates
            .iter()
            .enumerate()
            .map(|(i, (candidate, _))| {
                let when = if record {
                    Assumptions::param(name, u16::try_from(i).unwrap_or(u16::MAX))
                } else {
                    Assumptions::none()
                };
                let val = match candidate {
                    Candidate::Text(s) => string_value(s),
                    Candidate::Number(Value::Int(i)) => RVal::Int(*i),
                    Candidate::Number(Value::Float(f)) => RVal::Float(*f),
                    Candidate::Number(_) => RVal::Null,
                    Candidate::List(items) => RVal::List(
                        items
                            .iter()
                            .map(|s| RNode {
                                val: string_value(s),
                                span,
                            })
                            .collect(),
                    ),
                    Candidate::Unknown(u) => RVal::Unknown(u.clone()),
                };
                Variant::new(RNode { val, span }, when)
            })
            .collect()
    }

    /// `!GetAtt res.attr`.
    pub fn get_att(&self, res: &str, attr: &str, span: Span) -> Vs<'t> {
        let Some(ty) = self.resource_type(res) else {
            return unknown(
                format!("`!GetAtt {res}.{attr}` names no resource of this template"),
                span,
            );
        };
        let typed = |attr: &str| {
            one(
                RVal::Resource {
                    id: Str::from(res),
                    attr: Some(Str::from(attr)),
                },
                span,
            )
        };
        match (ty, attr) {
            (SECURITY_GROUP, "GroupId" | "GroupName") => typed(attr),
            (VPC, "DefaultSecurityGroup") => typed(attr),
            (PREFIX_LIST, "PrefixListId") => typed(attr),
            (VPC, "CidrBlock") => self
                .vpc_cidr(res)
                .iter()
                .map(|v| {
                    Variant::new(
                        RNode {
                            val: RVal::VpcCidr {
                                vpc: Str::from(res),
                                cidr: v.value.clone(),
                            },
                            span,
                        },
                        v.when.clone(),
                    )
                })
                .collect(),
            (VPC, "CidrBlockAssociations") => one(RVal::VpcCidrList(Str::from(res)), span),
            // A subnet's block is part of its VPC's: unknown, but never the internet.
            (SUBNET, "CidrBlock") => one(
                RVal::Unknown(Unknown {
                    reason: Str::from(format!(
                        "`!GetAtt {res}.CidrBlock` is only known at deploy time"
                    )),
                    hint: UnknownHint::BlockInVpc(Str::from(res)),
                }),
                span,
            ),
            _ => unknown(
                format!("`!GetAtt {res}.{attr}` is only known at deploy time"),
                span,
            ),
        }
    }

    /// The variants of a VPC's literal `CidrBlock` (`None` where it is not written in the
    /// template, e.g. allocated from an IPAM pool or imported).
    pub(crate) fn vpc_cidr(&self, vpc: &str) -> Rc<VpcCidrs> {
        if let Some(Cached::Done(found)) = self.vpc_cidrs.borrow().get(vpc) {
            return Rc::clone(found);
        }
        let unknown = || Rc::new(vec![Variant::always(None)]);
        if self.vpc_cidrs.borrow().contains_key(vpc) {
            return unknown();
        }
        self.vpc_cidrs
            .borrow_mut()
            .insert(Str::from(vpc), Cached::InProgress);
        let node = self
            .resources
            .and_then(|r| r.get(vpc))
            .and_then(|r| r.get("Properties"))
            .and_then(|p| p.get("CidrBlock"));
        let result = match node {
            Some(node) => Rc::new(
                self.resolve(node, Seg::Root)
                    .into_iter()
                    .map(|v| {
                        let cidr = match v.value.val {
                            RVal::Str(s) => Some(s),
                            _ => None,
                        };
                        Variant::new(cidr, v.when)
                    })
                    .collect(),
            ),
            None => unknown(),
        };
        self.vpc_cidrs
            .borrow_mut()
            .insert(Str::from(vpc), Cached::Done(Rc::clone(&result)));
        result
    }

    fn fn_if(&self, arg: &'t Node, span: Span, at: Seg<'_>) -> Vs<'t> {
        let (Some(name), Some(yes), Some(no)) = (
            arg.as_list().and_then(|l| l.first()).and_then(Node::as_str),
            arg.as_list().and_then(|l| l.get(1)),
            arg.as_list().and_then(|l| l.get(2)),
        ) else {
            return unknown("`Fn::If` needs a condition name and two values", span);
        };
        let mut out = Vec::new();
        // Each branch is resolved once, whatever the number of the condition's variants that
        // take it: nested `Fn::If`s would otherwise be resolved once per path through them.
        let mut branches: [Option<Vs<'t>>; 2] = [None, None];
        for cond in self.condition_literal(name) {
            let (branch, index) = if cond.value { (yes, 1) } else { (no, 2) };
            let Some(slot) = branches.get_mut(index - 1) else {
                continue;
            };
            let values = slot.get_or_insert_with(|| self.resolve(branch, at.index(index)));
            for v in values.iter() {
                if let Some(when) = cond.when.merge(&v.when) {
                    out.push(Variant::new(v.value.clone(), when));
                }
            }
            if out.len() > self.bound {
                return unknown(too_many(self.bound), span);
            }
        }
        if out.len() > self.bound {
            return unknown(too_many(self.bound), span);
        }
        out
    }

    /// Every consistent combination of a variant of `a` and one of `b`, through `f` (which
    /// may itself give several variants).
    pub(crate) fn combine2(
        &self,
        a: Vs<'t>,
        b: Vs<'t>,
        span: Span,
        mut f: impl FnMut(RNode<'t>, RNode<'t>) -> Vs<'t>,
    ) -> Vs<'t> {
        let mut out = Vec::new();
        for x in &a {
            for y in &b {
                let Some(when) = x.when.merge(&y.when) else {
                    continue;
                };
                for r in f(x.value.clone(), y.value.clone()) {
                    if let Some(w) = when.merge(&r.when) {
                        out.push(Variant::new(r.value, w));
                    }
                }
                if out.len() > self.bound {
                    return unknown(too_many(self.bound), span);
                }
            }
        }
        out
    }
}

/// `Fn::GetAtt` arguments: `[Res, Attr]` or `"Res.Attr"`.
pub(crate) fn get_att_args(arg: &Node) -> Option<(&str, &str)> {
    match &arg.value {
        Value::List(items) => match &items[..] {
            [res, attr] => Some((res.as_str()?, attr.as_str()?)),
            _ => None,
        },
        Value::String(s) => s.split_once('.'),
        _ => None,
    }
}

/// A short rendering of an intrinsic function for messages, e.g. `!ImportValue SharedCidr`.
pub(crate) fn describe(name: &str, arg: &Node) -> String {
    let tag = name.strip_prefix("Fn::").unwrap_or(name);
    match &arg.value {
        Value::String(s) => format!("!{tag} {s}"),
        Value::Int(i) => format!("!{tag} {i}"),
        _ => match arg.as_intrinsic() {
            Some((
                inner,
                Node {
                    value: Value::String(s),
                    ..
                },
            )) => {
                let inner = inner.strip_prefix("Fn::").unwrap_or(inner);
                format!("!{tag} !{inner} {s}")
            }
            _ => format!("!{tag} …"),
        },
    }
}
