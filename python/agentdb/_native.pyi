"""Type stub of the native extension ``agentdb._native`` (Rust, PyO3; source in rust/python/src).

Internal: use :mod:`agentdb` (``agentdb.connect``), which wraps these classes. Errors are raised
as the classes of :mod:`agentdb.errors`.
"""

from os import PathLike
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str
MAX_DIM: int
MAX_K: int
MAX_NAME_LEN: int
MAX_ID_LEN: int
#: engine error code → class name in agentdb.errors
ERROR_CLASSES: Dict[int, str]

_Filter = Union[str, Mapping[str, Any], None]
_Metadata = Dict[str, Any]
#: (ids, distances float32 (n,), documents, metadata)
_RawSearch = Tuple[List[str], npt.NDArray[np.float32], List[Optional[str]], List[_Metadata]]
#: (ids, vectors float32 (n, dim), documents, metadata)
_RawGet = Tuple[List[str], npt.NDArray[np.float32], List[Optional[str]], List[_Metadata]]

class Database:
    def __init__(self, path: Union[str, PathLike[str]]) -> None: ...
    @property
    def path(self) -> Path: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def create_collection(self, name: str, dim: int, metric: str) -> Collection: ...
    def get_collection(self, name: str) -> Collection: ...
    def get_or_create_collection(self, name: str, dim: int, metric: str) -> Collection: ...
    def list_collections(self) -> List[str]: ...
    def drop_collection(self, name: str) -> None: ...

class Collection:
    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str: ...
    def metadata_schema(self) -> List[Tuple[str, str]]: ...
    def add(
        self,
        ids: Sequence[str],
        vectors: Any,
        documents: Optional[Sequence[Optional[str]]] = None,
        metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> None: ...
    def upsert(
        self,
        ids: Sequence[str],
        vectors: Any,
        documents: Optional[Sequence[Optional[str]]] = None,
        metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> None: ...
    def add_arrow(self, data: Any, upsert: bool) -> None: ...
    def get(
        self,
        ids: Optional[Sequence[str]] = None,
        filter: _Filter = None,
        limit: Optional[int] = None,
        offset: int = 0,
    ) -> _RawGet: ...
    def delete(self, ids: Optional[Sequence[str]] = None, filter: _Filter = None) -> int: ...
    def count(self, filter: _Filter = None) -> int: ...
    def search(
        self,
        query: Any,
        k: int,
        filter: _Filter = None,
        ef: Optional[int] = None,
        exact: bool = False,
        threads: Optional[int] = None,
        ids_only: bool = False,
    ) -> _RawSearch: ...
    def search_batch(
        self,
        queries: Any,
        k: int,
        filter: _Filter = None,
        ef: Optional[int] = None,
        exact: bool = False,
        threads: Optional[int] = None,
        ids_only: bool = False,
    ) -> List[_RawSearch]: ...
    def create_index(self, kind: str = "hnsw", m: int = 16, ef_construction: int = 200) -> None: ...
    def drop_index(self) -> None: ...
    #: (kind, m, ef_construction), or None without an index
    def index_params(self) -> Optional[Tuple[str, int, int]]: ...

# SIMD distance kernels (rust/python/src/distance.rs); wrapped by agentdb.distance, which
# normalises the arguments: a and b are C-contiguous arrays of the same dtype, float32, uint16
# (float16 bits) or int8 (uint8 for hamming), 1-D or 2-D. 1-D × 1-D → a scalar; 1-D × 2-D (either
# order) → (n,); 2-D × 2-D → (m, n).
def distance(
    a: npt.NDArray[Any], b: npt.NDArray[Any], metric: str, backend: Optional[str] = None
) -> Union[float, npt.NDArray[np.float32]]: ...
def hamming(
    a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], backend: Optional[str] = None
) -> Union[int, npt.NDArray[np.uint32]]: ...
#: (supported backend names, active backend name)
def kernel_backends() -> Tuple[List[str], str]: ...
