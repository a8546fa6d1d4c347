//! Reading arguments from C: every pointer is checked for NULL, every string for UTF-8, every
//! length for overflow, before anything reaches the engine.

use std::ffi::{c_char, CStr};

use agentdb_engine::{Filter, Metadata, Value};

use crate::objects::Text;
use crate::status::{agentdb_status, Fail, Res};

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Res<&'a str> {
    if p.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: `p` is not NULL and, by this function's contract, NUL-terminated and valid for 'a.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes
        .to_str()
        .map_err(|e| Fail::new(agentdb_status::AGENTDB_INVALID_UTF8, format!("{what} is not valid UTF-8: {e}")))
}

/// An optional string argument (NULL is `None`).
///
/// # Safety
/// As for [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, what: &str) -> Res<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract of this function.
        unsafe { str_arg(p, what) }.map(Some)
    }
}

/// Checks a C array of `n` elements and returns it as a slice (empty when `n` is 0, whatever `p`).
///
/// # Safety
/// `p` is NULL or points to `n` initialised elements of `T` that stay valid and unchanged for `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(p: *const T, n: usize, what: &str) -> Res<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::null(what));
    }
    if !p.is_aligned() {
        return Err(Fail::invalid(format!("{what} is not aligned for its element type")));
    }
    match n.checked_mul(std::mem::size_of::<T>()) {
        Some(bytes) if bytes <= isize::MAX as usize => {}
        _ => return Err(Fail::invalid(format!("{what}: {n} elements is too many"))),
    }
    // SAFETY: `p` is non-NULL and aligned, the byte size fits isize, and the caller guarantees `n`
    // initialised elements that outlive 'a.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// `n` required strings (e.g. ids).
///
/// # Safety
/// `p` is NULL or points to `n` pointers, each NULL or a NUL-terminated string; all stay valid
/// during the call.
pub(crate) unsafe fn str_array(p: *const *const c_char, n: usize, what: &str) -> Res<Vec<String>> {
    // SAFETY: forwarded contract of this function.
    let ptrs = unsafe { slice_arg(p, n, what) }?;
    ptrs.iter()
        .enumerate()
        // SAFETY: each entry is NULL or a NUL-terminated string (contract of this function).
        .map(|(i, s)| unsafe { str_arg(*s, &format!("{what}[{i}]")) }.map(str::to_owned))
        .collect()
}

/// `n` optional strings (e.g. documents): NULL array is `None`, a NULL entry is a missing value.
///
/// # Safety
/// As for [`str_array`].
pub(crate) unsafe fn opt_str_array(p: *const *const c_char, n: usize, what: &str) -> Res<Option<Vec<Option<String>>>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of this function.
    let ptrs = unsafe { slice_arg(p, n, what) }?;
    ptrs.iter()
        .enumerate()
        // SAFETY: each entry is NULL or a NUL-terminated string (contract of this function).
        .map(|(i, s)| unsafe { opt_str_arg(*s, &format!("{what}[{i}]")) }.map(|s| s.map(str::to_owned)))
        .collect::<Res<Vec<_>>>()
        .map(Some)
}

/// `rows × dim` floats, row-major.
///
/// # Safety
/// `p` is NULL or points to `rows * dim` floats valid for `'a`.
pub(crate) unsafe fn floats_arg<'a>(p: *const f32, rows: usize, dim: usize, what: &str) -> Res<&'a [f32]> {
    let n = rows
        .checked_mul(dim)
        .ok_or_else(|| Fail::invalid(format!("{what}: {rows} × {dim} values is too many")))?;
    // SAFETY: forwarded contract of this function.
    unsafe { slice_arg(p, n, what) }
}

/// An optional ids array for get/delete: NULL means "not selecting by ids" (then `n` must be 0).
///
/// # Safety
/// As for [`str_array`].
pub(crate) unsafe fn opt_ids(p: *const *const c_char, n: usize) -> Res<Option<Vec<String>>> {
    if p.is_null() {
        if n != 0 {
            return Err(Fail::null(&format!("ids (with n_ids = {n})")));
        }
        return Ok(None);
    }
    // SAFETY: forwarded contract of this function.
    unsafe { str_array(p, n, "ids") }.map(Some)
}

/// The filter of a call: SQL text or JSON dict text, at most one of the two.
///
/// # Safety
/// Each pointer is NULL or a NUL-terminated string.
pub(crate) unsafe fn filter_arg(sql: *const c_char, json: *const c_char) -> Res<Option<Filter>> {
    // SAFETY: forwarded contract of this function.
    let sql = unsafe { opt_str_arg(sql, "filter_sql") }?;
    // SAFETY: forwarded contract of this function.
    let json = unsafe { opt_str_arg(json, "filter_json") }?;
    match (sql, json) {
        (None, None) => Ok(None),
        (Some(s), None) => Ok(Some(Filter::Sql(s.to_owned()))),
        (None, Some(j)) => Ok(Some(Filter::from_json(j)?)),
        (Some(_), Some(_)) => Err(Fail::invalid("give the filter as filter_sql or as filter_json, not both")),
    }
}

/// Metadata for a batch of records: a JSON array with one object (or `null`) per record.
pub(crate) fn metadata_arg(json: &str) -> Res<Vec<Metadata>> {
    let bad = |msg: String| Fail::new(agentdb_status::AGENTDB_INVALID_METADATA, msg);
    let value = Value::from_json(json).map_err(|e| bad(format!("metadata_json: {}", e.message())))?;
    let Value::List(rows) = value else {
        return Err(bad(format!(
            "metadata_json must be a JSON array with one object per record, got a {}",
            value.type_name()
        )));
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| match row {
            Value::Map(m) => Ok(m),
            Value::Null => Ok(Metadata::new()),
            other => Err(bad(format!("metadata_json[{i}] must be an object or null, got a {}", other.type_name()))),
        })
        .collect()
}

/// A required out-pointer.
///
/// # Safety
/// `p` is NULL or valid for writing one `T`.
pub(crate) unsafe fn out_arg<'a, T>(p: *mut T, what: &str) -> Res<&'a mut T> {
    if p.is_null() {
        return Err(Fail::null(what));
    }
    if !p.is_aligned() {
        return Err(Fail::invalid(format!("{what} is not aligned for its type")));
    }
    // SAFETY: non-NULL, aligned, and writable for one T by this function's contract.
    Ok(unsafe { &mut *p })
}

/// Writes a string result: the pointer to `*out` and, if `out_len` is not NULL, its length in
/// bytes (without the NUL) to `*out_len`. `None` writes NULL and 0.
///
/// # Safety
/// `out` as for [`out_arg`]; `out_len` is NULL or valid for writing one `usize`.
pub(crate) unsafe fn write_text(text: Option<&Text>, out: *mut *const c_char, out_len: *mut usize) -> Res {
    // SAFETY: forwarded contract of this function.
    let out = unsafe { out_arg(out, "out") }?;
    let len_out = if out_len.is_null() {
        None
    } else {
        // SAFETY: forwarded contract of this function.
        Some(unsafe { out_arg(out_len, "out_len") }?)
    };
    *out = text.map_or(std::ptr::null(), Text::ptr);
    if let Some(l) = len_out {
        *l = text.map_or(0, Text::len);
    }
    Ok(())
}

/// Checks an index against a length.
pub(crate) fn index(i: usize, len: usize, what: &str) -> Res<usize> {
    if i < len {
        Ok(i)
    } else {
        Err(Fail::invalid(format!("{what} {i} is out of range (there are {len})")))
    }
}
