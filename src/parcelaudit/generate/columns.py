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

    def to_arrow(self, start: int = 0, stop: int | None = None) -> pa.Array:
        """The column's rows [start, stop) (the whole column by default) as an Arrow string array."""
        indices = self.indices[start:stop].astype(np.int64, copy=True)
        stop = len(self.indices) if stop is None else stop
        overrides = [(row, value) for row, value in self.overrides.items() if start <= row < stop]
        rows = np.fromiter((row - start for row, _ in overrides), dtype=np.int64, count=len(overrides))
        indices[rows] = len(self.values) + np.arange(len(rows))
        dictionary = pa.array(self.values + [value for _, value in overrides], pa.string())
        return dictionary.take(pa.array(indices))
