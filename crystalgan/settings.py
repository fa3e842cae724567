"""Typed settings, one frozen dataclass per config section, filled from the schema's defaults
(:func:`crystalgan.config.with_defaults`, their one source). A job gets the keys its rule passes
(those it reads) and the defaults for the others; stages take these objects, not dicts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from crystalgan.config import with_defaults
from crystalgan.errors import InputError


class Section:
    """A config section as a frozen dataclass; subclasses name their ``SECTION`` and list its
    keys as fields (a test checks them against the schema)."""

    SECTION: ClassVar[str]

    @classmethod
    def of(cls, values: dict | None = None, **changes):
        """The section from ``values`` (a config section, partial or whole) and ``changes``, the
        schema's defaults filling the rest; unknown keys are a ValueError naming them."""
        merged = with_defaults(cls.SECTION, {**(values or {}), **changes})
        names = {f.name for f in fields(cls)}
        if unknown := sorted(set(merged) - names):
            raise InputError(f"{cls.SECTION}: unknown key(s) {', '.join(unknown)}")
        return cls(**{f.name: _typed(f.type, merged[f.name]) for f in fields(cls)})

    def as_dict(self) -> dict[str, Any]:
        """The section as plain JSON values (model.json, checkpoints' resume key)."""
        return json_ready(dataclasses.asdict(self))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _typed(annotation: str, value):
    """A config value as its field stores it: nested sections as their dataclass, lists as tuples."""
    nested = {"Lambdas": Lambdas, "Distance": Distance}.get(annotation)
    if nested is not None:
        return nested(**value)
    return tuple(value) if isinstance(value, list) else value


def json_ready(value):
    """``value`` with tuples as lists (what a JSON round trip gives)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Curate(Section):
    SECTION: ClassVar[str] = "curate"
    max_atoms_per_species: int
    min_distance: float
    min_volume: float
    max_file_mb: float
    deduplicate: bool
    min_structures: int


@dataclass(frozen=True, kw_only=True)
class Lambdas:
    l1: float
    l2: float
    l3: float
    l4: float
    l5: float
    l6: float
    volume: float
    abc: float


@dataclass(frozen=True, kw_only=True)
class Train(Section):
    SECTION: ClassVar[str] = "train"
    epochs: int
    batch_size: int
    learning_rate: float
    beta1: float
    hidden_layers: int
    hidden_units: int
    residual: bool
    reconstruction: str
    generator_steps: int
    input_noise: float
    checkpoint_every: int
    adversarial: str
    gradient_penalty: float
    critic_steps: int
    augment: tuple[str, ...]
    lambdas: Lambdas


@dataclass(frozen=True, kw_only=True)
class Distance:
    inter: float
    intra: float
    offset: float


@dataclass(frozen=True, kw_only=True)
class Geometry(Section):
    SECTION: ClassVar[str] = "geometry"
    d1: float
    d2: float
    form: str
    target: str
    distance: Distance


@dataclass(frozen=True, kw_only=True)
class Relax(Section):
    SECTION: ClassVar[str] = "relax"
    enabled: bool
    potential: str
    check: str | None
    fmax: float
    steps: int
    optimizer: str
    device: str
    max_per_run: int | str
    parts: int
    rank: bool
    symprec: float
    refine: tuple[float, ...]
    refine_energy: float
    stable: float
    strict: float

    @property
    def cap(self) -> int | None:
        """Candidates relaxed per run at most (None: all)."""
        return None if self.max_per_run == "all" else int(self.max_per_run)
