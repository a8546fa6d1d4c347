//! Reading arguments from C: every pointer is checked for NULL, every string for UTF-8, every
//! count and size against the limits below and against the arrays actually given, before
//! anything is read, allocated or passed to the engine.
//!
//! The rule every call follows: first the counts ([`batch`], [`k_arg`], the dimension in
//! [`floats_arg`]), then the arrays they describe, and only then anything that allocates in
//! proportion to them. No allocation in this layer is sized by a count alone: each is bounded by
//! data the caller actually passed (and the counts are capped first, so a wrong count cannot
//! make the library read far past an array either).

use std::ffi::{c_char, CStr};

use agentdb_engine::{Filter, Metadata, Value};

use crate::text::Text;
use crate::status::{agentdb_status, Fail, Res};

// ---------------------------------------------------------------------------------------------
// Limits (exported in agentdb.h)
// ---------------------------------------------------------------------------------------------

/// The most items one call takes: the records of `agentdb_collection_add` / `agentdb_collection_upsert`, the ids of
/// `agentdb_collection_get` / `agentdb_collection_delete` / `agentdb_memory_get` / `agentdb_memory_forget` /
/// `agentdb_rag_delete`, the memories of `agentdb_memory_remember`, the queries of
/// `agentdb_collection_search_batch`, the keys of `agentdb_state_put_many`, the pending writes of
/// `agentdb_checkpoint_put_writes` and the documents of `agentdb_rag_ingest`. A count above it is
/// `AGENTDB_INVALID_ARGUMENT`, checked before any array is read or anything allocated: split
/// larger batches into several calls.
pub const AGENTDB_MAX_BATCH: usize = 16777216;

/// The largest `k` of a search, recall or RAG retrieval (and the largest `ef`, `refine_factor`
/// and recall `candidates`). `k` is 1 to `AGENTDB_MAX_K`; outside: `AGENTDB_INVALID_ARGUMENT`.
pub const AGENTDB_MAX_K: usize = 100000;

/// The largest vector dimension of a collection, memory store or RAG store. A vector argument
/// with a larger `dim` is `AGENTDB_DIMENSION_MISMATCH` (no store has it), checked before it is
/// read.
pub const AGENTDB_MAX_DIM: usize = 65536;

/// The longest id a write may give (records, memories), in bytes (ids are 1 to
/// `AGENTDB_MAX_ID_LEN` bytes). A longer one is `AGENTDB_INVALID_ARGUMENT`, checked before it is
/// copied.
pub const AGENTDB_MAX_ID_LEN: usize = 1024;

/// The largest JSON text argument, in bytes (without the NUL): `metadata_json`, `filter_json`,
/// `value_json` / `values_json[i]` of the state calls, checkpoint and RAG document metadata.
/// A longer text is `AGENTDB_INVALID_ARGUMENT`, checked before it is parsed.
pub const AGENTDB_MAX_JSON_LEN: usize = 268435456;

// The limits the engine also enforces are the engine's numbers.
const _: () = assert!(AGENTDB_MAX_K == agentdb_engine::MAX_K);
const _: () = assert!(AGENTDB_MAX_DIM == agentdb_engine::MAX_DIM);
const _: () = assert!(AGENTDB_MAX_ID_LEN == agentdb_engine::MAX_ID_LEN);

/// Checks the count `n` of a batch call before any array is read or anything allocated: at most
/// [`AGENTDB_MAX_BATCH`], and with `n > 0` every array of `required` (its name, and whether the
/// caller passed NULL) must be given. `items` names what is counted ("records", "memories", …).
pub(crate) fn batch(n: usize, items: &str, required: &[(&str, bool)]) -> Res<usize> {
    if n > AGENTDB_MAX_BATCH {
        return Err(Fail::invalid(format!(
            "n = {n} {items} in one call is more than AGENTDB_MAX_BATCH ({AGENTDB_MAX_BATCH}): split the batch"
        )));
    }
    if n > 0 {
        if let Some((name, _)) = required.iter().find(|(_, is_null)| *is_null) {
            return Err(Fail::new(
                agentdb_status::AGENTDB_NULL_POINTER,
                format!("{name} is NULL for n = {n} {items}"),
            ));
        }
    }
    Ok(n)
}

/// A `k` (or another "how many" bounded like it): 1 to [`AGENTDB_MAX_K`].
pub(crate) fn k_arg(k: usize, what: &str) -> Res<usize> {
    if k == 0 || k > AGENTDB_MAX_K {
        return Err(Fail::invalid(format!("{what} must be between 1 and {AGENTDB_MAX_K}, got {k}")));
    }
    Ok(k)
}

/// Checks the size of a JSON text argument before it is parsed.
pub(crate) fn json_len(json: &str, what: &str) -> Res<()> {
    if json.len() > AGENTDB_MAX_JSON_LEN {
        return Err(Fail::invalid(format!(
            "{what} is {} bytes, more than AGENTDB_MAX_JSON_LEN ({AGENTDB_MAX_JSON_LEN})",
            json.len()
        )));
    }
    Ok(())
}

/// `limit` and `offset` of a paged read (`limit` 0: none). An offset beyond `i64::MAX` is refused;
/// a limit is clamped so that `offset + limit` cannot overflow (no store holds that many, so the
/// result is the same).
pub(crate) fn page_arg(limit: usize, offset: usize) -> Res<(Option<usize>, usize)> {
    const MAX: usize = i64::MAX as usize;
    if offset > MAX {
        return Err(Fail::invalid(format!("offset {offset} is more than {MAX}")));
    }
    Ok(((limit != 0).then(|| limit.min(MAX - offset)), offset))
}

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

/// `n` strings (`optional`: an entry may be NULL, a missing value), each at most `max_len` bytes
/// (checked before it is copied). `n` is checked by [`batch`] first.
///
/// # Safety
/// `p` is NULL or points to `n` pointers, each NULL or a NUL-terminated string; all stay valid
/// during the call.
unsafe fn strings(p: *const *const c_char, n: usize, what: &str, max_len: usize, optional: bool) -> Res<Vec<Option<String>>> {
    batch(n, what, &[(what, p.is_null())])?;
    // SAFETY: forwarded contract of this function.
    let ptrs = unsafe { slice_arg(p, n, what) }?;
    ptrs.iter()
        .enumerate()
        .map(|(i, s)| {
            let name = || format!("{what}[{i}]");
            // SAFETY: each entry is NULL or a NUL-terminated string (contract of this function).
            let text = if optional { unsafe { opt_str_arg(*s, &name()) }? } else { Some(unsafe { str_arg(*s, &name()) }?) };
            match text {
                Some(t) if t.len() > max_len => {
                    Err(Fail::invalid(format!("{} is {} bytes long, more than {max_len}", name(), t.len())))
                }
                t => Ok(t.map(str::to_owned)),
            }
        })
        .collect()
}

/// `n` required strings (e.g. keys, ids to look up).
///
/// # Safety
/// `p` is NULL or points to `n` pointers, each NULL or a NUL-terminated string; all stay valid
/// during the call.
pub(crate) unsafe fn str_array(p: *const *const c_char, n: usize, what: &str) -> Res<Vec<String>> {
    // SAFETY: forwarded contract of this function.
    let all = unsafe { strings(p, n, what, usize::MAX, false) }?;
    Ok(all.into_iter().flatten().collect())
}

/// `n` required ids of a write, each at most [`AGENTDB_MAX_ID_LEN`] bytes.
///
/// # Safety
/// As for [`str_array`].
pub(crate) unsafe fn id_array(p: *const *const c_char, n: usize, what: &str) -> Res<Vec<String>> {
    // SAFETY: forwarded contract of this function.
    let all = unsafe { strings(p, n, what, AGENTDB_MAX_ID_LEN, false) }?;
    Ok(all.into_iter().flatten().collect())
}

/// `n` optional strings (e.g. documents): NULL array is `None`, a NULL entry is a missing value;
/// each at most `max_len` bytes.
///
/// # Safety
/// As for [`str_array`].
pub(crate) unsafe fn opt_str_array(
    p: *const *const c_char,
    n: usize,
    what: &str,
    max_len: usize,
) -> Res<Option<Vec<Option<String>>>> {
    batch(n, what, &[])?;
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of this function.
    unsafe { strings(p, n, what, max_len, true) }.map(Some)
}

/// `rows × dim` floats, row-major: `rows` at most [`AGENTDB_MAX_BATCH`], and (when there are
/// rows) `dim` at most [`AGENTDB_MAX_DIM`] (`AGENTDB_DIMENSION_MISMATCH`), both checked before
/// the array is touched.
///
/// # Safety
/// `p` is NULL or points to `rows * dim` floats valid for `'a`.
pub(crate) unsafe fn floats_arg<'a>(p: *const f32, rows: usize, dim: usize, what: &str) -> Res<&'a [f32]> {
    batch(rows, what, &[])?;
    if rows > 0 && dim > AGENTDB_MAX_DIM {
        return Err(Fail::new(
            agentdb_status::AGENTDB_DIMENSION_MISMATCH,
            format!("{what}: dimension {dim} is more than AGENTDB_MAX_DIM ({AGENTDB_MAX_DIM}), which no store has"),
        ));
    }
    let n = rows
        .checked_mul(dim)
        .ok_or_else(|| Fail::invalid(format!("{what}: {rows} × {dim} values is too many")))?;
    // SAFETY: forwarded contract of this function.
    unsafe { slice_arg(p, n, what) }
}

/// The vectors of a write batch of `n` items (checked by [`batch`]): `n × dim` floats, with
/// `dim > 0` when `n > 0` (each item has a vector of the store's dimension).
///
/// # Safety
/// As for [`floats_arg`].
pub(crate) unsafe fn batch_vectors<'a>(p: *const f32, n: usize, dim: usize, items: &str) -> Res<&'a [f32]> {
    if n > 0 && dim == 0 {
        return Err(Fail::invalid(format!("dim is 0 for n = {n} {items}: each needs a vector of the store's dimension")));
    }
    // SAFETY: forwarded contract of this function.
    unsafe { floats_arg(p, n, dim, "vectors") }
}

/// An optional ids array for get/delete: NULL means "not selecting by ids" (then `n` must be 0).
///
/// # Safety
/// As for [`str_array`].
pub(crate) unsafe fn opt_ids(p: *const *const c_char, n: usize) -> Res<Option<Vec<String>>> {
    batch(n, "ids", &[])?;
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
        (None, Some(j)) => {
            json_len(j, "filter_json")?;
            Ok(Some(Filter::from_json(j)?))
        }
        (Some(_), Some(_)) => Err(Fail::invalid("give the filter as filter_sql or as filter_json, not both")),
    }
}

/// Metadata for a batch of `n` records: a JSON array with one object (or `null`) per record
/// (`AGENTDB_INVALID_ARGUMENT` for another number of entries). The text's size is checked before
/// it is parsed.
pub(crate) fn metadata_arg(json: &str, n: usize, items: &str) -> Res<Vec<Metadata>> {
    json_len(json, "metadata_json")?;
    let bad = |msg: String| Fail::new(agentdb_status::AGENTDB_INVALID_METADATA, msg);
    let value = Value::from_json(json).map_err(|e| bad(format!("metadata_json: {}", e.message())))?;
    let Value::List(rows) = value else {
        return Err(bad(format!(
            "metadata_json must be a JSON array with one object per record, got a {}",
            value.type_name()
        )));
    };
    if rows.len() != n {
        return Err(Fail::invalid(format!("metadata_json has {} entries for n = {n} {items}", rows.len())));
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| match row {
            Value::Map(m) => Ok(m),
            Value::Null => Ok(Metadata::new()),
            other => Err(bad(format!("metadata_json[{i}] must be an object or null, got a {}", other.type_name()))),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Options structs
// ---------------------------------------------------------------------------------------------
//
// Every options struct starts with `uint32_t struct_size`, which the caller sets (through the
// struct's `*_default()` function) to the `sizeof` its header declared, so that a program built
// against another version of agentdb.h is refused instead of read past its struct. Fields are
// read one by one (`field!`), and `bool` fields as bytes (`flag!`): a C `bool` holding another
// value than 0 or 1 must not become an invalid Rust `bool`.

/// Checks a caller's options struct of type `T` before any field is read: aligned, and
/// `struct_size` equal to this library's `sizeof(T)`. `what` names the argument ("options"),
/// `default_fn` the call that fills one ("agentdb_open_options_default").
///
/// # Safety
/// `p` is non-NULL and, when aligned, its first four bytes (`struct_size`) are readable.
pub(crate) unsafe fn check_struct_size<T>(p: *const T, what: &str, default_fn: &str) -> Res<()> {
    if !p.is_aligned() {
        return Err(Fail::invalid(format!("{what} is not aligned for its type")));
    }
    // SAFETY: non-NULL and aligned (checked above; `T`'s alignment is at least `u32`'s, as it
    // starts with one), and every options struct starts with its `u32 struct_size`, readable by
    // this function's contract.
    let size = unsafe { p.cast::<u32>().read() } as usize;
    let expected = std::mem::size_of::<T>();
    if size != expected {
        return Err(Fail::invalid(format!(
            "{what}->struct_size is {size}, not this library's sizeof = {expected} bytes: start from {default_fn}()"
        )));
    }
    Ok(())
}

/// Reads a versioned options struct of one version: checks `struct_size` (see
/// [`check_struct_size`]), then runs `$body` with `$r` bound to the pointer, whose fields it reads
/// with [`field!`] and [`flag!`]. Callers have checked the pointer for NULL.
macro_rules! read_opts {
    ($p:expr, $ty:ty, $what:literal, $default_fn:literal, |$r:ident| $body:expr) => {{
        let p: *const $ty = $p;
        // SAFETY: `p` is non-NULL (checked by the callers) and points to a struct whose
        // `struct_size` is readable (the callers' contract).
        unsafe { $crate::args::check_struct_size(p, $what, $default_fn) }?;
        let $r = p;
        $body
    }};
}

/// Reads field `f` of `*p` (a plain integer, float or pointer).
macro_rules! field {
    ($p:expr, $f:ident) => {
        // SAFETY: `$p` points to a whole readable struct (struct_size checked by read_opts!).
        unsafe { std::ptr::addr_of!((*$p).$f).read() }
    };
}

/// Reads bool field `f` of `*p` as a byte (any non-zero value is true).
macro_rules! flag {
    ($p:expr, $f:ident) => {
        // SAFETY: as for field!, read as a byte: any value is valid.
        unsafe { std::ptr::addr_of!((*$p).$f).cast::<u8>().read() != 0 }
    };
}

pub(crate) use {field, flag, read_opts};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::agentdb_status::{AGENTDB_DIMENSION_MISMATCH, AGENTDB_INVALID_ARGUMENT, AGENTDB_NULL_POINTER};

    #[test]
    fn batch_counts_are_checked_before_the_arrays() {
        assert_eq!(batch(0, "records", &[("ids", true)]).unwrap(), 0);
        assert_eq!(batch(AGENTDB_MAX_BATCH, "records", &[("ids", false)]).unwrap(), AGENTDB_MAX_BATCH);
        for n in [AGENTDB_MAX_BATCH + 1, 1 << 40, 1 << 61, usize::MAX] {
            let fail = batch(n, "memories", &[("vectors", true)]).unwrap_err();
            assert_eq!(fail.status, AGENTDB_INVALID_ARGUMENT);
            assert!(fail.message.contains("AGENTDB_MAX_BATCH") && fail.message.contains(&n.to_string()), "{}", fail.message);
        }
        let fail = batch(3, "records", &[("ids", false), ("vectors", true)]).unwrap_err();
        assert_eq!(fail.status, AGENTDB_NULL_POINTER);
        assert_eq!(fail.message, "vectors is NULL for n = 3 records");
    }

    #[test]
    fn arrays_with_a_huge_count_are_not_read() {
        let one = [c"a".as_ptr()];
        // SAFETY: the count is refused before the array is read (that is what is tested).
        let fail = unsafe { str_array(one.as_ptr(), 1 << 40, "ids") }.unwrap_err();
        assert_eq!(fail.status, AGENTDB_INVALID_ARGUMENT);
        // SAFETY: as above.
        let fail = unsafe { opt_ids(std::ptr::null(), 1 << 61) }.unwrap_err();
        assert_eq!(fail.status, AGENTDB_INVALID_ARGUMENT);
        let v = [1.0f32; 3];
        // SAFETY: as above: the dimension is refused before the floats are read.
        let fail = unsafe { floats_arg(v.as_ptr(), 1, 1 << 40, "query") }.unwrap_err();
        assert_eq!(fail.status, AGENTDB_DIMENSION_MISMATCH);
        // SAFETY: as above.
        let fail = unsafe { batch_vectors(v.as_ptr(), 3, 0, "memories") }.unwrap_err();
        assert_eq!(fail.status, AGENTDB_INVALID_ARGUMENT);
        // SAFETY: `v` holds 3 floats: one row of 3.
        assert_eq!(unsafe { batch_vectors(v.as_ptr(), 1, 3, "records") }.unwrap(), &v[..]);
    }

    #[test]
    fn string_lengths() {
        let long = std::ffi::CString::new("x".repeat(AGENTDB_MAX_ID_LEN + 1)).unwrap();
        let ok = std::ffi::CString::new("x".repeat(AGENTDB_MAX_ID_LEN)).unwrap();
        let ids = [ok.as_ptr(), long.as_ptr()];
        // SAFETY: two valid NUL-terminated strings.
        let fail = unsafe { id_array(ids.as_ptr(), 2, "ids") }.unwrap_err();
        assert_eq!(fail.status, AGENTDB_INVALID_ARGUMENT);
        assert!(fail.message.starts_with("ids[1] is 1025 bytes long"), "{}", fail.message);
        // SAFETY: as above; lookups have no length limit.
        assert_eq!(unsafe { str_array(ids.as_ptr(), 2, "ids") }.unwrap().len(), 2);
        // SAFETY: one valid string.
        assert_eq!(unsafe { id_array(ids.as_ptr(), 1, "ids") }.unwrap()[0].len(), AGENTDB_MAX_ID_LEN);
    }

    #[test]
    fn k_json_and_pages() {
        assert!(k_arg(0, "k").is_err() && k_arg(AGENTDB_MAX_K + 1, "k").is_err() && k_arg(usize::MAX, "k").is_err());
        assert_eq!(k_arg(AGENTDB_MAX_K, "k").unwrap(), AGENTDB_MAX_K);
        assert_eq!(k_arg(1, "k").unwrap(), 1);
        assert!(json_len(&" ".repeat(16), "metadata_json").is_ok());
        assert_eq!(metadata_arg("[{}, null]", 2, "records").unwrap().len(), 2);
        let fail = metadata_arg("[{}, null]", 3, "records").unwrap_err();
        assert_eq!((fail.status, fail.message.as_str()), (AGENTDB_INVALID_ARGUMENT, "metadata_json has 2 entries for n = 3 records"));
        assert_eq!(page_arg(0, 5).unwrap(), (None, 5));
        assert_eq!(page_arg(usize::MAX, 5).unwrap(), (Some(i64::MAX as usize - 5), 5));
        assert_eq!(page_arg(10, 5).unwrap(), (Some(10), 5));
        assert!(page_arg(1, usize::MAX).is_err());
    }
}
