//! Dict filters in the style of Chroma/MongoDB, compiled to the filter tree.
//!
//! ```text
//! where := { entry, ... }                    (an AND of its entries)
//! entry := "$and": [where, ...] | "$or": [where, ...] | "$not": where | field: condition
//! condition := value                      (equality)
//!            | { op: value, ... }         op ∈ $eq $ne $gt $gte $lt $lte $in $nin $contains $exists
//! ```
//! A field is a metadata key or one of `id`, `document`, `created_at`, `updated_at`. A condition
//! matches only records that have the key (SQL semantics); `{"$exists": false}` finds the others.
//! A key no record has ever had is not an error: its conditions match nothing.

use super::expr::{CmpOp, Expr, Func, Lit};
use super::{check_string, Limits, MAX_FILTER_DEPTH, PARSE_DEPTH_GUARD};
use crate::error::{Error, Result};
use crate::types::schema::{self, Layout};
use crate::types::value::{parse_rfc3339_micros, validate_key, MetaType, Value};

/// Compiles a dict filter. An empty dict matches every record (`None`).
pub(crate) fn compile(w: &Value, layout: &Layout) -> Result<Option<Expr>> {
    if let Value::Map(m) = w {
        if m.is_empty() {
            return Ok(None);
        }
    }
    let mut c = Compiler { layout, limits: Limits::default() };
    c.filter(w, 0).map(Some)
}

struct Compiler<'a> {
    layout: &'a Layout,
    limits: Limits,
}

impl Compiler<'_> {
    fn node(&mut self) -> Result<()> {
        self.limits.node().map_err(Error::invalid_filter)
    }

    fn filter(&mut self, w: &Value, depth: usize) -> Result<Expr> {
        if depth >= PARSE_DEPTH_GUARD {
            return Err(Error::invalid_filter(format!("the filter is nested more than {MAX_FILTER_DEPTH} levels deep")));
        }
        let Value::Map(entries) = w else {
            return Err(Error::invalid_filter(format!("a filter must be a dict, got a {}", w.type_name())));
        };
        self.node()?;
        let parts = entries.iter().map(|(k, v)| self.entry(k, v, depth + 1)).collect::<Result<Vec<_>>>()?;
        Ok(Expr::all(parts))
    }

    fn entry(&mut self, key: &str, v: &Value, depth: usize) -> Result<Expr> {
        match key {
            "$and" | "$or" => {
                let Value::List(items) = v else {
                    return Err(Error::invalid_filter(format!("{key} takes a list of filters")));
                };
                if items.is_empty() {
                    return Err(Error::invalid_filter(format!("{key} needs at least one filter")));
                }
                let parts = items.iter().map(|w| self.filter(w, depth + 1)).collect::<Result<Vec<_>>>()?;
                Ok(if key == "$and" { Expr::all(parts) } else { Expr::any(parts) })
            }
            "$not" => Ok(Expr::not(self.filter(v, depth + 1)?)),
            k if k.starts_with('$') => Err(Error::invalid_filter(format!("unknown operator {k:?} at the top of a filter"))),
            field => {
                let ty = field_type(field, self.layout)?;
                match v {
                    Value::Map(ops) if ops.keys().all(|k| k.starts_with('$')) && !ops.is_empty() => {
                        let parts = ops
                            .iter()
                            .map(|(op, arg)| self.condition(field, ty, op, arg))
                            .collect::<Result<Vec<_>>>()?;
                        Ok(Expr::all(parts))
                    }
                    _ => self.condition(field, ty, "$eq", v),
                }
            }
        }
    }

    fn condition(&mut self, field: &str, ty: Option<MetaType>, op: &str, arg: &Value) -> Result<Expr> {
        self.node()?;
        let col = || Expr::column(field);
        if op == "$exists" {
            let Value::Bool(want) = arg else {
                return Err(Error::invalid_filter(format!("$exists on {field:?} takes true or false")));
            };
            return Ok(match ty {
                Some(_) => Expr::is_null(col(), *want),
                None => Expr::bool(!*want),
            });
        }
        // Check the operator and the argument's shape even when the key is unknown, so a typo in an
        // operator is reported rather than silently matching nothing.
        if !matches!(op, "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$in" | "$nin" | "$contains") {
            return Err(Error::invalid_filter(format!("unknown operator {op:?} on {field:?}")));
        }
        let Some(ty) = ty else {
            if matches!(op, "$in" | "$nin") && !matches!(arg, Value::List(_)) {
                return Err(Error::invalid_filter(format!("{op} on {field:?} takes a list")));
            }
            return Ok(Expr::bool(false));
        };
        let lists_need_contains =
            || Error::invalid_filter(format!("{field:?} holds lists: use $contains to test membership"));
        match op {
            "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" => {
                if ty == MetaType::StrList {
                    return Err(lists_need_contains());
                }
                if ty == MetaType::Bool && !matches!(op, "$eq" | "$ne") {
                    return Err(Error::invalid_filter(format!("{op} does not apply to the bool field {field:?}")));
                }
                let cmp = match op {
                    "$eq" => CmpOp::Eq,
                    "$ne" => CmpOp::NotEq,
                    "$gt" => CmpOp::Gt,
                    "$gte" => CmpOp::GtEq,
                    "$lt" => CmpOp::Lt,
                    _ => CmpOp::LtEq,
                };
                Ok(Expr::cmp(col(), cmp, literal(field, ty, arg)?))
            }
            "$in" | "$nin" => {
                let Value::List(items) = arg else {
                    return Err(Error::invalid_filter(format!("{op} on {field:?} takes a list")));
                };
                if ty == MetaType::StrList {
                    return Err(lists_need_contains());
                }
                if items.is_empty() {
                    return Ok(if op == "$in" { Expr::bool(false) } else { Expr::is_null(col(), true) });
                }
                let mut lits = Vec::with_capacity(items.len());
                for v in items {
                    self.node()?;
                    lits.push(literal(field, ty, v)?);
                }
                Ok(Expr::in_list(col(), lits, op == "$nin"))
            }
            _ => match (ty, arg) {
                // "$contains": membership for list fields, substring for text fields.
                (MetaType::StrList, Value::Str(s)) => {
                    check_string(s).map_err(Error::invalid_filter)?;
                    Ok(Expr::call(Func::ArrayHas, vec![col(), Expr::str(s)]))
                }
                (MetaType::Str, Value::Str(s)) => {
                    check_string(s).map_err(Error::invalid_filter)?;
                    Ok(Expr::cmp(Expr::call(Func::Strpos, vec![col(), Expr::str(s)]), CmpOp::Gt, Expr::Lit(Lit::Int(0))))
                }
                _ => Err(Error::invalid_filter(format!(
                    "$contains on {field:?} takes a string and applies to text and list[str] fields"
                ))),
            },
        }
    }
}

/// The type of a field, `None` when no record has the key yet. Invalid keys are errors.
fn field_type(field: &str, layout: &Layout) -> Result<Option<MetaType>> {
    match field {
        schema::ID | schema::DOCUMENT => Ok(Some(MetaType::Str)),
        schema::CREATED_AT | schema::UPDATED_AT => Ok(Some(MetaType::Datetime)),
        _ => {
            validate_key(field).map_err(Error::invalid_filter)?;
            Ok(layout.meta_type(field))
        }
    }
}

/// A value as a literal of the field's type, or why it does not fit.
fn literal(field: &str, ty: MetaType, v: &Value) -> Result<Expr> {
    let mismatch = || {
        Error::invalid_filter(format!(
            "{field:?} holds {} values; cannot compare it with a {}",
            ty.name(),
            v.type_name()
        ))
    };
    Ok(Expr::Lit(match (ty, v) {
        (MetaType::Str, Value::Str(s)) => {
            check_string(s).map_err(Error::invalid_filter)?;
            Lit::Str(s.clone())
        }
        (MetaType::Int, Value::Int(i)) => Lit::Int(*i),
        (MetaType::Int | MetaType::Float, Value::Float(_)) | (MetaType::Float, Value::Int(_)) => {
            let f = match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => unreachable!("matched a number above"),
            };
            if !f.is_finite() {
                return Err(Error::invalid_filter(format!("cannot compare {field:?} with {f}")));
            }
            Lit::Float(f)
        }
        (MetaType::Bool, Value::Bool(b)) => Lit::Bool(*b),
        (MetaType::Datetime, Value::Datetime(us)) => Lit::Timestamp(*us),
        (MetaType::Datetime, Value::Str(s)) => {
            Lit::Timestamp(parse_rfc3339_micros(s).map_err(|e| Error::invalid_filter(e.to_string()))?)
        }
        _ => return Err(mismatch()),
    }))
}
