//! Scalar arguments of the native methods, extracted so that a bad one raises an AgentDB error
//! (`agentdb.errors`), never a bare `TypeError` / `OverflowError`:
//!
//! * of the wrong type (a str for `k`, an int for a name, a bool for a count): an
//!   `InvalidArgumentTypeError`, which is an `InvalidArgumentError` and a `TypeError`;
//! * an int beyond 64 bits (`k = 2**63`): an `InvalidArgumentError` (a `ValueError`).
//!
//! PyO3 adds the note "while processing '<argument>'" to the exception, which names the argument
//! in the traceback.

use std::ops::Deref;

use agentdb_engine::ErrorKind;
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};

use crate::errors::{new_err, type_err};

fn type_name(obj: &Borrowed<'_, '_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// An integer argument (an `int`, a numpy integer, anything with `__index__`; not a `bool`) in
/// the range of `i64`.
#[derive(Debug, Clone, Copy)]
pub struct Int(pub i64);

impl<'a, 'py> FromPyObject<'a, 'py> for Int {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() {
            return Err(type_err("expected an int, got a bool"));
        }
        match obj.extract::<i64>() {
            Ok(v) => Ok(Int(v)),
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(new_err(
                ErrorKind::InvalidArgument,
                format!("the integer {} is out of range (a 64-bit signed integer is expected)", &*obj),
            )),
            Err(_) => Err(type_err(format!("expected an int, got {}", type_name(&obj)))),
        }
    }
}

impl Deref for Int {
    type Target = i64;
    fn deref(&self) -> &i64 {
        &self.0
    }
}

/// A floating-point argument: a `float` or an `int` (not a `bool`), or anything with `__float__`.
#[derive(Debug, Clone, Copy)]
pub struct Float(pub f64);

impl<'a, 'py> FromPyObject<'a, 'py> for Float {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyString>() {
            return Err(type_err(format!("expected a number, got {}", type_name(&obj))));
        }
        match obj.extract::<f64>() {
            Ok(v) => Ok(Float(v)),
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(new_err(
                ErrorKind::InvalidArgument,
                format!("the number {} is out of range of a 64-bit float", &*obj),
            )),
            Err(_) => Err(type_err(format!("expected a number, got {}", type_name(&obj)))),
        }
    }
}

impl Deref for Float {
    type Target = f64;
    fn deref(&self) -> &f64 {
        &self.0
    }
}

/// A boolean argument: `True` / `False` (or a numpy bool).
#[derive(Debug, Clone, Copy)]
pub struct Flag(pub bool);

impl<'a, 'py> FromPyObject<'a, 'py> for Flag {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        obj.extract::<bool>()
            .map(Flag)
            .map_err(|_| type_err(format!("expected a bool, got {}", type_name(&obj))))
    }
}

impl Deref for Flag {
    type Target = bool;
    fn deref(&self) -> &bool {
        &self.0
    }
}

/// A string argument (a `str`).
#[derive(Debug, Clone)]
pub struct Text(pub String);

impl<'a, 'py> FromPyObject<'a, 'py> for Text {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let Ok(s) = obj.cast::<PyString>() else {
            return Err(type_err(format!("expected a str, got {}", type_name(&obj))));
        };
        // A str with lone surrogates cannot be UTF-8: a bad value, not a bad type.
        s.to_str()
            .map(|s| Text(s.to_owned()))
            .map_err(|_| new_err(ErrorKind::InvalidArgument, "the string is not valid Unicode (it holds a lone surrogate)"))
    }
}

impl Text {
    /// A default value written in a `#[pyo3(signature = …)]`.
    pub fn lit(s: &str) -> Text {
        Text(s.to_owned())
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// `Option<Text>` as `Option<String>`.
pub fn opt_string(t: Option<Text>) -> Option<String> {
    t.map(String::from)
}

/// `Option<Float>` as `Option<f64>`.
pub fn opt_f64(f: Option<Float>) -> Option<f64> {
    f.map(|f| f.0)
}

/// `Option<Int>` as `Option<i64>`.
pub fn opt_i64(i: Option<Int>) -> Option<i64> {
    i.map(|i| i.0)
}
