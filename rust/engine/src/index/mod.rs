//! Vector indexes held in memory: index kinds and their parameters, the HNSW graph, the vector
//! mirror a collection searches, the vectors' storage (RAM or a mapped file), and the index file
//! that saves a graph between sessions. Knows nothing of Lance or of the log.

pub(crate) mod hnsw;
pub(crate) mod params;
pub(crate) mod index_file;
pub(crate) mod mirror;
pub(crate) mod vector_store;
