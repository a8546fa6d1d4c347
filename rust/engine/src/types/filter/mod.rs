//! Filters on records: a SQL string or a dict in the style of Chroma/MongoDB. Both are compiled
//! by the engine into one checked tree ([`Expr`]); the engine combines that tree with its own
//! conditions (id lists, scopes) and renders it to the SQL text Lance evaluates. A filter's text
//! is never pasted into other SQL, so no filter can widen what an operation touches beyond what
//! the filter alone selects.
//!
//! What a SQL filter may contain (see [`sql`] for the grammar): one boolean expression over the
//! collection's columns (`id`, `document`, `created_at`, `updated_at` and its metadata keys) with
//! comparisons, `AND`/`OR`/`NOT`, `IS [NOT] NULL|TRUE|FALSE`, `[NOT] IN (…)`, `[NOT] BETWEEN`,
//! `[NOT] LIKE`/`ILIKE`, arithmetic, literals (numbers, `'strings'`, `TRUE`, `FALSE`, `NULL`,
//! `TIMESTAMP '…'`, `CAST(literal AS type)`) and the functions of [`Func::NAMES`]. Anything else
//! (an unknown column, another function, a subquery, trailing text) is an
//! [`ErrorKind::InvalidFilter`](crate::ErrorKind::InvalidFilter).
//!
//! Limits, the same for both forms: [`MAX_FILTER_SQL_LEN`] bytes of SQL text,
//! [`MAX_FILTER_DEPTH`] levels of nesting, [`MAX_FILTER_NODES`] terms (each condition, operator
//! and list item counts) and [`MAX_FILTER_STRING_LEN`] bytes per string value. Checking a filter
//! takes time linear in its size.

mod dict;
mod expr;
mod sql;

pub(crate) use expr::{CmpOp, Expr};
use expr::{Func, Lit};

use crate::error::{Error, Result};
use crate::types::schema::{self, Layout};
use crate::types::value::{MetaType, Value};

/// Longest SQL filter text accepted, in bytes.
pub const MAX_FILTER_SQL_LEN: usize = 256 * 1024;
/// Deepest nesting accepted (parentheses, `NOT`, `$and`/`$or`/`$not`, function arguments).
pub const MAX_FILTER_DEPTH: usize = 32;
/// How deep the parsers recurse before giving up: a bound on their stack, above
/// [`MAX_FILTER_DEPTH`] because a dict or text level is not always a level of the tree.
const PARSE_DEPTH_GUARD: usize = 3 * MAX_FILTER_DEPTH;
/// Most terms a filter may have (conditions, operators, values, list items).
pub const MAX_FILTER_NODES: usize = 10_000;
/// Longest string value in a filter, in bytes.
pub const MAX_FILTER_STRING_LEN: usize = 64 * 1024;

/// Which records an operation applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A SQL boolean expression over the collection's columns, e.g. `lang = 'en' AND year >= 2020`.
    Sql(String),
    /// A dict filter (a [`Value::Map`]), see [`dict`].
    Where(Value),
}

impl Filter {
    /// Reads a dict filter from JSON text (the C and Zig form).
    pub fn from_json(text: &str) -> Result<Filter> {
        Ok(Filter::Where(Value::from_json(text).map_err(|e| Error::invalid_filter(e.to_string()))?))
    }
}

/// Compiles and checks a filter against a collection's layout. `None` means "every record".
pub(crate) fn compile(filter: &Filter, layout: &Layout) -> Result<Option<Expr>> {
    let tree = compile_unbounded(filter, layout)?;
    if let Some(t) = &tree {
        if t.depth() > MAX_FILTER_DEPTH {
            return Err(Error::invalid_filter(format!("the filter is nested more than {MAX_FILTER_DEPTH} levels deep")));
        }
    }
    Ok(tree)
}

fn compile_unbounded(filter: &Filter, layout: &Layout) -> Result<Option<Expr>> {
    match filter {
        Filter::Sql(text) if text.len() <= MAX_FILTER_SQL_LEN && text.trim().is_empty() => Ok(None),
        Filter::Sql(text) => {
            let tree = sql::parse(text)?;
            let ty = check(&tree, layout).map_err(|why| Error::invalid_filter(format!("invalid filter {text:?}: {why}")))?;
            if !matches!(ty, Ty::Bool) {
                return Err(Error::invalid_filter(format!(
                    "invalid filter {text:?}: it is a {} expression, not a condition",
                    ty.name()
                )));
            }
            Ok(Some(tree))
        }
        Filter::Where(w) => dict::compile(w, layout),
    }
}

/// `id IN (…)` as SQL, for the engine's own lookups by id.
pub(crate) fn ids_predicate(ids: &[String]) -> String {
    Expr::ids(ids).to_sql()
}

/// Counts a filter's terms against [`MAX_FILTER_NODES`] while it is built.
#[derive(Default)]
struct Limits {
    nodes: usize,
}

impl Limits {
    fn node(&mut self) -> std::result::Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_FILTER_NODES {
            return Err(format!("it has more than {MAX_FILTER_NODES} terms"));
        }
        Ok(())
    }
}

fn check_string(s: &str) -> std::result::Result<(), String> {
    if s.len() > MAX_FILTER_STRING_LEN {
        return Err(format!("a string value of {} bytes is longer than {MAX_FILTER_STRING_LEN}", s.len()));
    }
    Ok(())
}

/// The type of a filter expression, for checking a SQL filter before Lance sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Time,
    List,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Null => "null",
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Float => "float",
            Ty::Str => "text",
            Ty::Time => "timestamp",
            Ty::List => "list",
        }
    }

    fn of(t: MetaType) -> Ty {
        match t {
            MetaType::Bool => Ty::Bool,
            MetaType::Int => Ty::Int,
            MetaType::Float => Ty::Float,
            MetaType::Str => Ty::Str,
            MetaType::Datetime => Ty::Time,
            MetaType::StrList => Ty::List,
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Null)
    }

    /// Whether two values of these types can be compared (`=`, `<`, `IN`, `BETWEEN`).
    fn comparable(self, other: Ty) -> bool {
        match (self, other) {
            (Ty::Null, _) | (_, Ty::Null) => true,
            (a, b) if a.numeric() && b.numeric() => true,
            (Ty::Str, Ty::Str) | (Ty::Bool, Ty::Bool) | (Ty::Time, Ty::Time) => true,
            // A timestamp compared with text: the text is read as a time.
            (Ty::Time, Ty::Str) | (Ty::Str, Ty::Time) => true,
            _ => false,
        }
    }
}

/// Resolves columns and checks operand types; returns the expression's type. The tree's depth
/// is bounded by the parser, so the recursion is too.
fn check(e: &Expr, layout: &Layout) -> std::result::Result<Ty, String> {
    let want_bool = |t: Ty, what: &str| {
        if matches!(t, Ty::Bool | Ty::Null) {
            Ok(())
        } else {
            Err(format!("{what} needs conditions, got a {} expression", t.name()))
        }
    };
    Ok(match e {
        Expr::Column(name) => column_type(name, layout)?,
        Expr::Lit(l) => match l {
            Lit::Null => Ty::Null,
            Lit::Bool(_) => Ty::Bool,
            Lit::Int(_) => Ty::Int,
            Lit::Float(_) => Ty::Float,
            Lit::Str(_) => Ty::Str,
            Lit::Timestamp(_) => Ty::Time,
        },
        Expr::Not(inner) => {
            want_bool(check(inner, layout)?, "NOT")?;
            Ty::Bool
        }
        Expr::And(parts) | Expr::Or(parts) => {
            let what = if matches!(e, Expr::And(_)) { "AND" } else { "OR" };
            for p in parts {
                want_bool(check(p, layout)?, what)?;
            }
            Ty::Bool
        }
        Expr::Cmp { left, right, .. } => {
            let (l, r) = (check(left, layout)?, check(right, layout)?);
            if l == Ty::List || r == Ty::List {
                return Err("a list column cannot be compared: use array_has(column, value)".into());
            }
            if !l.comparable(r) {
                return Err(format!("cannot compare a {} with a {}", l.name(), r.name()));
            }
            Ty::Bool
        }
        Expr::Arith { left, right, .. } => {
            let (l, r) = (check(left, layout)?, check(right, layout)?);
            if !l.numeric() || !r.numeric() {
                return Err(format!("arithmetic needs numbers, got a {} and a {}", l.name(), r.name()));
            }
            if l == Ty::Float || r == Ty::Float {
                Ty::Float
            } else {
                Ty::Int
            }
        }
        Expr::Neg(inner) => {
            let t = check(inner, layout)?;
            if !t.numeric() {
                return Err(format!("cannot negate a {}", t.name()));
            }
            t
        }
        Expr::IsNull { expr, .. } => {
            check(expr, layout)?;
            Ty::Bool
        }
        Expr::IsBool { expr, .. } => {
            want_bool(check(expr, layout)?, "IS TRUE/FALSE")?;
            Ty::Bool
        }
        Expr::InList { expr, list, .. } => {
            let t = check(expr, layout)?;
            if t == Ty::List {
                return Err("IN does not apply to a list column: use array_has(column, value)".into());
            }
            for item in list {
                let it = check(item, layout)?;
                if !t.comparable(it) {
                    return Err(format!("IN compares a {} with a {}", t.name(), it.name()));
                }
            }
            Ty::Bool
        }
        Expr::Between { expr, low, high, .. } => {
            let t = check(expr, layout)?;
            for b in [low, high] {
                let bt = check(b, layout)?;
                if t == Ty::List || !t.comparable(bt) {
                    return Err(format!("BETWEEN compares a {} with a {}", t.name(), bt.name()));
                }
            }
            Ty::Bool
        }
        Expr::Like { expr, pattern, .. } => {
            for x in [expr, pattern] {
                let t = check(x, layout)?;
                if !matches!(t, Ty::Str | Ty::Null) {
                    return Err(format!("LIKE applies to text, got a {}", t.name()));
                }
            }
            Ty::Bool
        }
        Expr::Call { func, args } => {
            let types = args.iter().map(|a| check(a, layout)).collect::<std::result::Result<Vec<_>, _>>()?;
            let need = |ok: bool, what: &str| {
                if ok {
                    Ok(())
                } else {
                    Err(format!("{}() takes {what}", func.name()))
                }
            };
            match func {
                Func::ArrayHas => {
                    need(types[0] == Ty::List && matches!(types[1], Ty::Str | Ty::Null), "a list column and a string")?;
                    Ty::Bool
                }
                Func::ArrayLength => {
                    need(types[0] == Ty::List, "a list column")?;
                    Ty::Int
                }
                Func::Strpos => {
                    need(types.iter().all(|t| matches!(t, Ty::Str | Ty::Null)), "two strings")?;
                    Ty::Int
                }
                Func::StartsWith | Func::EndsWith => {
                    need(types.iter().all(|t| matches!(t, Ty::Str | Ty::Null)), "two strings")?;
                    Ty::Bool
                }
                Func::Lower | Func::Upper => {
                    need(matches!(types[0], Ty::Str | Ty::Null), "a string")?;
                    Ty::Str
                }
                Func::Length => {
                    need(matches!(types[0], Ty::Str | Ty::Null), "a string")?;
                    Ty::Int
                }
                Func::Abs => {
                    need(types[0].numeric(), "a number")?;
                    types[0]
                }
            }
        }
    })
}

fn column_type(name: &str, layout: &Layout) -> std::result::Result<Ty, String> {
    match name {
        schema::ID | schema::DOCUMENT => Ok(Ty::Str),
        schema::CREATED_AT | schema::UPDATED_AT => Ok(Ty::Time),
        schema::VECTOR => Err("the vector column cannot be filtered on".into()),
        _ => layout.meta_type(name).map(Ty::of).ok_or_else(|| {
            let mut known: Vec<&str> = vec![schema::ID, schema::DOCUMENT, schema::CREATED_AT, schema::UPDATED_AT];
            known.extend(layout.meta.iter().map(|(k, _)| k.as_str()).take(20));
            format!("unknown column {name:?} (columns: {})", known.join(", "))
        }),
    }
}

/// The filter fuzz targets' properties (reached through [`crate::fuzz`]).
pub(crate) mod fuzzing {
    use super::*;

    /// A fixed layout with a column of every metadata type.
    fn layout() -> Layout {
        Layout {
            dim: 2,
            metric: crate::types::schema::Metric::L2,
            tokenizer: Default::default(),
            meta: vec![
                ("s".into(), MetaType::Str),
                ("i".into(), MetaType::Int),
                ("f".into(), MetaType::Float),
                ("b".into(), MetaType::Bool),
                ("t".into(), MetaType::Datetime),
                ("l".into(), MetaType::StrList),
            ],
        }
    }

    /// Parses `data` as a SQL filter; when it is accepted, its rendering must read back as the
    /// same tree (the property that makes combining trees safe).
    pub fn filter_sql(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else { return };
        round_trip(&Filter::Sql(text.to_owned()));
    }

    /// Parses `data` as a JSON dict filter, with the same round-trip property.
    pub fn filter_json(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else { return };
        if let Ok(f) = Filter::from_json(text) {
            round_trip(&f);
        }
    }

    fn round_trip(f: &Filter) {
        let layout = layout();
        let Ok(Some(tree)) = compile(f, &layout) else { return };
        let sql = tree.to_sql();
        let again = compile(&Filter::Sql(sql.clone()), &layout);
        match again {
            // A dict filter on an unknown key compiles to a bare FALSE, which is a valid SQL filter.
            Ok(Some(back)) => assert_eq!(back, tree, "rendered {sql:?} reads back differently"),
            other => panic!("rendered {sql:?} does not read back: {other:?}"),
        }
        // And combined with an id list, the filter still reads back as the conjunction.
        let ids = vec!["a".to_string(), "b') OR (TRUE".to_string()];
        let combined = Expr::ids(&ids).and(tree.clone());
        let back = sql::parse(&combined.to_sql()).expect("a combined filter reads back");
        assert_eq!(back, combined);
    }
}

#[cfg(test)]
mod tests;
