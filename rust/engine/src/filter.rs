//! Filters on records: a SQL string handed to Lance as it is, or a dict in the style of
//! Chroma/MongoDB compiled here to SQL. User values are always rendered as quoted literals, never
//! pasted, so a value like `x' OR 1=1 --` is just a string that matches nothing.
//!
//! Dict grammar (every level is an AND of its entries):
//! ```text
//! where := { entry, ... }
//! entry := "$and": [where, ...] | "$or": [where, ...] | "$not": where | field: condition
//! condition := value                      (equality)
//!            | { op: value, ... }         op ∈ $eq $ne $gt $gte $lt $lte $in $nin $contains $exists
//! ```
//! A field is a metadata key or one of `id`, `document`, `created_at`, `updated_at`. A condition
//! matches only records that have the key (SQL semantics); `{"$exists": false}` finds the others.
//! A key no record has ever had is not an error: its conditions match nothing.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::schema::{self, Layout};
use crate::value::{format_rfc3339_micros, parse_rfc3339_micros, validate_key, MetaType, Value};

/// Which records an operation applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A SQL boolean expression over the collection's columns, e.g. `lang = 'en' AND year >= 2020`.
    Sql(String),
    /// A dict filter (a [`Value::Map`]), see the module docs.
    Where(Value),
}

impl Filter {
    /// Reads a dict filter from JSON text (the C and Zig form).
    pub fn from_json(text: &str) -> Result<Filter> {
        Ok(Filter::Where(Value::from_json(text).map_err(|e| Error::invalid_filter(e.to_string()))?))
    }
}

/// Compiles a filter to the SQL predicate Lance evaluates. `None` means "every record".
pub(crate) fn to_sql(filter: &Filter, layout: &Layout) -> Result<Option<String>> {
    match filter {
        Filter::Sql(sql) if sql.trim().is_empty() => Ok(None),
        Filter::Sql(sql) => Ok(Some(sql.clone())),
        Filter::Where(Value::Map(m)) if m.is_empty() => Ok(None),
        Filter::Where(w) => Ok(Some(compile_where(w, layout)?)),
    }
}

fn compile_where(w: &Value, layout: &Layout) -> Result<String> {
    let Value::Map(entries) = w else {
        return Err(Error::invalid_filter(format!("a filter must be a dict, got a {}", w.type_name())));
    };
    if entries.is_empty() {
        return Ok("TRUE".into());
    }
    let parts = entries
        .iter()
        .map(|(k, v)| compile_entry(k, v, layout))
        .collect::<Result<Vec<_>>>()?;
    Ok(join(parts, "AND"))
}

fn join(parts: Vec<String>, op: &str) -> String {
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or_default();
    }
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            let _ = write!(out, " {op} ");
        }
        let _ = write!(out, "({p})");
    }
    out
}

fn compile_entry(key: &str, v: &Value, layout: &Layout) -> Result<String> {
    match key {
        "$and" | "$or" => {
            let Value::List(items) = v else {
                return Err(Error::invalid_filter(format!("{key} takes a list of filters")));
            };
            if items.is_empty() {
                return Err(Error::invalid_filter(format!("{key} needs at least one filter")));
            }
            let parts = items.iter().map(|w| compile_where(w, layout)).collect::<Result<Vec<_>>>()?;
            Ok(join(parts, if key == "$and" { "AND" } else { "OR" }))
        }
        "$not" => Ok(format!("NOT ({})", compile_where(v, layout)?)),
        k if k.starts_with('$') => Err(Error::invalid_filter(format!("unknown operator {k:?} at the top of a filter"))),
        field => {
            let ty = field_type(field, layout)?;
            match v {
                Value::Map(ops) if ops.keys().all(|k| k.starts_with('$')) && !ops.is_empty() => {
                    let parts = ops
                        .iter()
                        .map(|(op, arg)| compile_condition(field, ty, op, arg))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(join(parts, "AND"))
                }
                _ => compile_condition(field, ty, "$eq", v),
            }
        }
    }
}

/// The type of a field, `None` when no record has the key yet. Invalid keys are errors.
fn field_type(field: &str, layout: &Layout) -> Result<Option<MetaType>> {
    match field {
        schema::ID | schema::DOCUMENT => Ok(Some(MetaType::Str)),
        schema::CREATED_AT | schema::UPDATED_AT => Ok(Some(MetaType::Datetime)),
        _ => {
            validate_key(field).map_err(|e| Error::invalid_filter(e))?;
            Ok(layout.meta_type(field))
        }
    }
}

fn compile_condition(field: &str, ty: Option<MetaType>, op: &str, arg: &Value) -> Result<String> {
    let col = format!("`{field}`");
    if op == "$exists" {
        let Value::Bool(want) = arg else {
            return Err(Error::invalid_filter(format!("$exists on {field:?} takes true or false")));
        };
        return Ok(match (ty.is_some(), *want) {
            (true, true) => format!("{col} IS NOT NULL"),
            (true, false) => format!("{col} IS NULL"),
            (false, want) => if want { "FALSE" } else { "TRUE" }.into(),
        });
    }
    // Check the operator and the argument's shape even when the key is unknown, so a typo in an
    // operator is reported rather than silently matching nothing.
    let check_known = |ok: bool| -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(Error::invalid_filter(format!("unknown operator {op:?} on {field:?}")))
        }
    };
    check_known(matches!(op, "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$in" | "$nin" | "$contains"))?;
    let Some(ty) = ty else {
        if matches!(op, "$in" | "$nin") && !matches!(arg, Value::List(_)) {
            return Err(Error::invalid_filter(format!("{op} on {field:?} takes a list")));
        }
        return Ok("FALSE".into());
    };
    match op {
        "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" => {
            if ty == MetaType::StrList {
                return Err(Error::invalid_filter(format!(
                    "{field:?} holds lists: use $contains to test membership"
                )));
            }
            if ty == MetaType::Bool && !matches!(op, "$eq" | "$ne") {
                return Err(Error::invalid_filter(format!("{op} does not apply to the bool field {field:?}")));
            }
            let sql_op = match op {
                "$eq" => "=",
                "$ne" => "!=",
                "$gt" => ">",
                "$gte" => ">=",
                "$lt" => "<",
                _ => "<=",
            };
            Ok(format!("{col} {sql_op} {}", literal(field, ty, arg)?))
        }
        "$in" | "$nin" => {
            let Value::List(items) = arg else {
                return Err(Error::invalid_filter(format!("{op} on {field:?} takes a list")));
            };
            if ty == MetaType::StrList {
                return Err(Error::invalid_filter(format!(
                    "{field:?} holds lists: use $contains to test membership"
                )));
            }
            if items.is_empty() {
                return Ok(if op == "$in" { "FALSE".into() } else { format!("{col} IS NOT NULL") });
            }
            let lits = items.iter().map(|v| literal(field, ty, v)).collect::<Result<Vec<_>>>()?;
            let not = if op == "$nin" { "NOT " } else { "" };
            Ok(format!("{col} {not}IN ({})", lits.join(", ")))
        }
        _ => match (ty, arg) {
            // "$contains": membership for list fields, substring for text fields.
            (MetaType::StrList, Value::Str(s)) => Ok(format!("array_has({col}, {})", quote_str(s))),
            (MetaType::Str, Value::Str(s)) => Ok(format!("strpos({col}, {}) > 0", quote_str(s))),
            _ => Err(Error::invalid_filter(format!(
                "$contains on {field:?} takes a string and applies to text and list[str] fields"
            ))),
        },
    }
}

/// Renders a value as a SQL literal of the field's type, or explains why it does not fit.
fn literal(field: &str, ty: MetaType, v: &Value) -> Result<String> {
    let mismatch = || {
        Error::invalid_filter(format!(
            "{field:?} holds {} values; cannot compare it with a {}",
            ty.name(),
            v.type_name()
        ))
    };
    Ok(match (ty, v) {
        (MetaType::Str, Value::Str(s)) => quote_str(s),
        (MetaType::Int, Value::Int(i)) => i.to_string(),
        (MetaType::Int | MetaType::Float, Value::Float(_)) | (MetaType::Float, Value::Int(_)) => {
            let f = match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => unreachable!("matched a number above"),
            };
            if !f.is_finite() {
                return Err(Error::invalid_filter(format!("cannot compare {field:?} with {f}")));
            }
            format!("CAST({f:?} AS DOUBLE)")
        }
        (MetaType::Bool, Value::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
        (MetaType::Datetime, Value::Datetime(us)) => timestamp_literal(*us),
        (MetaType::Datetime, Value::Str(s)) => {
            timestamp_literal(parse_rfc3339_micros(s).map_err(|e| Error::invalid_filter(e.to_string()))?)
        }
        _ => return Err(mismatch()),
    })
}

fn timestamp_literal(us: i64) -> String {
    format!("arrow_cast({}, 'Timestamp(µs, \"UTC\")')", quote_str(&format_rfc3339_micros(us)))
}

/// A SQL string literal: single quotes, embedded quotes doubled. Nothing else is special.
pub(crate) fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `id IN ('a', 'b', …)` for a list of ids.
pub(crate) fn ids_predicate(ids: &[String]) -> String {
    let mut out = String::from("id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&quote_str(id));
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Metric;

    fn layout() -> Layout {
        Layout {
            dim: 2,
            metric: Metric::L2,
            meta: vec![
                ("lang".into(), MetaType::Str),
                ("year".into(), MetaType::Int),
                ("tags".into(), MetaType::StrList),
            ],
        }
    }

    fn sql(json: &str) -> Result<Option<String>> {
        to_sql(&Filter::from_json(json)?, &layout())
    }

    #[test]
    fn compiles_dicts() {
        assert_eq!(sql(r#"{"lang": "en"}"#).unwrap().unwrap(), "`lang` = 'en'");
        assert_eq!(
            sql(r#"{"year": {"$gte": 2020}, "lang": {"$in": ["en", "fr"]}}"#).unwrap().unwrap(),
            "(`lang` IN ('en', 'fr')) AND (`year` >= 2020)"
        );
        assert_eq!(sql(r#"{"lang": "x' OR 1=1 --"}"#).unwrap().unwrap(), "`lang` = 'x'' OR 1=1 --'");
        assert_eq!(sql(r#"{"nope": 1}"#).unwrap().unwrap(), "FALSE");
        assert_eq!(sql(r#"{}"#).unwrap(), None);
        assert_eq!(sql(r#"{"tags": {"$contains": "a"}}"#).unwrap().unwrap(), "array_has(`tags`, 'a')");
    }

    #[test]
    fn rejects_bad_dicts() {
        for bad in [
            r#"{"year": "2020"}"#,
            r#"{"year": {"$like": 1}}"#,
            r#"{"$or": []}"#,
            r#"{"bad key": 1}"#,
            r#"{"tags": "a"}"#,
            r#"[1]"#,
        ] {
            let err = sql(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidFilter, "{bad}");
        }
    }
}
