//! Where a collection's vector mirror keeps its `f32` rows: in anonymous memory, or in a
//! memory-mapped cache file.
//!
//! Anonymous memory is the fastest and is what every collection uses by default. A collection whose
//! HNSW index is int8-quantized walks its graph on the `i8` codes and reads `f32` rows only to
//! re-rank a few candidates (and for exact scans), so its rows go to a file mapping
//! ([`MappedF32`]): the OS pages them in on demand and can evict them, and the int8 index saves the
//! memory it promises. The rows are a cache of what Lance stores, so the file is rebuilt on every
//! load and never read back on its own.

use std::path::Path;

use crate::kernels::mapped::MappedF32;

pub(crate) enum VectorStore {
    /// Rows in a `Vec` (anonymous memory).
    Ram(Vec<f32>),
    /// Rows in a memory-mapped file (page cache), removed when the store is dropped.
    File(MappedF32),
}

impl VectorStore {
    pub fn as_slice(&self) -> &[f32] {
        match self {
            VectorStore::Ram(v) => v,
            VectorStore::File(m) => m.as_slice(),
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        match self {
            VectorStore::Ram(v) => v,
            VectorStore::File(m) => m.as_mut_slice(),
        }
    }

    #[cfg(test)]
    pub fn is_file_backed(&self) -> bool {
        matches!(self, VectorStore::File(_))
    }

    /// Appends rows. When the file cannot grow (a full disk), the rows move to RAM instead: the
    /// mirror follows writes Lance has already committed, and a cache must not fail them.
    pub fn extend_from_slice(&mut self, rows: &[f32]) {
        match self {
            VectorStore::Ram(v) => v.extend_from_slice(rows),
            VectorStore::File(m) => {
                if m.extend_from_slice(rows).is_err() {
                    let mut v = Vec::with_capacity(m.len() + rows.len());
                    v.extend_from_slice(m.as_slice());
                    v.extend_from_slice(rows);
                    *self = VectorStore::Ram(v);
                }
            }
        }
    }

    /// Keeps the first `len` values.
    pub fn truncate(&mut self, len: usize) {
        match self {
            VectorStore::Ram(v) => v.truncate(len),
            VectorStore::File(m) => m.truncate(len),
        }
    }

    /// Moves the rows to a new mapped file at `path` (replacing any file there). If the file
    /// cannot be made, the rows stay in RAM: slower to evict, but just as correct.
    pub fn move_to_file(&mut self, path: &Path) {
        let VectorStore::Ram(v) = self else { return };
        let Ok(mut m) = MappedF32::create(path, v.len()) else { return };
        if m.extend_from_slice(v).is_ok() {
            *self = VectorStore::File(m);
        }
    }

    /// Moves the rows back to RAM (the file is removed).
    pub fn move_to_ram(&mut self) {
        if let VectorStore::File(m) = self {
            *self = VectorStore::Ram(m.as_slice().to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_ram_stores_hold_the_same_rows_through_moves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.vectors.f32");
        let rows: Vec<f32> = (0..3000).map(|i| i as f32 / 7.0).collect();
        let mut ram = VectorStore::Ram(Vec::new());
        let mut file = VectorStore::Ram(Vec::new());
        file.move_to_file(&path);
        assert!(file.is_file_backed() && path.exists());
        for chunk in rows.chunks(700) {
            ram.extend_from_slice(chunk);
            file.extend_from_slice(chunk);
        }
        for store in [&mut ram, &mut file] {
            store.as_mut_slice()[10..20].fill(-1.0);
            store.as_mut_slice().copy_within(2000..2100, 50);
            store.truncate(2500);
        }
        assert!(file.is_file_backed());
        assert_eq!(file.as_slice(), ram.as_slice());
        file.move_to_ram();
        assert!(!file.is_file_backed() && !path.exists());
        assert_eq!(file.as_slice(), ram.as_slice());
        ram.move_to_file(&path);
        assert!(ram.is_file_backed() && path.exists());
        assert_eq!(file.as_slice(), ram.as_slice());
        drop(ram);
        assert!(!path.exists());
    }

    #[test]
    fn rows_stay_in_ram_when_the_file_cannot_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = VectorStore::Ram(vec![1.0, 2.0]);
        store.move_to_file(&dir.path().join("missing").join("c.vectors.f32"));
        assert!(!store.is_file_backed());
        assert_eq!(store.as_slice(), &[1.0, 2.0]);
    }
}
