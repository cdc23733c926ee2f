"""storyhash: find syndicated copies and rewritten versions of news articles
and group them into stories.

- :func:`cluster` clusters a whole Arrow table in this process (pyarrow,
  Polars, DuckDB results: anything that exports an Arrow stream), texts read
  from the Arrow buffers without copies, and gives exactly what the Rust
  ``Clusterer`` (and the ``storyhash`` command) gives.
- :class:`Stages` holds the stage kernels, Arrow record batch in, batch out,
  for an engine; :mod:`storyhash.spark` drives them on Spark.
- :class:`Config` carries every knob with the Rust defaults.

Errors are :class:`StoryhashError`: :class:`ConfigError` for a bad
configuration value, :class:`InputError` for input it cannot use; the message
is the library's.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Mapping, Optional

import pyarrow as pa

from . import _native
from ._native import (
    BucketPairer,
    ConfigError,
    InputError,
    StoryhashError,
    components,
    language_code,
)

__all__ = [
    "BucketPairer",
    "Config",
    "ConfigError",
    "InputError",
    "Stages",
    "StoryhashError",
    "cluster",
    "components",
    "language_code",
]


def _merge(base: dict, overrides: Mapping[str, Any], path: str = "") -> None:
    for key, value in overrides.items():
        if key not in base:
            raise ConfigError(f"invalid configuration: {path}{key}: no such field")
        if isinstance(base[key], dict) and isinstance(value, Mapping):
            _merge(base[key], value, f"{path}{key}.")
        else:
            base[key] = value


class Config:
    """Every knob of both tiers, with the Rust defaults.

    Sections and fields are the Rust ``Config``'s: ``sketch``, ``copies``,
    ``stories``, ``limits``. Give the ones to change, as mappings::

        Config(stories={"threshold": 0.25}, copies={"jaccard": 0.4})

    A value out of range raises :class:`ConfigError` naming the field.
    """

    def __init__(self, overrides: Optional[Mapping[str, Any]] = None, **sections: Any) -> None:
        self._data = json.loads(_native.default_config())
        _merge(self._data, dict(overrides or {}, **sections))
        _native.validate_config(self.to_json())

    def to_dict(self) -> dict:
        """The configuration as nested dictionaries (a copy)."""
        return copy.deepcopy(self._data)

    def to_json(self) -> str:
        """The configuration as JSON, as the Rust ``Config`` serialises."""
        return json.dumps(self._data)

    def __getitem__(self, section: str) -> dict:
        return copy.deepcopy(self._data[section])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self._data == other._data

    def __repr__(self) -> str:
        return f"Config({self._data!r})"


def _config_json(config: Optional[Config]) -> Optional[str]:
    if config is None:
        return None
    if not isinstance(config, Config):
        raise TypeError("config must be a storyhash.Config")
    return config.to_json()


def cluster(
    data: Any,
    id: str = "id",
    text: str = "text",
    title: Optional[str] = None,
    date: Optional[str] = None,
    config: Optional[Config] = None,
) -> pa.Table:
    """Clusters every row of ``data`` into copy groups and stories.

    ``data`` is a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``,
    or anything exporting an Arrow stream (``__arrow_c_stream__``: Polars,
    DuckDB). ``id`` names a string or integer column of unique ids, ``text``
    the texts; ``title`` and ``date`` optional columns (a date as text in one
    of the formats the library reads, or a date or timestamp column).

    Returns a table with one row per input row, in input order: ``id``,
    ``copy`` (the copy group's id: its smallest member id), ``story`` (the
    story's id), ``basis`` (why the row is in its copy group:
    ``representative``, ``identical``, ``jaccard``, ``containment``),
    ``copy_similarity`` and ``story_similarity``. The result does not depend
    on the order of the rows or the number of threads.
    """
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    batch = _native.cluster(data, id, text, title, date, _config_json(config))
    return pa.Table.from_batches([batch])


#: The stage kernels of one configuration (``Stages(config)``, a
#: :class:`Config` or nothing for the defaults), for an engine: each method
#: takes ``pyarrow.RecordBatch``es with the named columns and returns one
#: (see ``storyhash::stages`` in the Rust documentation for the contract).
#: Instances pickle, so executors get them with the functions that use them.
Stages = _native.Stages
