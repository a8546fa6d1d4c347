//! The kinds of vector index a collection can have and their parameters, with their validation:
//! the one place bindings get index names, defaults and error messages from.



/// The kinds of vector index a collection can have. Bindings parse user text with
/// [`std::str::FromStr`], so the list of kinds and its error message live here only. An index
/// built without a kind is HNSW ([`IndexKind::default`]), the fastest while the vectors fit in
/// memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexKind {
    /// AgentDB's in-memory HNSW graph ([`HnswParams`]).
    #[default]
    Hnsw,
    /// Lance's own IVF_PQ index ([`IvfPqParams`]): on disk, for collections larger than memory.
    IvfPq,
}

impl IndexKind {
    pub const ALL: &'static [IndexKind] = &[IndexKind::Hnsw, IndexKind::IvfPq];

    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Hnsw => "hnsw",
            IndexKind::IvfPq => "ivf_pq",
        }
    }
}

impl std::str::FromStr for IndexKind {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        IndexKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            let supported: Vec<String> = IndexKind::ALL.iter().map(|k| format!("'{}'", k.as_str())).collect();
            crate::error::Error::invalid_argument(format!(
                "unsupported index kind '{s}'; supported kinds: {}",
                supported.join(", ")
            ))
        })
    }
}

/// How an HNSW index stores the vectors it walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantization {
    /// The `f32` vectors themselves.
    #[default]
    None,
    /// `i8` codes for the graph walk, `f32` for the final ranking.
    Int8,
    /// RaBitQ (Gao & Long, 2024): one bit per dimension of the randomly rotated residual from
    /// the centroid, plus two scalars per vector; the walk scores neighbours with the unbiased
    /// distance estimate (popcount kernels, the query quantized to 4 bits), and the candidates
    /// whose error bound can still beat the k-th are re-ranked in `f32`.
    RaBitQ,
    /// Extended RaBitQ (Gao et al., 2025) with 2 bits per dimension: the same rotation, centroid
    /// and bound-ordered re-rank as [`Quantization::RaBitQ`], each vector's rotated residual
    /// rounded to a 4-level grid rescaled per vector, scored against the query quantized to
    /// 8 bits.
    RaBitQ2,
    /// Extended RaBitQ with 4 bits per dimension (see [`Quantization::RaBitQ2`]).
    RaBitQ4,
    /// Extended RaBitQ with 8 bits per dimension (see [`Quantization::RaBitQ2`]).
    RaBitQ8,
}

impl Quantization {
    pub const ALL: &'static [Quantization] = &[
        Quantization::None,
        Quantization::Int8,
        Quantization::RaBitQ,
        Quantization::RaBitQ2,
        Quantization::RaBitQ4,
        Quantization::RaBitQ8,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::Int8 => "int8",
            Quantization::RaBitQ => "rabitq",
            Quantization::RaBitQ2 => "rabitq2",
            Quantization::RaBitQ4 => "rabitq4",
            Quantization::RaBitQ8 => "rabitq8",
        }
    }

    /// Bits per dimension of a RaBitQ mode's codes (1 for [`Quantization::RaBitQ`]); `None` for
    /// the other modes.
    pub fn rabitq_bits(self) -> Option<u32> {
        match self {
            Quantization::RaBitQ => Some(1),
            Quantization::RaBitQ2 => Some(2),
            Quantization::RaBitQ4 => Some(4),
            Quantization::RaBitQ8 => Some(8),
            Quantization::None | Quantization::Int8 => None,
        }
    }

    /// Whether the graph walk reads codes rather than the `f32` rows, so the rows can live in a
    /// memory-mapped file (read only to re-rank and for exact scans).
    pub fn walks_codes(self) -> bool {
        self != Quantization::None
    }
}

impl std::str::FromStr for Quantization {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        Quantization::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            let supported: Vec<String> = Quantization::ALL.iter().map(|k| format!("'{}'", k.as_str())).collect();
            crate::error::Error::invalid_argument(format!(
                "unsupported quantization '{s}'; supported: {}",
                supported.join(", ")
            ))
        })
    }
}

/// HNSW build parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    /// Links per node on the upper layers (twice as many on layer 0). 2–128, default 16.
    pub m: usize,
    /// Candidate list size while building; larger builds slower and finds better links. Default 200.
    pub ef_construction: usize,
    /// Vectors the graph walk compares: `f32` (default), `i8` codes or RaBitQ codes (1, 2, 4 or
    /// 8 bits per dimension).
    pub quantization: Quantization,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams { m: 16, ef_construction: 200, quantization: Quantization::None }
    }
}

/// Build parameters of Lance's IVF_PQ index. 0 means "chosen from the data".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IvfPqParams {
    /// IVF partitions (k-means clusters); 0: about √rows.
    pub partitions: usize,
    /// PQ sub-vectors (must divide the dimension); 0: Lance's default for the dimension.
    pub sub_vectors: usize,
}

/// A collection's vector index and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexParams {
    Hnsw(HnswParams),
    IvfPq(IvfPqParams),
}

impl IndexParams {
    pub fn kind(&self) -> IndexKind {
        match self {
            IndexParams::Hnsw(_) => IndexKind::Hnsw,
            IndexParams::IvfPq(_) => IndexKind::IvfPq,
        }
    }
}

/// The options of `create_index` as a binding receives them (`None`: the default).
#[derive(Debug, Clone, Default)]
pub struct IndexOptions<'a> {
    pub m: Option<usize>,
    pub ef_construction: Option<usize>,
    pub quantization: Option<&'a str>,
    pub partitions: Option<usize>,
    pub sub_vectors: Option<usize>,
}

impl IndexParams {
    /// The parameters of an index of `kind` (user text, see [`IndexKind`]) from loose options.
    /// An option that does not apply to the kind is an `InvalidArgument` (a typo'd intent is not
    /// silently ignored); ranges are checked by `Collection::create_index`.
    pub fn from_options(kind: &str, o: &IndexOptions<'_>) -> crate::error::Result<IndexParams> {
        let kind: IndexKind = kind.parse()?;
        let misplaced = |name: &str| {
            crate::error::Error::invalid_argument(format!("{name} does not apply to an index of kind '{}'", kind.as_str()))
        };
        match kind {
            IndexKind::Hnsw => {
                if o.partitions.is_some() {
                    return Err(misplaced("partitions"));
                }
                if o.sub_vectors.is_some() {
                    return Err(misplaced("sub_vectors"));
                }
                let d = HnswParams::default();
                Ok(IndexParams::Hnsw(HnswParams {
                    m: o.m.unwrap_or(d.m),
                    ef_construction: o.ef_construction.unwrap_or(d.ef_construction),
                    quantization: o.quantization.map(str::parse).transpose()?.unwrap_or_default(),
                }))
            }
            IndexKind::IvfPq => {
                for (name, set) in
                    [("m", o.m.is_some()), ("ef_construction", o.ef_construction.is_some()), ("quantization", o.quantization.is_some())]
                {
                    if set {
                        return Err(misplaced(name));
                    }
                }
                Ok(IndexParams::IvfPq(IvfPqParams {
                    partitions: o.partitions.unwrap_or(0),
                    sub_vectors: o.sub_vectors.unwrap_or(0),
                }))
            }
        }
    }
}

impl From<HnswParams> for IndexParams {
    fn from(p: HnswParams) -> Self {
        IndexParams::Hnsw(p)
    }
}

impl From<IvfPqParams> for IndexParams {
    fn from(p: IvfPqParams) -> Self {
        IndexParams::IvfPq(p)
    }
}
