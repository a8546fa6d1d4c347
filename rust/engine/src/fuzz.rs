//! Entry points for fuzz targets (cargo-fuzz): each runs the engine's real decoder of one kind of
//! untrusted file on arbitrary bytes. Whatever the bytes, they return; a panic or an abort
//! (a failed allocation included) is a bug in the decoder, not in the target.
//!
//! Not part of the API (hidden from the docs, no stability promise).

use std::path::Path;

/// The filter compiler on `bytes` as a SQL filter text: whatever it accepts must render to SQL
/// that reads back as the same tree, alone and combined with an id list.
pub fn filter_sql(bytes: &[u8]) {
    crate::types::filter::fuzzing::filter_sql(bytes);
}

/// The filter compiler on `bytes` as a JSON dict filter, with the same round-trip property.
pub fn filter_json(bytes: &[u8]) {
    crate::types::filter::fuzzing::filter_json(bytes);
}

/// The write-ahead log's decoders: `bytes` as the content of the log's last segment (the record
/// framing: lengths, checksums, LSNs, stream names, the torn-tail rule), then the payload of
/// every record found through the decoder of its stream (a collection's rows, the agent state's
/// operations); and `bytes` itself through both payload decoders, which a fuzzer could otherwise
/// only reach through a valid CRC.
pub fn wal_decode(bytes: &[u8]) {
    if let Ok((found, _)) = crate::storage::wal::scan_segment(bytes, true, 0) {
        for f in found {
            if f.stream.starts_with(crate::collection::buffer::STREAM_PREFIX) {
                let _ = crate::collection::buffer::decode(f.payload);
            } else {
                let _ = crate::state::ops::decode(f.payload);
            }
        }
    }
    let _ = crate::collection::buffer::decode(bytes);
    let _ = crate::state::ops::decode(bytes);
}

/// The HNSW index file's loader: `bytes` as a saved `<name>.hnsw`, expected to match the shape
/// its own header states (so the fuzzer gets past the header to the rows); an index that loads
/// is searched once, so a graph that passes the checks must also be walkable. Then `bytes` as
/// the text of `<name>.index.json`.
pub fn index_load(bytes: &[u8]) {
    let expect = crate::index::index_file::expected_from_header(bytes);
    if let Ok(mirror) = crate::index::index_file::parse(bytes, &expect, None) {
        let query = vec![0.5f32; expect.dim];
        let _ = mirror.search_where(&query, 10, 32, &|_: &str| true);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = crate::index::index_file::parse_params(Path::new("fuzz.index.json"), text);
    }
}

/// The metadata JSON parser ([`crate::Value::from_json`]: how C and Zig send metadata, dict
/// filters and state values). Invalid UTF-8 is read lossily, so every input reaches the parser. A
/// value it accepts nests at most [`crate::types::value::MAX_VALUE_DEPTH`] levels and comes back equal
/// through `to_json` and `from_json` again (what a C caller reads back parses as what it wrote);
/// the metadata rules (keys, value types) then run on every entry of an accepted map.
pub fn metadata_json(bytes: &[u8]) {
    use crate::types::value::{Value, MAX_VALUE_DEPTH};
    let text = String::from_utf8_lossy(bytes);
    let Ok(value) = Value::from_json(&text) else { return };
    let depth = value.depth();
    assert!(depth <= MAX_VALUE_DEPTH, "accepted a value nested {depth} levels deep");
    let written = value.to_json().to_string();
    match Value::from_json(&written) {
        Ok(back) => assert_eq!(back, value, "the value changed through to_json: {written}"),
        Err(e) => panic!("the JSON written for an accepted value does not parse: {written}: {e}"),
    }
    if let Value::Map(entries) = &value {
        for (key, v) in entries {
            let _ = crate::types::value::validate_key(key);
            let _ = v.meta_type();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry points on the shapes the fuzz corpora start from: nothing, a short header, the
    /// huge counts of issue 22 (with and without a valid checksum), and random bytes.
    #[test]
    fn entry_points_survive_crafted_and_random_bytes() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"AGDBWAL1".to_vec(), b"AGDBHNS2".to_vec()];
        // A WAL segment with one record of a huge length, and one with a valid CRC but garbage.
        let mut seg = b"AGDBWAL1".to_vec();
        seg.extend_from_slice(&u32::MAX.to_le_bytes());
        seg.extend_from_slice(&[0; 4]);
        inputs.push(seg);
        let mut seg = b"AGDBWAL1".to_vec();
        let body: Vec<u8> = [1u64.to_le_bytes().as_slice(), &5u16.to_le_bytes(), b"state", &[0xFF; 40]].concat();
        seg.extend_from_slice(&(body.len() as u32).to_le_bytes());
        seg.extend_from_slice(&crate::util::checksum::crc32c(&body).to_le_bytes());
        seg.extend_from_slice(&body);
        inputs.push(seg);
        // Payloads claiming 2^32 - 16 rows / ops.
        inputs.push([&[1u8][..], &0xFFFF_FFF0u32.to_le_bytes()].concat());
        inputs.push([&[1u8][..], &u64::MAX.to_le_bytes()].concat());
        for n in [1usize, 16, 64, 512, 4096] {
            inputs.push((0..n).map(|_| next() as u8).collect());
            let mut hns = b"AGDBHNS2".to_vec();
            hns.extend((0..n).map(|_| next() as u8));
            inputs.push(hns);
            let mut hns = b"AGDBHNS3".to_vec();
            hns.extend((0..n).map(|_| next() as u8));
            inputs.push(hns);
        }
        for bytes in &inputs {
            wal_decode(bytes);
            index_load(bytes);
        }
    }
}
