"""One way for every algorithm's parameter dataclass to load from a mapping or a TOML file."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any


class TomlParams:
    """Mixin for parameter dataclasses: :meth:`from_dict` and :meth:`from_file`.

    A subclass names its TOML table: ``class VNSParams(TomlParams, section="vns")``. Files may hold the keys at
    top level or in that table; missing keys keep their defaults and unknown keys raise ``ValueError``.
    """

    _section: str = ""

    def __init_subclass__(cls, section: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if section:
            cls._section = section

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build from a mapping; unknown keys raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown {cls._section} parameter(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path):
        """Read a TOML file: keys at top level or in the class's table (e.g. ``[vns]``)."""
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return cls.from_dict(data.get(cls._section, data))
