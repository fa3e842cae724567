"""Ternary hydride structure types A_aB_bH_h decorated with a system's two metals: the library of
the ``prototype`` baseline.

The types (perovskite, K2PtCl6, NaAlH4, ...) are a data file shipped with the package,
``ternary_types.yaml``, which documents each entry and its source. A type is built from its
space group and sites (pymatgen ``Structure.from_spacegroup``), reduced to its primitive cell,
and scaled isotropically from the reference compound's measured volume by the ratio of the
volume model of the binary prototypes (:func:`crystalgan.data.prototypes.hydride_volume`: the
metals' atomic volumes plus H_VOLUME per H) of the decoration to that of the reference. The
model alone, which the binary prototypes relax away from, starts saline hydrides far too large
(CsCaH3: a = 5.52 against 4.62 A measured, Cs-Ca 4.8 A, beyond any filter window).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pymatgen.core import Lattice, Structure

from crystalgan.config import ConfigError
from crystalgan.data.prototypes import hydride_volume
from crystalgan.errors import InputError

LIBRARY = Path(__file__).with_name("ternary_types.yaml")
ALL = "all"  # every type of the library


@dataclass(frozen=True)
class TernaryType:
    """One entry of the library (the fields ``ternary_types.yaml`` describes)."""

    name: str
    formula: str  # formula unit, A and B the metal roles: "A2BH6"
    spacegroup: int
    reference: str
    metals: tuple[str, str]  # the reference's metals in the roles A and B
    lattice: tuple[float, ...]  # a, b, c (A), alpha, beta, gamma (degrees) of the reference
    sites: tuple[tuple[str, tuple[float, ...]], ...]  # (role A, B or H; fractional coordinates) per orbit
    source: str  # "authors, journal (year)"
    note: str

    def reference_cell(self, metal_a: str, metal_b: str) -> Structure:
        """The conventional cell with the reference's lattice, role A given to ``metal_a``, B to ``metal_b``."""
        element = {"A": metal_a, "B": metal_b, "H": "H"}
        return Structure.from_spacegroup(
            self.spacegroup,
            Lattice.from_parameters(*self.lattice),
            [element[role] for role, _ in self.sites],
            [coords for _, coords in self.sites],
        )

    def structure(self, metal_a: str, metal_b: str) -> Structure:
        """The primitive cell with role A given to ``metal_a``, B to ``metal_b``, its volume the
        reference's times the ratio of their volume models (:func:`hydride_volume`)."""
        s = self.reference_cell(metal_a, metal_b).get_primitive_structure()
        volume, model = self.reference_volumes
        s.scale_lattice(volume * hydride_volume(s.composition) / model)
        return s

    @functools.cached_property
    def reference_volumes(self) -> tuple[float, float]:
        """The reference's primitive cell volume (measured) and its volume model (A^3)."""
        reference = self.reference_cell(*self.metals).get_primitive_structure()
        return reference.volume, hydride_volume(reference.composition)


@functools.cache
def ternary_types() -> tuple[TernaryType, ...]:
    """The library, in the file's order."""
    return tuple(
        TernaryType(
            name=entry["name"],
            formula=entry["formula"],
            spacegroup=entry["spacegroup"],
            reference=entry["reference"],
            metals=tuple(entry["metals"]),
            lattice=tuple(entry["lattice"]),
            sites=tuple((role, tuple(coords)) for role, coords in entry["sites"]),
            source="{authors}, {journal} ({year})".format(**entry["source"]),
            note=entry["note"],
        )
        for entry in yaml.safe_load(LIBRARY.read_text())
    )


def decorations(metal_a: str, metal_b: str) -> list[tuple[TernaryType, Structure]]:
    """Every type of the library with its metals in both orders: role A given to ``metal_a`` and
    then to ``metal_b``, in the library's order."""
    return [
        (t, t.structure(first, second))
        for t in ternary_types()
        for first, second in ((metal_a, metal_b), (metal_b, metal_a))
    ]


def select(names: Sequence[str] | str) -> list[TernaryType]:
    """The types called ``names`` (or every type for ``"all"``), in the library's order."""
    known = {t.name: t for t in ternary_types()}
    if names == ALL or list(names) == [ALL]:
        return list(known.values())
    if unknown := [n for n in names if n not in known]:
        raise InputError(f"ternary structure types {unknown} are not in {LIBRARY.name} (one of {', '.join(known)})")
    return [t for t in known.values() if t.name in names]


def check_selection(names: Sequence[str] | str, key: str) -> None:
    """Raise ConfigError naming the config ``key`` where ``names`` are not types of the library."""
    try:
        select(names)
    except InputError as exc:
        raise ConfigError(f"{key}: {exc}") from None
