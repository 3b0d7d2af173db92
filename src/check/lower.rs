//! AST → IR: names resolved through scopes, type blocks desugared, literals typed.

use std::collections::HashMap;
use std::sync::Arc;

mod calls;

use super::functions::Func;
use super::ir::*;
use super::overrides::{self, ParamOverride};
use super::scope::{Scopes, suggest};
use super::{annotations, default_rule_names, deps, error};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};
use crate::syntax::ast;

/// What is known of a rule before its body is lowered.
struct RuleDecl {
    name: String,
    file: FileId,
    name_span: Span,
    /// Number of parameters for a parameterized rule.
    params: Option<usize>,
}

struct Checker<'a> {
    diags: &'a mut Diagnostics,
    files: Vec<Arc<SourceFile>>,
    vars: Vec<Var>,
    decls: Vec<RuleDecl>,
    rule_ids: HashMap<String, RuleId>,
    /// Rules each rule refers to, with the span of the reference.
    deps: Vec<Vec<(RuleId, Span)>>,
    scopes: Scopes,
    file: FileId,
    /// The rule being lowered.
    current: Option<RuleId>,
    /// One flag per enclosing filter: whether its body used `keys`.
    filters: Vec<bool>,
}

/// Lowers parsed files into a program; problems go to `diags`.
pub(super) fn lower_program(
    files: &[(Arc<SourceFile>, ast::PolicyFile)],
    overrides: &[ParamOverride],
    diags: &mut Diagnostics,
) -> Program {
    let mut cx = Checker {
        diags,
        files: files.iter().map(|(f, _)| Arc::clone(f)).collect(),
        vars: Vec::new(),
        decls: Vec::new(),
        rule_ids: HashMap::new(),
        deps: Vec::new(),
        scopes: Scopes::default(),
        file: FileId(0),
        current: None,
        filters: Vec::new(),
    };
    let defaults = default_rule_names(files);
    cx.declare_rules(files, &defaults);
    let mut rules: Vec<Option<Rule>> = (0..cx.decls.len()).map(|_| None).collect();
    let mut used_overrides = vec![false; overrides.len()];
    for (index, (file, tree)) in files.iter().enumerate() {
        cx.file = FileId(index as u32);
        cx.scopes = Scopes::default();
        cx.scopes.push();
        cx.declare_roots();
        cx.scopes.push();
        cx.declare_params(file, tree, overrides, &mut used_overrides);
        cx.declare_file_lets(tree);
        for item in &tree.items {
            if let ast::Item::Rule(decl) = item {
                if let Some(&id) = cx.rule_ids.get(&decl.name.text) {
                    if cx
                        .decls
                        .get(id.0 as usize)
                        .is_some_and(|d| d.name_span == decl.name.span && d.file == cx.file)
                    {
                        let rule = cx.lower_rule(id, decl);
                        if let Some(slot) = rules.get_mut(id.0 as usize) {
                            *slot = Some(rule);
                        }
                    }
                }
            }
        }
        if let Some(name) = defaults.get(&index) {
            if let Some(&id) = cx.rule_ids.get(name) {
                let rule = cx.lower_default_rule(id, name, tree);
                if let Some(slot) = rules.get_mut(id.0 as usize) {
                    *slot = Some(rule);
                }
            }
        }
    }
    let mut params: Vec<String> = cx
        .vars
        .iter()
        .filter(|v| matches!(v.kind, VarKind::Param(_)))
        .map(|v| v.name.clone())
        .collect();
    params.sort();
    params.dedup();
    overrides::report_unused(overrides, &used_overrides, &params, cx.diags);
    let rules: Vec<Rule> = rules.into_iter().flatten().collect();
    annotations::check_unique_ids(&rules, &cx.files, cx.diags);
    let order = deps::order(&rules, &cx.deps, &cx.files, cx.diags);
    let deps = cx
        .deps
        .iter()
        .map(|d| d.iter().map(|(id, _)| *id).collect())
        .collect();
    Program {
        files: cx.files,
        rules,
        vars: cx.vars,
        order,
        deps,
    }
}

impl Checker<'_> {
    fn source(&self) -> Arc<SourceFile> {
        self.files
            .get(self.file.0 as usize)
            .cloned()
            .unwrap_or_else(|| Arc::new(SourceFile::new("", "")))
    }

    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn err(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        error(code, &self.source(), span, message)
    }

    /// Assigns ids to every rule name (duplicates are errors; the first one wins).
    fn declare_rules(
        &mut self,
        files: &[(Arc<SourceFile>, ast::PolicyFile)],
        defaults: &HashMap<usize, String>,
    ) {
        for (index, (file, tree)) in files.iter().enumerate() {
            self.file = FileId(index as u32);
            for item in &tree.items {
                if let ast::Item::Rule(decl) = item {
                    self.declare_rule(
                        file,
                        &decl.name.text,
                        decl.name.span,
                        decl.params.as_ref().map(Vec::len),
                    );
                }
            }
            if let Some(name) = defaults.get(&index) {
                let span = tree
                    .items
                    .iter()
                    .find_map(|i| match i {
                        ast::Item::Statement(s) => Some(s.span),
                        _ => None,
                    })
                    .unwrap_or_default();
                self.declare_rule(file, name, span, None);
            }
        }
    }

    fn declare_rule(
        &mut self,
        file: &Arc<SourceFile>,
        name: &str,
        span: Span,
        params: Option<usize>,
    ) {
        if let Some(&existing) = self.rule_ids.get(name) {
            let mut d = error(
                Code::DuplicateRule,
                file,
                span,
                format!("rule `{name}` is defined twice"),
            )
            .with_label("second definition")
            .with_help("rename one of the rules; rule names are shared by all loaded policy files");
            if let Some(first) = self.decls.get(existing.0 as usize) {
                let first_file = self
                    .files
                    .get(first.file.0 as usize)
                    .map(|f| f.name().to_string());
                if first_file.as_deref() == Some(file.name()) {
                    d = d.with_related(first.name_span, "first defined here");
                } else {
                    let at = self
                        .files
                        .get(first.file.0 as usize)
                        .map(|f| format!("{}:{}", f.name(), f.position(first.name_span.start)))
                        .unwrap_or_default();
                    d.message = format!("rule `{name}` is defined twice (first in {at})");
                }
            }
            self.diags.push(d);
            return;
        }
        let id = RuleId(self.decls.len() as u32);
        self.rule_ids.insert(name.to_string(), id);
        self.decls.push(RuleDecl {
            name: name.to_string(),
            file: self.file,
            name_span: span,
            params,
        });
        self.deps.push(Vec::new());
    }

    fn new_var(&mut self, name: &ast::Name, kind: VarKind) -> VarId {
        let id = VarId(self.vars.len() as u32);
        self.vars.push(Var {
            name: name.text.clone(),
            span: name.span,
            file: self.file,
            kind,
        });
        id
    }

    /// Adds a variable to the innermost scope; a second definition in the same scope is an error.
    fn define(&mut self, name: &ast::Name, id: VarId) {
        if let Some(previous) = self.scopes.define(&name.text, id) {
            let first = self.vars.get(previous.0 as usize).map(|v| v.span);
            let mut d = self
                .err(
                    Code::DuplicateVariable,
                    name.span,
                    format!("`{}` is defined twice in the same scope", name.text),
                )
                .with_label("second definition")
                .with_help("rename one of them, or remove the one that is not needed");
            if let Some(first) = first {
                d = d.with_related(first, "first defined here");
            }
            self.report(d);
        }
    }

    /// The built-in `%rules`, `%security_groups`, … in a scope of their own, so that a file
    /// may define its own variables of the same names.
    fn declare_roots(&mut self) {
        for root in ROOT_VARIABLES {
            let name = ast::Name {
                text: root.to_string(),
                span: Span::default(),
            };
            let id = self.new_var(&name, VarKind::Root(root));
            self.define(&name, id);
        }
    }

    fn declare_params(
        &mut self,
        file: &Arc<SourceFile>,
        tree: &ast::PolicyFile,
        overrides: &[ParamOverride],
        used: &mut [bool],
    ) {
        for item in &tree.items {
            let ast::Item::Param(p) = item else { continue };
            let mut value = self.literal(&p.value);
            for (i, o) in overrides.iter().enumerate() {
                if o.name != p.name.text {
                    continue;
                }
                if let Some(flag) = used.get_mut(i) {
                    *flag = true;
                }
                match overrides::convert(&value, &o.value) {
                    Ok(v) => value = v,
                    Err(why) => {
                        let d = overrides::wrong_type(o, &value, file, p.name.span, &why);
                        self.report(d);
                    }
                }
            }
            let id = self.new_var(&p.name, VarKind::Param(value));
            self.define(&p.name, id);
        }
    }

    /// File-level `let`s, in order: each may use params and the `let`s before it.
    fn declare_file_lets(&mut self, tree: &ast::PolicyFile) {
        for item in &tree.items {
            let ast::Item::Let(l) = item else { continue };
            let value = self.expr(&l.value);
            let id = self.new_var(&l.name, VarKind::FileLet(value));
            self.define(&l.name, id);
        }
    }

    fn lower_rule(&mut self, id: RuleId, decl: &ast::RuleDecl) -> Rule {
        self.current = Some(id);
        let meta = annotations::lower(
            &decl.annotations,
            &decl.name.text,
            &self.source(),
            self.diags,
        );
        if let (Some(_), Some(first)) = (&decl.params, decl.annotations.first()) {
            let d = self
                .err(
                    Code::InvalidAnnotation,
                    first.span,
                    format!(
                        "`{}` takes parameters, so it is never reported by itself: its annotations are not used",
                        decl.name.text
                    ),
                )
                .warning()
                .with_help("annotate the rules that call it; their findings carry their own id and severity");
            self.report(d);
        }
        self.scopes.push();
        let mut params = Vec::new();
        if let Some(names) = &decl.params {
            for name in names {
                let var = self.new_var(name, VarKind::RuleParam);
                self.define(name, var);
                params.push(var);
            }
        }
        let when = decl
            .when
            .as_ref()
            .map(|c| self.condition(c, decl.name.span));
        let body = self.block(&decl.body.items, decl.body.span);
        self.scopes.pop();
        self.current = None;
        Rule {
            name: decl.name.text.clone(),
            file: self.file,
            name_span: decl.name.span,
            meta,
            parameterized: decl.params.is_some(),
            params,
            when,
            body,
        }
    }

    fn lower_default_rule(&mut self, id: RuleId, name: &str, tree: &ast::PolicyFile) -> Rule {
        self.current = Some(id);
        let statements: Vec<ast::BlockItem> = tree
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Statement(s) => Some(ast::BlockItem::Statement(s.clone())),
                _ => None,
            })
            .collect();
        let span = statements
            .iter()
            .filter_map(|s| match s {
                ast::BlockItem::Statement(s) => Some(s.span),
                ast::BlockItem::Let(_) => None,
            })
            .reduce(Span::join)
            .unwrap_or_default();
        let body = self.block(&statements, span);
        self.current = None;
        Rule {
            name: name.to_string(),
            file: self.file,
            name_span: span,
            meta: annotations::lower(&[], name, &self.source(), self.diags),
            parameterized: false,
            params: Vec::new(),
            when: None,
            body,
        }
    }

    fn condition(&mut self, statements: &[ast::Statement], span: Span) -> Body {
        let items = statements
            .iter()
            .map(|s| BodyItem::Disjunction(self.terms(&s.terms)))
            .collect();
        let span = statements
            .iter()
            .map(|s| s.span)
            .reduce(Span::join)
            .unwrap_or(span);
        Body { items, span }
    }

    fn block(&mut self, items: &[ast::BlockItem], span: Span) -> Body {
        self.scopes.push();
        let mut out = Vec::new();
        for item in items {
            match item {
                ast::BlockItem::Let(l) => {
                    let value = self.expr(&l.value);
                    let id = self.new_var(&l.name, VarKind::Local);
                    self.define(&l.name, id);
                    out.push(BodyItem::Let(id, value));
                }
                ast::BlockItem::Statement(s) => {
                    out.push(BodyItem::Disjunction(self.terms(&s.terms)));
                }
            }
        }
        self.scopes.pop();
        Body { items: out, span }
    }

    fn terms(&mut self, terms: &[ast::Term]) -> Vec<Term> {
        terms.iter().map(|t| self.term(t)).collect()
    }

    fn term(&mut self, term: &ast::Term) -> Term {
        let mut negated = term.negated;
        let kind = match &term.body {
            ast::TermBody::Group(b) => TermKind::Group(self.block(&b.items, b.span)),
            ast::TermBody::When { condition, body } => TermKind::When {
                condition: self.condition(condition, term.span),
                body: self.block(&body.items, body.span),
            },
            ast::TermBody::TypeBlock {
                type_name,
                condition,
                body,
            } => TermKind::Each {
                query: type_query(type_name),
                condition: condition
                    .as_ref()
                    .map(|c| self.condition(c, type_name.span)),
                body: self.block(&body.items, body.span),
            },
            ast::TermBody::QueryBlock { query, body } => TermKind::Each {
                query: self.query(query),
                condition: None,
                body: self.block(&body.items, body.span),
            },
            ast::TermBody::Clause(c) => {
                let clause = self.clause(c, negated);
                negated = false;
                TermKind::Clause(clause)
            }
            ast::TermBody::RuleCall { name, args } => self.rule_call(name, args.as_deref()),
        };
        let message = term.message.as_ref().map(|m| self.message(m));
        Term {
            negated,
            kind,
            message,
            span: term.span,
        }
    }

    fn rule_call(&mut self, name: &ast::Name, args: Option<&[ast::Operand]>) -> TermKind {
        let empty = TermKind::Group(Body {
            items: Vec::new(),
            span: name.span,
        });
        let Some(&id) = self.rule_ids.get(&name.text) else {
            let mut known: Vec<String> = self.decls.iter().map(|d| d.name.clone()).collect();
            known.sort();
            let mut help = suggest(&name.text, &known, "rules", "");
            if Func::lookup(&name.text).is_some() {
                help = format!(
                    "`{}` is a function; compare its result, e.g. `{}(…) > 0`",
                    name.text, name.text
                );
            } else if args.is_none() {
                help.push_str("; a clause that is a bare name refers to a rule; to test a key, add an operator such as `EXISTS`");
            }
            let d = self
                .err(
                    Code::UndefinedRule,
                    name.span,
                    format!("undefined rule `{}`", name.text),
                )
                .with_label("no rule has this name")
                .with_help(help);
            self.report(d);
            return empty;
        };
        if let (Some(current), Some(deps)) = (
            self.current,
            self.current.and_then(|c| self.deps.get_mut(c.0 as usize)),
        ) {
            let _ = current;
            deps.push((id, name.span));
        }
        let expected = self.decls.get(id.0 as usize).and_then(|d| d.params);
        match (expected, args) {
            (None, None) => TermKind::RuleRef(id),
            (Some(n), Some(args)) if n == args.len() => TermKind::RuleCall {
                rule: id,
                args: args.iter().map(|a| self.expr(a)).collect(),
            },
            (Some(n), Some(args)) => {
                let d = self
                    .err(
                        Code::WrongArity,
                        name.span,
                        format!(
                            "rule `{}` takes {n} argument{}, got {}",
                            name.text,
                            plural(n),
                            args.len()
                        ),
                    )
                    .with_label("called here")
                    .with_help(format!("pass exactly {n} argument{}", plural(n)));
                self.report(d);
                empty
            }
            (Some(n), None) => {
                let d = self
                    .err(
                        Code::InvalidRuleUse,
                        name.span,
                        format!(
                            "rule `{}` has parameters and must be called with arguments",
                            name.text
                        ),
                    )
                    .with_label("used without arguments")
                    .with_help(format!(
                        "call it with {n} argument{}: `{}(…)`",
                        plural(n),
                        name.text
                    ));
                self.report(d);
                empty
            }
            (None, Some(_)) => {
                let d = self
                    .err(
                        Code::InvalidRuleUse,
                        name.span,
                        format!("rule `{}` has no parameters", name.text),
                    )
                    .with_label("called with arguments")
                    .with_help(format!("refer to it by name alone: `{}`", name.text));
                self.report(d);
                empty
            }
        }
    }

    fn clause(&mut self, clause: &ast::Clause, negated_term: bool) -> Clause {
        let lhs = self.expr(&clause.lhs);
        let op = match &clause.op {
            ast::ClauseOp::Unary { negated, op, .. } => ClauseOp::Unary {
                negated: *negated != negated_term,
                op: *op,
            },
            ast::ClauseOp::Binary {
                negated,
                op,
                rhs,
                span,
            } => {
                let (op, negated) = match op {
                    ast::BinaryOp::Ne => (BinaryOp::Eq, !*negated),
                    other => (*other, *negated),
                };
                let rhs = self.expr(rhs);
                self.check_rhs(op, &rhs, *span);
                ClauseOp::Binary {
                    negated: negated != negated_term,
                    op,
                    rhs,
                }
            }
        };
        Clause {
            lhs,
            op,
            span: clause.span,
        }
    }

    fn expr(&mut self, operand: &ast::Operand) -> Expr {
        match operand {
            ast::Operand::Query(q) => Expr::Query(self.query(q)),
            ast::Operand::Literal(l) => Expr::Lit(self.literal(l), l.span),
            ast::Operand::Call(c) => self.call(c),
        }
    }

    fn query(&mut self, query: &ast::Query) -> Query {
        let head = match &query.head {
            ast::QueryHead::Variable(name) => Head::Var(self.lookup_var(name)),
            ast::QueryHead::This => Head::This,
            ast::QueryHead::Keys => {
                match self.filters.last_mut() {
                    Some(used) => *used = true,
                    None => {
                        let d = self
                            .err(
                                Code::TypeMismatch,
                                query.span,
                                "`keys` is only meaningful inside a filter",
                            )
                            .with_label("not inside `[ … ]`")
                            .with_help(
                                "filter a map by its keys with `Resources[ keys == /^Web/ ]`",
                            );
                        self.report(d);
                    }
                }
                Head::Keys
            }
            ast::QueryHead::Key(name) => Head::Key(name.text.clone()),
        };
        let mut after_key = matches!(query.head, ast::QueryHead::Key(_));
        let steps = query
            .steps
            .iter()
            .map(|step| {
                let by_name = after_key;
                after_key = matches!(step, ast::Step::Key(_) | ast::Step::VariableKey(_));
                (step, by_name)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(step, by_name)| match step {
                ast::Step::Key(k) => QueryStep::Key(k.text.clone()),
                ast::Step::AllValues => QueryStep::AllValues,
                ast::Step::AllItems => QueryStep::AllItems,
                ast::Step::Index(i) => QueryStep::Index(*i),
                ast::Step::VariableKey(name) => QueryStep::VarKey(self.lookup_var(name)),
                ast::Step::Filter {
                    capture,
                    body: block,
                } => {
                    self.filters.push(false);
                    self.scopes.push();
                    let capture = capture.as_ref().map(|name| {
                        let id = self.new_var(name, VarKind::Local);
                        self.define(name, id);
                        id
                    });
                    let body = self.block(&block.items, block.span);
                    self.scopes.pop();
                    let by_key = self.filters.pop().unwrap_or(false);
                    QueryStep::Filter {
                        body,
                        per_entry: by_key || by_name || capture.is_some(),
                        capture,
                    }
                }
            })
            .collect();
        Query {
            some: query.some,
            head,
            steps,
            span: query.span,
        }
    }

    fn lookup_var(&mut self, name: &ast::Name) -> VarId {
        if let Some(id) = self.scopes.lookup(&name.text) {
            return id;
        }
        let mut help = suggest(&name.text, &self.scopes.names(), "variables in scope", "%");
        help.push_str("; define one with `let name = …` before using it, or declare `param name = …` at the top of the file");
        let d = self
            .err(
                Code::UndefinedVariable,
                name.span,
                format!("undefined variable `%{}`", name.text),
            )
            .with_label("not defined here")
            .with_help(help);
        self.report(d);
        // A placeholder that evaluates to nothing; the program is not run after errors.
        self.new_var(name, VarKind::Local)
    }

    fn message(&mut self, message: &ast::Message) -> Message {
        let parts = message
            .parts
            .iter()
            .map(|p| match p {
                ast::MessagePart::Text(t) => MessagePart::Text(t.clone()),
                ast::MessagePart::Query(q) => MessagePart::Query(self.query(q)),
            })
            .collect();
        Message { parts }
    }

    fn literal(&mut self, literal: &ast::Literal) -> Lit {
        lower_literal(literal)
    }
}

/// A literal as a typed value (problems with literals were reported by the syntax phase).
pub(super) fn lower_literal(literal: &ast::Literal) -> Lit {
    match &literal.value {
        ast::LiteralValue::Null => Lit::Null,
        ast::LiteralValue::Bool(b) => Lit::Bool(*b),
        ast::LiteralValue::Int(i) => Lit::Int(*i),
        ast::LiteralValue::Float(f) => Lit::Float(*f),
        ast::LiteralValue::String(s) => Lit::String(s.clone()),
        ast::LiteralValue::Regex(r) => match regex::Regex::new(r) {
            Ok(re) => Lit::Regex(Arc::new(re)),
            Err(_) => Lit::Null,
        },
        ast::LiteralValue::Cidr(c) => match c.parse() {
            Ok(net) => Lit::Cidr(net),
            Err(_) => Lit::Null,
        },
        ast::LiteralValue::Range(r) => Lit::Range(*r),
        ast::LiteralValue::List(items) => Lit::List(items.iter().map(lower_literal).collect()),
        ast::LiteralValue::Map(entries) => Lit::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), lower_literal(v)))
                .collect(),
        ),
    }
}

/// `Resources.*[ Type == "AWS::X::Y" ]`, queried from the template root wherever it stands.
fn type_query(type_name: &ast::Name) -> Query {
    let span = type_name.span;
    let condition = Term {
        negated: false,
        kind: TermKind::Clause(Clause {
            lhs: Expr::Query(Query {
                some: false,
                head: Head::Key("Type".to_string()),
                steps: Vec::new(),
                span,
            }),
            op: ClauseOp::Binary {
                negated: false,
                op: BinaryOp::Eq,
                rhs: Expr::Lit(Lit::String(type_name.text.clone()), span),
            },
            span,
        }),
        message: None,
        span,
    };
    Query {
        some: false,
        head: Head::Root("Resources".to_string()),
        steps: vec![
            QueryStep::AllValues,
            QueryStep::Filter {
                body: Body {
                    items: vec![BodyItem::Disjunction(vec![condition])],
                    span,
                },
                per_entry: false,
                capture: None,
            },
        ],
        span,
    }
}

/// "a list of ints", "a CIDR", … for messages.
pub(super) fn describe_type(lit: &Lit) -> String {
    match lit {
        Lit::List(items) => {
            let mut kinds: Vec<&str> = items.iter().map(Lit::type_name).collect();
            kinds.sort_unstable();
            kinds.dedup();
            match kinds.as_slice() {
                [] => "an empty list".to_string(),
                [one] => format!("a list of {one}s"),
                _ => "a list".to_string(),
            }
        }
        Lit::Int(_) => "an int".to_string(),
        other => format!("a {}", other.type_name()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
