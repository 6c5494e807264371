"""A string column stored as indices into a few distinct values, with sparse per-row overrides.

Generated columns repeat a small set of values (product HTS codes, manufacturer names) across millions
of rows; keeping indices and turning them into Arrow with one `take` is far cheaper than building a
Python string per row. Injected problems overwrite single rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


class IndexedColumn:
    """values[indices[row]] for every row, except rows in `overrides`."""

    def __init__(self, values: Sequence[str] | np.ndarray, indices: np.ndarray) -> None:
        self.values = list(values)
        self.indices = np.asarray(indices)
        self.overrides: dict[int, str] = {}

    def __getitem__(self, row: int) -> str:
        return self.overrides.get(int(row), self.values[self.indices[row]])

    def __setitem__(self, row: int, value: str) -> None:
        self.overrides[int(row)] = value

    def to_arrow(self) -> pa.Array:
        """The whole column as an Arrow string array."""
        rows = np.fromiter(self.overrides, dtype=np.int64, count=len(self.overrides))
        indices = self.indices.astype(np.int64, copy=True)
        indices[rows] = len(self.values) + np.arange(len(rows))
        dictionary = pa.array(self.values + list(self.overrides.values()), pa.string())
        return dictionary.take(pa.array(indices))
