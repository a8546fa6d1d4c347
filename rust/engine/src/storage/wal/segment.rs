//! The log's on-disk record format: framing, checksums, and the scan of a segment that tells a torn
//! tail (dropped) from damage in the middle (an error).

use super::*;

pub(super) fn segment_name(start: u64) -> String {
    format!("{start:020}.wal")
}

pub(super) fn corrupt(path: &Path, offset: u64, why: &str) -> Error {
    Error::storage(format!(
        "the write-ahead log {} is damaged at byte {offset} ({why}); acknowledged writes may follow it, \
         so the database does not open (restore the file, or move it away to open without its records)",
        path.display()
    ))
}

pub(super) fn encode(out: &mut Vec<u8>, lsn: u64, stream: &str, payload: &[u8]) {
    let body_len = 8 + 2 + stream.len() + payload.len();
    let start = out.len();
    out.reserve(HEADER + body_len);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&(stream.len() as u16).to_le_bytes());
    out.extend_from_slice(stream.as_bytes());
    out.extend_from_slice(payload);
    let crc = crc32c(&out[start + HEADER..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// A record that parses at `pos` of `data`: its body range, or why not.
pub(super) fn parse_at(data: &[u8], pos: usize) -> std::result::Result<(u64, std::ops::Range<usize>), &'static str> {
    if data.len() - pos < HEADER {
        return Err("a record header is cut short");
    }
    let len = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap_or_default()) as usize;
    let crc = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap_or_default());
    if !(10..=MAX_RECORD_BYTES + 1024).contains(&len) {
        return Err("a record length is impossible");
    }
    if data.len() - pos - HEADER < len {
        return Err("a record is cut short");
    }
    let body = pos + HEADER..pos + HEADER + len;
    if crc32c(&data[body.clone()]) != crc {
        return Err("a record checksum does not match");
    }
    let lsn = u64::from_le_bytes(data[body.start..body.start + 8].try_into().unwrap_or_default());
    Ok((lsn, body))
}

/// One record of a segment, as [`scan_segment`] finds it.
#[derive(Debug)]
pub(crate) struct Found<'a> {
    /// Where the record starts in the segment.
    pub offset: usize,
    pub lsn: u64,
    pub stream: &'a str,
    pub payload: &'a [u8],
}

/// Reads the records of one segment's bytes (`data`, magic included). `prev` is the LSN of the
/// last record before this segment: LSNs must go up. Returns the records, and for the last
/// segment (`is_last`) where a torn tail or the zeros written ahead begin (`None`: the records
/// run to the end). `Err((offset, why))`: the segment is damaged where acknowledged records may
/// be, or holds a record whose checksum is valid but whose content is impossible (such a record
/// was written whole, so it is never mistaken for a torn tail and cut off).
pub(crate) fn scan_segment(
    data: &[u8],
    is_last: bool,
    mut prev: u64,
) -> std::result::Result<(Vec<Found<'_>>, Option<usize>), (usize, &'static str)> {
    if data.len() < SEGMENT_MAGIC.len() || &data[..SEGMENT_MAGIC.len()] != SEGMENT_MAGIC {
        return Err((0, "it does not start like a log segment"));
    }
    let mut found = Vec::new();
    let mut pos = SEGMENT_MAGIC.len();
    while pos < data.len() {
        match parse_at(data, pos) {
            Ok((lsn, body)) => {
                if lsn <= prev {
                    return Err((pos, "LSNs go backwards"));
                }
                if lsn > MAX_LSN {
                    return Err((pos, "a record's LSN is impossibly large"));
                }
                let slen = u16::from_le_bytes([data[body.start + 8], data[body.start + 9]]) as usize;
                let Some(name) = data.get(body.start + 10..body.start + 10 + slen).filter(|_| 10 + slen <= body.len()) else {
                    return Err((pos, "a record's stream name is longer than the record"));
                };
                let stream = std::str::from_utf8(name).map_err(|_| (pos, "a stream name is not UTF-8"))?;
                if stream.is_empty() {
                    return Err((pos, "a record has an empty stream name"));
                }
                found.push(Found { offset: pos, lsn, stream, payload: &data[body.start + 10 + slen..body.end] });
                prev = lsn;
                pos = body.end;
            }
            Err(why) => {
                if !is_last || valid_record_after(data, pos, prev) {
                    return Err((pos, why));
                }
                // The zeros written ahead of the log's end, or a torn tail (the append that wrote
                // it never returned).
                return Ok((found, Some(pos)));
            }
        }
    }
    Ok((found, None))
}

/// Whether any valid record (with an LSN after `after`) starts after `pos`: tells a torn tail
/// (nothing follows) from damage in the middle of the log (acknowledged records follow).
pub(super) fn valid_record_after(data: &[u8], pos: usize, after: u64) -> bool {
    (pos + 1..data.len().saturating_sub(HEADER - 1)).any(|p| matches!(parse_at(data, p), Ok((lsn, _)) if lsn > after))
}
