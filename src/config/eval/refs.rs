//! A static walk over an expression before it is evaluated: which variables,
//! locals, module outputs and functions it uses, and where. This is what
//! gives undefined references and unknown functions an exact location,
//! orders locals and module calls by their dependencies, and marks values
//! derived from sensitive variables.

use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ForExpr, FuncCall, Traversal, TraversalOperator};
use hcl_edit::template::ForTemplateExpr;
use hcl_edit::visit::{self, Visit};

/// The namespaces a configuration can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespace {
    Var,
    Local,
    /// `module.NAME.OUTPUT`: an output of a module called from the same
    /// configuration directory.
    Module,
}

impl Namespace {
    pub fn prefix(self) -> &'static str {
        match self {
            Namespace::Var => "var",
            Namespace::Local => "local",
            Namespace::Module => "module",
        }
    }
}

/// `var.NAME`, `local.NAME` or `module.NAME[.OUTPUT]`, with the span of the
/// whole reference (the output included).
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub namespace: Namespace,
    pub name: String,
    /// The attribute after the name: for modules, the output read.
    pub attribute: Option<String>,
    pub span: Option<Range<usize>>,
}

/// A function call, by name.
#[derive(Debug, Clone)]
pub(crate) struct FuncUse {
    pub name: String,
    pub span: Option<Range<usize>>,
}

/// Something that can never evaluate, found without evaluating.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub message: String,
    pub hint: Option<String>,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Default)]
pub(crate) struct Uses {
    pub references: Vec<Reference>,
    pub functions: Vec<FuncUse>,
    pub problems: Vec<Problem>,
}

/// Everything `expr` refers to, in source order.
pub(crate) fn collect(expr: &Expression) -> Uses {
    let mut walker = Walker {
        uses: Uses::default(),
        bound: Vec::new(),
    };
    walker.visit_expr(expr);
    walker.uses
}

struct Walker {
    uses: Uses,
    /// Names bound by enclosing `for` expressions and directives.
    bound: Vec<String>,
}

const REFERENCE_HINT: &str = "refer to variables as var.NAME, to locals as local.NAME and to module outputs as module.NAME.OUTPUT";

impl Walker {
    fn problem(&mut self, span: Option<Range<usize>>, message: String, hint: Option<&str>) {
        self.uses.problems.push(Problem {
            message,
            hint: hint.map(str::to_string),
            span,
        });
    }

    fn namespace(name: &str) -> Option<Namespace> {
        match name {
            "var" => Some(Namespace::Var),
            "local" => Some(Namespace::Local),
            "module" => Some(Namespace::Module),
            _ => None,
        }
    }

    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|bound| bound == name)
    }

    /// Runs `f` with the names of a `for` bound.
    fn with_bound(&mut self, names: Vec<String>, f: impl FnOnce(&mut Self)) {
        let depth = self.bound.len();
        self.bound.extend(names);
        f(self);
        self.bound.truncate(depth);
    }
}

impl Visit for Walker {
    fn visit_expr(&mut self, expr: &Expression) {
        if let Expression::Variable(ident) = expr {
            let name = ident.as_str();
            if self.is_bound(name) {
                return;
            }
            let message = match Self::namespace(name) {
                Some(_) => {
                    format!("\"{name}\" must be followed by an attribute name, as in {name}.NAME")
                }
                None => format!("unknown name \"{name}\""),
            };
            self.problem(expr.span(), message, Some(REFERENCE_HINT));
            return;
        }
        visit::visit_expr(self, expr);
    }

    fn visit_traversal(&mut self, node: &Traversal) {
        let root = match &node.expr {
            Expression::Variable(ident) if !self.is_bound(ident.as_str()) => {
                Self::namespace(ident.as_str())
            }
            _ => None,
        };
        let Some(namespace) = root else {
            visit::visit_traversal(self, node);
            return;
        };
        let mut operators = node.operators.iter();
        match operators.next().map(|op| op.value()) {
            Some(TraversalOperator::GetAttr(name)) => {
                let mut last = 0;
                let mut attribute = None;
                if namespace == Namespace::Module
                    && let Some(TraversalOperator::GetAttr(output)) =
                        node.operators.get(1).map(|op| op.value())
                {
                    attribute = Some(output.as_str().to_string());
                    last = 1;
                    operators.next();
                }
                let start = node.expr.span().map(|span| span.start);
                let end = node.operators[last].span().map(|span| span.end);
                self.uses.references.push(Reference {
                    namespace,
                    name: name.as_str().to_string(),
                    attribute,
                    span: start.zip(end).map(|(start, end)| start..end),
                });
            }
            _ => {
                let prefix = namespace.prefix();
                self.problem(
                    node.expr.span(),
                    format!(
                        "\"{prefix}\" must be followed by an attribute name, as in {prefix}.NAME"
                    ),
                    Some(REFERENCE_HINT),
                );
            }
        }
        for operator in operators {
            self.visit_traversal_operator(operator);
        }
    }

    fn visit_func_call(&mut self, node: &FuncCall) {
        if node.name.is_namespaced() {
            self.problem(
                node.span(),
                format!("unknown function \"{}\"", node.name.name.as_str()),
                Some("namespaced functions are not supported"),
            );
        } else {
            self.uses.functions.push(FuncUse {
                name: node.name.name.as_str().to_string(),
                span: node.span(),
            });
        }
        visit::visit_func_args(self, &node.args);
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        self.visit_expr(&node.intro.collection_expr);
        let mut names = vec![node.intro.value_var.as_str().to_string()];
        names.extend(
            node.intro
                .key_var
                .as_ref()
                .map(|key| key.as_str().to_string()),
        );
        self.with_bound(names, |walker| {
            if let Some(key_expr) = &node.key_expr {
                walker.visit_expr(key_expr);
            }
            walker.visit_expr(&node.value_expr);
            if let Some(cond) = &node.cond {
                walker.visit_expr(&cond.expr);
            }
        });
    }

    fn visit_for_template_expr(&mut self, node: &ForTemplateExpr) {
        self.visit_expr(&node.collection_expr);
        let mut names = vec![node.value_var.as_str().to_string()];
        names.extend(node.key_var.as_ref().map(|key| key.as_str().to_string()));
        self.with_bound(names, |walker| walker.visit_template(&node.template));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(src: &str) -> Uses {
        collect(&hcl_edit::parser::parse_expr(src).unwrap())
    }

    fn names(uses: &Uses) -> Vec<String> {
        uses.references
            .iter()
            .map(|r| format!("{}.{}", r.namespace.prefix(), r.name))
            .collect()
    }

    #[test]
    fn finds_references_with_spans() {
        let found = uses(r#"upper("${var.a}-${local.b.c}") == var.d[0]"#);
        assert_eq!(names(&found), ["var.a", "local.b", "var.d"]);
        assert_eq!(found.references[0].span, Some(9..14));
        assert_eq!(found.references[1].span, Some(18..25));
        assert_eq!(found.functions[0].name, "upper");
        assert!(found.problems.is_empty());
    }

    #[test]
    fn module_references_name_the_output() {
        let found = uses(r#""${module.app.role}-${module.db}" == local.x"#);
        assert_eq!(names(&found), ["module.app", "module.db", "local.x"]);
        assert_eq!(found.references[0].attribute.as_deref(), Some("role"));
        assert_eq!(found.references[0].span, Some(3..18));
        assert_eq!(found.references[1].attribute, None);
        let found = uses("module");
        assert_eq!(
            found.problems[0].message,
            "\"module\" must be followed by an attribute name, as in module.NAME"
        );
    }

    #[test]
    fn for_expressions_bind_names() {
        let found = uses("[for k, v in var.m : upper(v) if k != local.skip]");
        assert_eq!(names(&found), ["var.m", "local.skip"]);
        assert!(found.problems.is_empty());
        let found = uses(r#""%{for x in var.l}${x}%{endfor}""#);
        assert_eq!(names(&found), ["var.l"]);
        assert!(found.problems.is_empty());
    }

    #[test]
    fn reports_bare_and_unknown_names() {
        let found = uses("foo");
        assert_eq!(found.problems[0].message, "unknown name \"foo\"");
        let found = uses("[var]");
        assert_eq!(
            found.problems[0].message,
            "\"var\" must be followed by an attribute name, as in var.NAME"
        );
        assert_eq!(found.problems[0].span, Some(1..4));
        let found = uses("local[0]");
        assert_eq!(found.problems.len(), 1);
    }
}
