"""The ternary compositions A_aB_bH_h a run searches (``generate.compositions``): formula units
written with the placeholders A and B for the system's two metals (``A2BH6``: two A, one B,
six H), or the enumeration :data:`ENUMERATED`.

The enumeration holds the formula units a chemist would accept for a ternary hydride of two
metals: 1 to 3 A and 1 to 3 B atoms (A2B and AB2 alike), a whole number of H atoms from 1/2 to
3 per metal atom, each reduced formula once (A2B2H6 is ABH3). A cell holds whole formula units,
at most :meth:`FormulaUnit.max_units` of them.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from crystalgan.core.artifacts import MAX_ATOMS
from crystalgan.errors import InputError

ENUMERATION = "enumerated"  # the generate.compositions value that selects ENUMERATED
METALS_PER_UNIT = (1, 3)  # A atoms, and B atoms, per formula unit of the enumeration
H_PER_METAL = (0.5, 3.0)  # H atoms per metal atom of the enumeration
MAX_CELL_ATOMS = 24  # atoms of a cell of several formula units
FORMULA = re.compile(r"A([1-9][0-9]*)?B([1-9][0-9]*)?H([1-9][0-9]*)?")


class FormulaUnit(NamedTuple):
    """A formula unit of ``a`` A, ``b`` B and ``h`` H atoms."""

    a: int
    b: int
    h: int

    @property
    def formula(self) -> str:
        """The unit as ``generate.compositions`` writes it: ``A2BH6``."""
        return "".join(f"{role}{n if n > 1 else ''}" for role, n in zip("ABH", self))

    def max_units(self) -> int:
        """The most formula units one cell holds: MAX_CELL_ATOMS atoms at most (one unit where
        it has more) and MAX_ATOMS atoms of each species, the rows of the tensor encoding."""
        return min(max(1, MAX_CELL_ATOMS // sum(self)), MAX_ATOMS // max(self))

    def counts(self, units: int) -> tuple[int, int, int]:
        """Atoms (n_H, n_A, n_B), the encoding's order, of a cell of ``units`` formula units."""
        return units * self.h, units * self.a, units * self.b


def parse_formula(text) -> FormulaUnit:
    """The formula unit ``text`` writes (``A2BH6``); InputError saying why it is none."""
    match = FORMULA.fullmatch(text) if isinstance(text, str) else None
    unit = FormulaUnit(*(int(n or 1) for n in match.groups())) if match else None
    if unit is None or max(unit) > MAX_ATOMS:
        raise InputError(
            f"{text!r} is not a formula unit such as 'A2BH6' (A, B and H in this order, A and B standing for the "
            f"system's metals, each count 1 to {MAX_ATOMS})"
        )
    return unit


ENUMERATED: tuple[FormulaUnit, ...] = tuple(
    FormulaUnit(a, b, h)
    for a in range(METALS_PER_UNIT[0], METALS_PER_UNIT[1] + 1)
    for b in range(METALS_PER_UNIT[0], METALS_PER_UNIT[1] + 1)
    for h in range(math.ceil(H_PER_METAL[0] * (a + b)), math.floor(H_PER_METAL[1] * (a + b)) + 1)
    if math.gcd(a, b, h) == 1
)
