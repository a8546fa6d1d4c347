//! The filter tree: what a SQL or dict filter becomes once the engine has checked it, and the only
//! form in which filters are combined (with id lists, scopes, tombstones). It is rendered to SQL
//! text once, just before Lance is called, by [`Expr::to_sql`], which writes every identifier in
//! backticks and every value as a literal: the text always parses back to the same tree, so no
//! value, however it is spelled, can change the structure of the predicate around it.

use std::fmt::Write as _;

use crate::types::value::format_rfc3339_micros;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        }
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    fn sql(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

/// The functions a filter may call: each is cheap, total and bounded in the memory it uses (no
/// `repeat`, `lpad` or regular expressions, whose cost a filter's author could choose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    /// `array_has(list, value)`: the list holds the value.
    ArrayHas,
    /// `array_length(list)`.
    ArrayLength,
    /// `strpos(text, part)`: 1-based position of `part`, 0 when absent.
    Strpos,
    /// `starts_with(text, prefix)`, `ends_with(text, suffix)`.
    StartsWith,
    EndsWith,
    Lower,
    Upper,
    /// `length(text)` in characters (`char_length`, `character_length` are the same).
    Length,
    Abs,
}

impl Func {
    /// The function a (case-insensitive) name calls, if it is on the list.
    pub(crate) fn from_name(name: &str) -> Option<Func> {
        Some(match name.to_ascii_lowercase().as_str() {
            "array_has" | "array_contains" => Func::ArrayHas,
            "array_length" => Func::ArrayLength,
            "strpos" => Func::Strpos,
            "starts_with" => Func::StartsWith,
            "ends_with" => Func::EndsWith,
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "length" | "char_length" | "character_length" => Func::Length,
            "abs" => Func::Abs,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Func::ArrayHas => "array_has",
            Func::ArrayLength => "array_length",
            Func::Strpos => "strpos",
            Func::StartsWith => "starts_with",
            Func::EndsWith => "ends_with",
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Length => "char_length",
            Func::Abs => "abs",
        }
    }

    pub(crate) fn arity(self) -> usize {
        match self {
            Func::ArrayHas | Func::Strpos | Func::StartsWith | Func::EndsWith => 2,
            Func::ArrayLength | Func::Lower | Func::Upper | Func::Length | Func::Abs => 1,
        }
    }

    /// The names on the allow-list, for error messages and documentation.
    pub(crate) const NAMES: &'static str =
        "array_has (array_contains), array_length, strpos, starts_with, ends_with, lower, upper, length (char_length), abs";
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    /// Always finite.
    Float(f64),
    Str(String),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
}

/// A checked filter expression. `And` and `Or` are n-ary and never hold one of their own kind
/// directly (the constructors flatten), so the tree is canonical and shallow.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Column(String),
    Lit(Lit),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp { left: Box<Expr>, op: CmpOp, right: Box<Expr> },
    Arith { left: Box<Expr>, op: ArithOp, right: Box<Expr> },
    Neg(Box<Expr>),
    IsNull { expr: Box<Expr>, negated: bool },
    /// `expr IS [NOT] TRUE|FALSE`.
    IsBool { expr: Box<Expr>, value: bool, negated: bool },
    InList { expr: Box<Expr>, list: Vec<Expr>, negated: bool },
    Between { expr: Box<Expr>, low: Box<Expr>, high: Box<Expr>, negated: bool },
    Like { expr: Box<Expr>, pattern: Box<Expr>, negated: bool, case_insensitive: bool },
    Call { func: Func, args: Vec<Expr> },
}

/// Chains longer than this are rendered as parenthesised groups, so the tree Lance's parser builds
/// from our text stays shallow (its parser makes a left-deep node per `AND`/`OR`).
const CHAIN_GROUP: usize = 64;

impl Expr {
    pub(crate) fn column(name: &str) -> Expr {
        Expr::Column(name.to_owned())
    }

    pub(crate) fn str(s: &str) -> Expr {
        Expr::Lit(Lit::Str(s.to_owned()))
    }

    pub(crate) fn bool(b: bool) -> Expr {
        Expr::Lit(Lit::Bool(b))
    }

    pub(crate) fn int(i: i64) -> Expr {
        Expr::Lit(Lit::Int(i))
    }

    /// `column = value`.
    pub(crate) fn column_eq(name: &str, value: Expr) -> Expr {
        Expr::cmp(Expr::column(name), CmpOp::Eq, value)
    }

    /// `column IN (values…)`; one value is `column = value`, none is `FALSE`.
    pub(crate) fn column_in(name: &str, mut values: Vec<Expr>) -> Expr {
        match values.len() {
            0 => Expr::bool(false),
            1 => Expr::column_eq(name, values.pop().expect("one value")),
            _ => Expr::in_list(Expr::column(name), values, false),
        }
    }

    pub(crate) fn cmp(left: Expr, op: CmpOp, right: Expr) -> Expr {
        Expr::Cmp { left: Box::new(left), op, right: Box::new(right) }
    }

    pub(crate) fn is_null(expr: Expr, negated: bool) -> Expr {
        Expr::IsNull { expr: Box::new(expr), negated }
    }

    pub(crate) fn in_list(expr: Expr, list: Vec<Expr>, negated: bool) -> Expr {
        Expr::InList { expr: Box::new(expr), list, negated }
    }

    pub(crate) fn call(func: Func, args: Vec<Expr>) -> Expr {
        Expr::Call { func, args }
    }

    /// `-expr`; a number literal is negated in place, so `-(6)`, `-+6` and `-6` are one tree
    /// (the renderer writes a negative literal with its sign).
    pub(crate) fn neg(expr: Expr) -> Expr {
        match expr {
            Expr::Lit(Lit::Int(i)) if i != i64::MIN => Expr::Lit(Lit::Int(-i)),
            Expr::Lit(Lit::Float(f)) => Expr::Lit(Lit::Float(-f)),
            other => Expr::Neg(Box::new(other)),
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub(crate) fn not(expr: Expr) -> Expr {
        Expr::Not(Box::new(expr))
    }

    /// `id IN ('a', 'b', …)`.
    pub(crate) fn ids(ids: &[String]) -> Expr {
        Expr::in_list(Expr::column(crate::types::schema::ID), ids.iter().map(|id| Expr::str(id)).collect(), false)
    }

    /// The conjunction of `parts` (flattened; one part is itself). Empty: `TRUE`.
    pub(crate) fn all(parts: Vec<Expr>) -> Expr {
        Expr::chain(parts, true)
    }

    /// The disjunction of `parts` (flattened; one part is itself). Empty: `FALSE`.
    pub(crate) fn any(parts: Vec<Expr>) -> Expr {
        Expr::chain(parts, false)
    }

    /// `self AND other`, flattened.
    pub(crate) fn and(self, other: Expr) -> Expr {
        Expr::all(vec![self, other])
    }

    fn chain(parts: Vec<Expr>, is_and: bool) -> Expr {
        let mut flat = Vec::with_capacity(parts.len());
        for p in parts {
            match (p, is_and) {
                (Expr::And(inner), true) | (Expr::Or(inner), false) => flat.extend(inner),
                (p, _) => flat.push(p),
            }
        }
        match flat.len() {
            0 => Expr::bool(is_and),
            1 => flat.pop().expect("one part"),
            _ if is_and => Expr::And(flat),
            _ => Expr::Or(flat),
        }
    }

    /// The depth of the tree (a leaf is 1). Recursive: callers hold trees whose depth the parsers
    /// bounded.
    pub(crate) fn depth(&self) -> usize {
        1 + self.children().map(Expr::depth).max().unwrap_or(0)
    }

    fn children(&self) -> Box<dyn Iterator<Item = &Expr> + '_> {
        match self {
            Expr::Column(_) | Expr::Lit(_) => Box::new(std::iter::empty()),
            Expr::Not(e) | Expr::Neg(e) | Expr::IsNull { expr: e, .. } | Expr::IsBool { expr: e, .. } => {
                Box::new(std::iter::once(e.as_ref()))
            }
            Expr::And(v) | Expr::Or(v) | Expr::Call { args: v, .. } => Box::new(v.iter()),
            Expr::Cmp { left, right, .. } | Expr::Arith { left, right, .. } => {
                Box::new([left.as_ref(), right.as_ref()].into_iter())
            }
            Expr::InList { expr, list, .. } => Box::new(std::iter::once(expr.as_ref()).chain(list.iter())),
            Expr::Between { expr, low, high, .. } => Box::new([expr.as_ref(), low.as_ref(), high.as_ref()].into_iter()),
            Expr::Like { expr, pattern, .. } => Box::new([expr.as_ref(), pattern.as_ref()].into_iter()),
        }
    }

    /// The SQL text Lance evaluates. Canonical: the filter parser reads it back as this tree.
    pub(crate) fn to_sql(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Expr::Column(name) => write_ident(out, name),
            Expr::Lit(lit) => write_lit(out, lit),
            Expr::Not(e) => {
                out.push_str("NOT ");
                e.write_operand(out, Prec::Not);
            }
            Expr::And(parts) => write_chain(out, parts, "AND", Prec::And),
            Expr::Or(parts) => write_chain(out, parts, "OR", Prec::Or),
            Expr::Cmp { left, op, right } => {
                left.write_operand(out, Prec::Arith);
                let _ = write!(out, " {} ", op.sql());
                right.write_operand(out, Prec::Arith);
            }
            Expr::Arith { left, op, right } => {
                left.write_operand(out, Prec::Atom);
                let _ = write!(out, " {} ", op.sql());
                right.write_operand(out, Prec::Atom);
            }
            Expr::Neg(e) => {
                out.push('-');
                e.write_operand(out, Prec::Atom);
            }
            Expr::IsNull { expr, negated } => {
                expr.write_operand(out, Prec::Arith);
                out.push_str(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Expr::IsBool { expr, value, negated } => {
                expr.write_operand(out, Prec::Arith);
                out.push_str(if *negated { " IS NOT " } else { " IS " });
                out.push_str(if *value { "TRUE" } else { "FALSE" });
            }
            Expr::InList { expr, list, negated } => {
                expr.write_operand(out, Prec::Arith);
                out.push_str(if *negated { " NOT IN (" } else { " IN (" });
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_operand(out, Prec::Arith);
                }
                out.push(')');
            }
            Expr::Between { expr, low, high, negated } => {
                expr.write_operand(out, Prec::Arith);
                out.push_str(if *negated { " NOT BETWEEN " } else { " BETWEEN " });
                low.write_operand(out, Prec::Arith);
                out.push_str(" AND ");
                high.write_operand(out, Prec::Arith);
            }
            Expr::Like { expr, pattern, negated, case_insensitive } => {
                expr.write_operand(out, Prec::Arith);
                out.push_str(match (negated, case_insensitive) {
                    (false, false) => " LIKE ",
                    (true, false) => " NOT LIKE ",
                    (false, true) => " ILIKE ",
                    (true, true) => " NOT ILIKE ",
                });
                pattern.write_operand(out, Prec::Arith);
            }
            Expr::Call { func, args } => {
                out.push_str(func.name());
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    a.write(out);
                }
                out.push(')');
            }
        }
    }

    /// Writes `self` where an operand binding at least as tightly as `min` is needed, in
    /// parentheses when it binds more loosely.
    fn write_operand(&self, out: &mut String, min: Prec) {
        if self.prec() < min {
            out.push('(');
            self.write(out);
            out.push(')');
        } else {
            self.write(out);
        }
    }

    fn prec(&self) -> Prec {
        match self {
            Expr::Or(_) => Prec::Or,
            Expr::And(_) => Prec::And,
            Expr::Not(_) => Prec::Not,
            Expr::Cmp { .. }
            | Expr::IsNull { .. }
            | Expr::IsBool { .. }
            | Expr::InList { .. }
            | Expr::Between { .. }
            | Expr::Like { .. } => Prec::Predicate,
            Expr::Arith { .. } | Expr::Neg(_) => Prec::Arith,
            // A negative number is written with its sign, which binds like a unary minus.
            Expr::Lit(Lit::Int(i)) if *i < 0 => Prec::Arith,
            Expr::Column(_) | Expr::Lit(_) | Expr::Call { .. } => Prec::Atom,
        }
    }
}

/// How tightly an expression binds, loosest first. Operands of a predicate must be arithmetic
/// or tighter, operands of arithmetic atoms: a conservative scheme that writes a few more
/// parentheses than SQL needs and never fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Or,
    And,
    Not,
    Predicate,
    Arith,
    Atom,
}

fn write_chain(out: &mut String, parts: &[Expr], op: &str, prec: Prec) {
    if parts.len() > CHAIN_GROUP {
        // Groups of at most CHAIN_GROUP, each parenthesised: depth O(log n) in Lance's parser.
        let group = parts.len().div_ceil(CHAIN_GROUP).max(CHAIN_GROUP);
        for (i, chunk) in parts.chunks(group).enumerate() {
            if i > 0 {
                let _ = write!(out, " {op} ");
            }
            if chunk.len() == 1 {
                chunk[0].write_operand(out, next_tighter(prec));
            } else {
                out.push('(');
                write_chain(out, chunk, op, prec);
                out.push(')');
            }
        }
        return;
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            let _ = write!(out, " {op} ");
        }
        p.write_operand(out, next_tighter(prec));
    }
}

/// Operands of `AND` must bind tighter than `AND` (an `OR` inside is parenthesised), likewise
/// for `OR` (an `AND` inside needs none, but the canonical tree never has an `OR` directly in an
/// `OR`).
fn next_tighter(p: Prec) -> Prec {
    match p {
        Prec::Or => Prec::And,
        Prec::And => Prec::Not,
        other => other,
    }
}

/// An identifier in backticks (Lance's quoting). Column names are identifiers the engine checked
/// (letters, digits and `_`), so there is nothing to escape; a backtick would be doubled.
fn write_ident(out: &mut String, name: &str) {
    out.push('`');
    out.push_str(&name.replace('`', "``"));
    out.push('`');
}

fn write_lit(out: &mut String, lit: &Lit) {
    match lit {
        Lit::Null => out.push_str("NULL"),
        Lit::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Lit::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Lit::Float(f) => {
            // `{:?}` is the shortest text that reads back as the same f64, with a `.` or an
            // exponent so it is never taken for an integer.
            let _ = write!(out, "CAST({f:?} AS DOUBLE)");
        }
        Lit::Str(s) => write_str(out, s),
        Lit::Timestamp(us) => {
            out.push_str("arrow_cast(");
            write_str(out, &format_rfc3339_micros(*us));
            out.push_str(", 'Timestamp(µs, \"UTC\")')");
        }
    }
}

/// A SQL string literal: single quotes, embedded quotes doubled. Nothing else is special in
/// Lance's dialect (no backslash escapes).
fn write_str(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_the_parentheses_precedence_needs() {
        let a = Expr::cmp(Expr::column("a"), CmpOp::Eq, Expr::Lit(Lit::Int(1)));
        let b = Expr::cmp(Expr::column("b"), CmpOp::Gt, Expr::Lit(Lit::Int(-2)));
        let or = Expr::any(vec![a.clone(), b.clone()]);
        assert_eq!(or.to_sql(), "`a` = 1 OR `b` > -2");
        assert_eq!(Expr::all(vec![or.clone(), a.clone()]).to_sql(), "(`a` = 1 OR `b` > -2) AND `a` = 1");
        assert_eq!(Expr::not(or).to_sql(), "NOT (`a` = 1 OR `b` > -2)");
        assert_eq!(Expr::not(Expr::not(a)).to_sql(), "NOT NOT `a` = 1");
        assert_eq!(Expr::str("x' OR '1'='1").to_sql(), "'x'' OR ''1''=''1'");
    }

    #[test]
    fn column_predicates_quote_their_values() {
        let odd = r"it's (a) \ key') OR ('1'='1";
        assert_eq!(Expr::column_eq("k", Expr::str(odd)).to_sql(), r"`k` = 'it''s (a) \ key'') OR (''1''=''1'");
        assert_eq!(Expr::column_eq("idx", Expr::int(-3)).to_sql(), "`idx` = -3");
        assert_eq!(Expr::column_in("k", vec![]), Expr::bool(false));
        assert_eq!(Expr::column_in("k", vec![Expr::str("a")]), Expr::column_eq("k", Expr::str("a")));
        assert_eq!(Expr::column_in("k", vec![Expr::str("a"), Expr::str("b'")]).to_sql(), "`k` IN ('a', 'b''')");
        let le = Expr::cmp(Expr::column("lsn"), CmpOp::LtEq, Expr::int(7));
        assert_eq!(Expr::column_eq("a", Expr::str("x")).and(le).to_sql(), "`a` = 'x' AND `lsn` <= 7");
    }

    #[test]
    fn chains_flatten() {
        let t = || Expr::column("t");
        let e = Expr::all(vec![Expr::all(vec![t(), t()]), t()]);
        assert_eq!(e, Expr::And(vec![t(), t(), t()]));
        assert_eq!(Expr::all(vec![]), Expr::bool(true));
        assert_eq!(Expr::any(vec![]), Expr::bool(false));
    }

    #[test]
    fn long_chains_are_grouped() {
        let parts: Vec<Expr> = (0..1000).map(|i| Expr::cmp(Expr::column("a"), CmpOp::Eq, Expr::Lit(Lit::Int(i)))).collect();
        let sql = Expr::any(parts).to_sql();
        let mut depth = 0i32;
        let mut max = 0;
        for c in sql.chars() {
            depth += (c == '(') as i32 - (c == ')') as i32;
            max = max.max(depth);
        }
        assert_eq!(depth, 0);
        assert!(max <= 2, "{max}");
    }
}
