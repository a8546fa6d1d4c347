//! The engine's data types: metadata values, collection schemas, the records written and read,
//! filters, and Arrow input. Above the kernels; below everything that stores or searches.

pub(crate) mod arrow_in;
pub(crate) mod filter;
pub(crate) mod fusion;
pub(crate) mod records;
pub(crate) mod schema;
pub(crate) mod text;
pub(crate) mod value;
