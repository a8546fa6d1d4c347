//! Memory the kernels scan, backed by a file: a growable array of `f32` in a shared memory map.
//!
//! The pages of a shared file mapping belong to the OS page cache, not to the process's anonymous
//! memory: the OS reads them in when they are touched and may write them back and evict them under
//! memory pressure. The engine keeps rows here that it only needs now and then (the `f32` rows an
//! int8 HNSW index re-ranks with), so they cost no unreclaimable memory.
//!
//! The file is scratch space owned by one [`MappedF32`]: [`MappedF32::create`] replaces whatever
//! was at the path (a leftover of a crash is never read), and dropping the array removes the file.
//! Its contents are never trusted on their own: the caller can always rebuild them.
//!
//! Growth works like `Vec`'s (the capacity doubles) except that it extends the file with written
//! zeros before mapping it again, so the disk blocks exist: a full disk is an `io::Error` at
//! growth, not a `SIGBUS` when a page of a sparse file is first written through the map.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use memmap2::MmapMut;

const F32_BYTES: usize = std::mem::size_of::<f32>();
/// The smallest capacity (one 4 KiB page of `f32`s): a map is never empty.
const MIN_CAPACITY: usize = 1024;
/// Zeros written per call while extending the file.
const ZEROS_PER_WRITE: usize = 1 << 20;

/// A growable `f32` array in a file mapped into memory (see the module documentation).
pub(crate) struct MappedF32 {
    path: PathBuf,
    file: File,
    /// The whole file, `capacity × 4` bytes.
    map: MmapMut,
    /// Elements in use (the rest of the map is zeros or old values).
    len: usize,
}

impl MappedF32 {
    /// An empty array with room for `capacity` elements in a new file at `path`, replacing any
    /// file there.
    ///
    /// The old file is removed rather than truncated: if some other `MappedF32` of this process
    /// still maps it, that mapping keeps its own (now nameless) file instead of losing its pages.
    pub fn create(path: &Path, capacity: usize) -> io::Result<MappedF32> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut file = OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
        match map_with_capacity(&mut file, capacity.max(MIN_CAPACITY)) {
            Ok(map) => Ok(MappedF32 { path: path.to_path_buf(), file, map, len: 0 }),
            Err(e) => {
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Elements the file holds room for.
    pub fn capacity(&self) -> usize {
        self.map.len() / F32_BYTES
    }

    pub fn as_slice(&self) -> &[f32] {
        // SAFETY: the map is aligned for `f32` (maps start on a page boundary; checked when it was
        // made); `len × 4 ≤ map.len()` is the struct's invariant, so the slice lies within the
        // mapping, which lives as long as `self`. Every bit pattern is a valid `f32`. Nothing else
        // writes the file (see `map_with_capacity`), so the memory does not change behind this
        // shared borrow.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().cast::<f32>(), self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: as in `as_slice`; the exclusive borrow of `self` makes this the only reference
        // into the mapping.
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr().cast::<f32>(), self.len) }
    }

    /// Appends `data`, growing the file (capacity doubled at least) when it is full.
    pub fn extend_from_slice(&mut self, data: &[f32]) -> io::Result<()> {
        let needed = self.len.checked_add(data.len()).ok_or_else(|| io::Error::other("mapped array too long"))?;
        if needed > self.capacity() {
            let capacity = needed.max(2 * self.capacity());
            self.map = map_with_capacity(&mut self.file, capacity)?;
        }
        let start = self.len;
        self.len = needed;
        self.as_mut_slice()[start..].copy_from_slice(data);
        Ok(())
    }

    /// Keeps the first `len` elements (the file keeps its size, like a `Vec` its capacity).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// Extends `file` to `capacity` elements and maps it whole. A current map of the file stays valid
/// until the caller replaces it, so on an error nothing has changed but the file's length.
fn map_with_capacity(file: &mut File, capacity: usize) -> io::Result<MmapMut> {
    let bytes = capacity.checked_mul(F32_BYTES).ok_or_else(|| io::Error::other("mapped array too long"))?;
    let mut at = file.seek(SeekFrom::End(0))? as usize;
    let zeros = vec![0u8; ZEROS_PER_WRITE.min(bytes.saturating_sub(at))];
    while at < bytes {
        let n = zeros.len().min(bytes - at);
        file.write_all(&zeros[..n])?;
        at += n;
    }
    // SAFETY: mapping a file is unsound if another mapping or process changes the file under it
    // (the slices handed out would change) or truncates it (accesses would fault). The file was
    // created new by `MappedF32::create` and only its `MappedF32` writes it, through this one map;
    // the engine creates these files only inside a database it holds the exclusive writer lock of
    // (read-only opens keep their rows in RAM), so no other process opens them; and the file only
    // ever grows.
    let map = unsafe { MmapMut::map_mut(&*file)? };
    if map.as_ptr().align_offset(std::mem::align_of::<f32>()) != 0 {
        return Err(io::Error::other("a file mapping is not aligned for f32"));
    }
    Ok(map)
}

impl Drop for MappedF32 {
    /// Removes the file: it is scratch space, and a file left behind would only be overwritten.
    /// A failure (say, a file another component already removed) is not worth a panic in `drop`.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n).map(|i| seed + i as f32 * 0.25).collect()
    }

    #[test]
    fn appends_overwrites_and_grows_across_remaps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.f32");
        let mut mapped = MappedF32::create(&path, 0).unwrap();
        let mut ram: Vec<f32> = Vec::new();
        assert_eq!(mapped.len(), 0);
        assert_eq!(mapped.capacity(), MIN_CAPACITY);
        // Batches of odd sizes cross several doublings (1024 → 2048 → … → 16384 elements).
        for batch in 0..40 {
            let data = values(301 + batch, batch as f32);
            mapped.extend_from_slice(&data).unwrap();
            ram.extend_from_slice(&data);
            assert_eq!(mapped.as_slice(), &ram[..]);
        }
        assert!(mapped.capacity() >= ram.len() && mapped.capacity() < 2 * ram.len() + MIN_CAPACITY);
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, mapped.capacity() * F32_BYTES);
        // Overwrites and moves go to the file.
        mapped.as_mut_slice()[5..9].copy_from_slice(&[-1.0, -2.0, -3.0, -4.0]);
        ram[5..9].copy_from_slice(&[-1.0, -2.0, -3.0, -4.0]);
        mapped.as_mut_slice().copy_within(100..200, 0);
        ram.copy_within(100..200, 0);
        assert_eq!(mapped.as_slice(), &ram[..]);
        // The bytes really are in the file, little-endian on the machines the engine runs on.
        mapped.map.flush().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let from_file: Vec<f32> =
            bytes[..ram.len() * F32_BYTES].chunks_exact(4).map(|b| f32::from_ne_bytes(b.try_into().unwrap())).collect();
        assert_eq!(from_file, ram);
        // Truncate, then append over the old values.
        mapped.truncate(10);
        mapped.extend_from_slice(&[7.0, 8.0]).unwrap();
        assert_eq!(mapped.as_slice(), &[&ram[..10], &[7.0, 8.0][..]].concat()[..]);
    }

    #[test]
    fn create_replaces_a_leftover_file_and_drop_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.f32");
        std::fs::write(&path, vec![0xffu8; 3 * 4096 + 5]).unwrap();
        let mapped = MappedF32::create(&path, 10).unwrap();
        assert_eq!(mapped.len(), 0);
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, MIN_CAPACITY * F32_BYTES);
        drop(mapped);
        assert!(!path.exists());
    }

    #[test]
    fn a_file_that_cannot_be_created_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(MappedF32::create(&dir.path().join("missing").join("rows.f32"), 10).is_err());
    }
}
