"""The campaign view: distinct S.U.N. crystals pooled over seeds and methods, per-method
counts and the discovery curve, on a constructed set of relaxed candidates."""

import numpy as np
import pandas as pd
from pymatgen.core import Lattice, Structure

from crystalgan.core.artifacts import RELAXED as RELAXED_SCHEMA
from crystalgan.evaluation.campaign import discoveries, discovery_curve, method_counts


def rocksalt(a: float, shake: float = 0.0, seed: int = 0) -> Structure:
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    s.replace(0, "Ni")
    moved = s.cart_coords + np.random.default_rng(seed).normal(0, shake, (len(s), 3))
    return Structure(s.lattice, s.species, moved, coords_are_cartesian=True)


def fluorite() -> Structure:
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.0), ["Pd", "H"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    s.replace(0, "Ni")
    return s


def relaxed_rows(rows):
    """RELAXED-like rows with their run: (method, seed, candidate, structure, e_above_hull, sun, cpu_s)."""
    out = []
    for method, seed, candidate, s, e, sun, cpu in rows:
        out.append(
            {
                "system": "PdNiH",
                "method": method,
                "seed": seed,
                "candidate": candidate,
                "formula": s.composition.formula.replace(" ", ""),
                "spacegroup": "P1",
                "e_above_hull": e,
                "sun": sun,
                "cpu_s": cpu,
                "cif": f"{method}/seed{seed}/cand_{candidate:06d}.cif",
                "lattice": s.lattice.matrix.reshape(-1).tolist(),
                "species": [x.specie.symbol for x in s],
                "cart_coords": s.cart_coords.reshape(-1).tolist(),
            }
        )
    return pd.DataFrame(out)


RELAXED = relaxed_rows(
    [
        ("crystalgan", 0, 3, rocksalt(4.0), 0.02, True, 6.0),
        ("crystalgan", 0, 5, fluorite(), 0.05, True, 6.0),
        ("crystalgan", 1, 1, rocksalt(4.02, 0.03, 1), 0.01, True, 6.0),  # the same crystal, another seed
        ("substitution", 0, 0, rocksalt(3.98, 0.03, 2), 0.03, True, 3.0),  # and another method
        ("substitution", 0, 2, rocksalt(4.5, 0.0), 0.4, False, 3.0),  # not S.U.N.: not counted
    ]
)
RUNS = pd.DataFrame(
    [
        {"system": "PdNiH", "method": "crystalgan", "seed": 0, "cpu_min": 2.0},
        {"system": "PdNiH", "method": "crystalgan", "seed": 1, "cpu_min": 2.0},
        {"system": "PdNiH", "method": "substitution", "seed": 0, "cpu_min": 0.5},
    ]
)


def test_the_same_crystal_found_twice_is_one_discovery_listing_who_found_it():
    found = discoveries(RELAXED)
    assert found["crystal"].tolist() == [1, 2] and found["formula"].tolist() == ["Ni1H4Pd3", "Ni1H8Pd3"]
    first = found.iloc[0]
    assert first["n_found"] == 3 and first["methods"] == "crystalgan,substitution"
    assert first["seeds"] == "crystalgan:0,crystalgan:1,substitution:0"
    assert (first["method"], first["seed"], first["candidate"]) == ("crystalgan", 1, 1)  # its best relaxation
    assert first["e_above_hull"] == 0.01 and found.iloc[1]["methods"] == "crystalgan"


def test_per_method_counts_pool_seeds_and_name_exclusive_discoveries():
    counts = method_counts(discoveries(RELAXED), RUNS).set_index("method")
    assert counts.loc["crystalgan", "n_sun_distinct"] == 2 and counts.loc["crystalgan", "n_sun_exclusive"] == 1
    assert counts.loc["substitution", "n_sun_distinct"] == 1 and counts.loc["substitution", "n_sun_exclusive"] == 0
    assert counts.loc["crystalgan", "n_sun_distinct_per_cpu_min"] == 2 / 4.0
    assert counts.loc["substitution", "n_sun_distinct_per_cpu_min"] == 1 / 0.5


def test_the_discovery_curve_counts_each_crystal_once_against_cpu_minutes():
    curve = discovery_curve(RELAXED, RUNS)
    mine = curve[curve["method"] == "crystalgan"]
    assert mine["n_distinct"].tolist() == [0, 1, 2, 2]  # seed 1 found the seed-0 crystal again
    assert mine["cpu_min"].is_monotonic_increasing and mine["cpu_min"].iloc[-1] == 4.0
    other = curve[curve["method"] == "substitution"]
    assert other["n_distinct"].iloc[-1] == 1 and other["cpu_min"].iloc[-1] == 0.5


def test_dft_inputs_of_every_discovery_read_back_with_pymatgen(tmp_path):
    """MPRelaxSet inputs (INCAR, KPOINTS, POSCAR, POTCAR.spec) of each distinct S.U.N. crystal,
    its best relaxation in the POSCAR; POTCARs are licensed: only their names are written."""
    from pymatgen.io.vasp import Incar, Kpoints, Poscar

    from crystalgan.core.artifacts import write_table
    from crystalgan.core.structures import same_structure, structure_from_row
    from crystalgan.evaluation.handoff import write_dft_inputs

    paths = []
    for (method, seed), run in RELAXED.groupby(["method", "seed"]):
        table = run.drop(columns=["system", "method", "seed"]).reset_index(drop=True)
        for column, field in zip(RELAXED_SCHEMA.names, RELAXED_SCHEMA):
            if column not in table:
                table[column] = "" if str(field.type) == "string" else (False if str(field.type) == "bool" else 0)
        info = {"system": "PdNiH", "method": method, "seed": int(seed), "A": "Pd", "B": "Ni"}
        paths.append(tmp_path / f"{method}{seed}.parquet")
        write_table(table, paths[-1], RELAXED_SCHEMA, info)
    index = write_dft_inputs(paths, tmp_path / "dft")
    assert index["folder"].tolist() == ["001_Ni1H4Pd3", "002_Ni1H8Pd3"]
    best = RELAXED[(RELAXED["method"] == "crystalgan") & (RELAXED["seed"] == 1)].iloc[0]
    folder = tmp_path / "dft" / "001_Ni1H4Pd3"
    assert same_structure(structure_from_row(best), Poscar.from_file(folder / "POSCAR").structure)
    assert Incar.from_file(folder / "INCAR")["ISIF"] == 3 and Kpoints.from_file(folder / "KPOINTS").kpts
    assert set((folder / "POTCAR.spec").read_text().split()) == {"H", "Ni_pv", "Pd"}
    assert not (folder / "POTCAR").exists()
