"""Ordered A-B intermetallic structure types: the metal-rich end of a hull.

A ternary hydride candidate competes with every phase of its chemical system, and where A and
B form intermetallics (TiFe, Mg2Ni, ZrNi, LaNi5...) a hull of the binary hydrides and the
elements alone misses them: B2 TiFe lies 0.46 eV/atom below such an Fe-Ti-H hull (CHGNet).
This library decorates the common ordered types both ways (A on the first site set, then B),
each scaled to the sum of the elements' atomic volumes (Zen's law), for the hull stage to
relax with the system's potential. Sources of the types: Strukturbericht designations and the
AFLOW prototype encyclopedia (Mehl et al., Comput. Mater. Sci. 136, S1, 2017), e.g.
B2 CsCl (AB_cP2_221_a_b), L1_0 CuAu (AB_tP2_123_a_d), L1_2 Cu3Au (AB3_cP4_221_a_c),
D0_3 BiF3 (AB3_cF16_225_a_bc), D0_19 Ni3Sn (A3B_hP8_194_h_c), A15 Cr3Si (A3B_cP8_223_c_a),
C15 MgCu2 (A2B_cF24_227_c_b), C14 MgZn2 (A2B_hP12_194_ah_f), C32 AlB2 (AB2_hP3_191_a_d),
C11_b MoSi2 (A2B_tI6_139_e_a), L1_1 CuPt (AB_hR2_166_a_b), D2_d CaCu5 (AB5_hP6_191_a_cg).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pymatgen.core import Lattice, Structure

from crystalgan.core.matching import Matcher
from crystalgan.data.prototypes import atomic_volume


@dataclass(frozen=True)
class Intermetallic:
    """An ordered structure type: space group, lattice shape (a = 1) and the fractional sites
    (Wyckoff representatives) of its first and second element."""

    name: str  # Strukturbericht designation and prototype, e.g. "B2_CsCl"
    spacegroup: str
    lattice: tuple  # (a, b, c, alpha, beta, gamma) at a = 1
    first: tuple  # representative sites of the first element
    second: tuple

    def structure(self, first: str, second: str) -> Structure:
        """The type with ``first`` and ``second`` on its two site sets, primitive, scaled to the
        sum of their atomic volumes."""
        from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

        conventional = Structure.from_spacegroup(
            self.spacegroup,
            Lattice.from_parameters(*self.lattice),
            [first] * len(self.first) + [second] * len(self.second),
            list(self.first) + list(self.second),
        )
        s = SpacegroupAnalyzer(conventional, symprec=1e-3).get_primitive_standard_structure()
        volume = sum(atomic_volume(site.specie.symbol) for site in s)
        s.scale_lattice(volume)
        return s


HEX = 120.0
TYPES = (
    Intermetallic("B2_CsCl", "Pm-3m", (1, 1, 1, 90, 90, 90), ((0, 0, 0),), ((0.5, 0.5, 0.5),)),
    Intermetallic("L1_0_CuAu", "P4/mmm", (1, 1, np.sqrt(2), 90, 90, 90), ((0, 0, 0),), ((0.5, 0.5, 0.5),)),
    Intermetallic("L1_1_CuPt", "R-3m", (1, 1, 2 * np.sqrt(6), 90, 90, HEX), ((0, 0, 0),), ((0, 0, 0.5),)),
    Intermetallic("L1_2_Cu3Au", "Pm-3m", (1, 1, 1, 90, 90, 90), ((0, 0.5, 0.5),), ((0, 0, 0),)),
    Intermetallic("D0_3_BiF3", "Fm-3m", (1, 1, 1, 90, 90, 90), ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)), ((0, 0, 0),)),
    Intermetallic(
        "D0_19_Ni3Sn", "P6_3/mmc", (1, 1, 0.8, 90, 90, HEX), ((1 / 6, 1 / 3, 0.25),), ((1 / 3, 2 / 3, 0.75),)
    ),
    Intermetallic("A15_Cr3Si", "Pm-3n", (1, 1, 1, 90, 90, 90), ((0.25, 0, 0.5),), ((0, 0, 0),)),
    Intermetallic("C15_MgCu2", "Fd-3m", (1, 1, 1, 90, 90, 90), ((0.125, 0.125, 0.125),), ((0.5, 0.5, 0.5),)),
    Intermetallic(
        "C14_MgZn2",
        "P6_3/mmc",
        (1, 1, 1.64, 90, 90, HEX),
        ((0, 0, 0), (0.8305, 0.661, 0.25)),
        ((1 / 3, 2 / 3, 0.0629),),
    ),
    Intermetallic("C32_AlB2", "P6/mmm", (1, 1, 1.08, 90, 90, HEX), ((1 / 3, 2 / 3, 0.5),), ((0, 0, 0),)),
    Intermetallic("C11b_MoSi2", "I4/mmm", (1, 1, 2.45, 90, 90, 90), ((0, 0, 0.333),), ((0, 0, 0),)),
    Intermetallic("D2_d_CaCu5", "P6/mmm", (1, 1, 0.8, 90, 90, HEX), ((1 / 3, 2 / 3, 0), (0.5, 0, 0.5)), ((0, 0, 0),)),
)


def library(metal_a: str, metal_b: str) -> list[tuple[str, Structure]]:
    """(id, structure) of every type decorated both ways (A on the first sites, then B), the
    id naming the type and its formula; a type whose two decorations coincide (B2, L1_0,
    L1_1) once (the project's one matcher decides)."""
    matcher, out = Matcher(), []
    for t in TYPES:
        for first, second in ((metal_a, metal_b), (metal_b, metal_a)):
            s = t.structure(first, second)
            if matcher.unique(s, len(out)) is None:
                out.append((f"{t.name}_{s.composition.reduced_formula}", s))
    return out
