"""Hull stage: references relaxed with the potential, and the hull arithmetic against pymatgen."""

import re

import numpy as np
import pandas as pd
import pytest
from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

from crystalgan.core.artifacts import HULL, REJECTED, ArtifactError, read_run, read_system, read_table
from crystalgan.data.prototypes import atomic_volume
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.physics.hull import element_references


def hand_made(rows):
    """A hull table of (id, formula, eV/atom) rows, as the hull stage writes it."""
    return pd.DataFrame(
        [
            {"id": i, "kind": "binary", "formula": f, "n_atoms": int(Composition(f).num_atoms), "energy_per_atom": e}
            for i, f, e in rows
        ]
    )


def test_hull_arithmetic_equals_pymatgen_on_hand_made_entries():
    rows = [
        ("H2", "H2", -3.4),
        ("Pd", "Pd1", -5.2),
        ("Ni", "Ni1", -5.5),
        ("PdH", "Pd1H1", -4.6),
        ("NiH", "Ni1H1", -4.4),
        ("Ni2H", "Ni2H1", -4.9),
        ("bad", "Pd1H2", np.nan),
    ]
    diagram = phase_diagram(hand_made(rows))
    reference = PhaseDiagram([PDEntry(Composition(f), e * Composition(f).num_atoms) for _, f, e in rows[:-1]])
    for formula, e in (("PdNiH2", -4.5), ("Pd2NiH3", -4.3), ("NiH", -4.4), ("PdNiH", -5.5)):
        entry = PDEntry(Composition(formula), e * Composition(formula).num_atoms)
        expected = reference.get_e_above_hull(entry, allow_negative=True)
        assert e_above_hull(diagram, formula, e) == pytest.approx(expected, abs=1e-12)
    assert e_above_hull(diagram, "PdNiH", -5.5) < 0  # below the hull: a new stable phase, reported as such
    assert e_above_hull(diagram, "NiH", -4.4) > 0  # NiH lies above Ni + Ni2H + H2 here
    assert np.isnan(e_above_hull(diagram, "PdNiH", np.nan))
    assert len(diagram.all_entries) == 6  # the failed reference is left out


def test_element_references_are_h2_and_three_lattices_per_metal_at_the_atomic_volume():
    refs = element_references(["Pd", "Ti"])
    assert [r[0] for r in refs] == ["H2", "Pd_fcc", "Pd_bcc", "Pd_hcp", "Ti_fcc", "Ti_bcc", "Ti_hcp"]
    h2 = refs[0][2]
    assert h2.get_distance(0, 1) == pytest.approx(0.74) and h2.volume == pytest.approx(1000.0)
    for ref_id, _, s in refs[1:]:
        metal = ref_id.split("_")[0]
        assert s.volume / len(s) == pytest.approx(atomic_volume(metal), rel=1e-6)
        assert s.composition.reduced_formula == metal


def test_hull_stage_relaxes_every_reference_with_the_potential(pdni_hull):
    table = read_table(pdni_hull, HULL)
    assert len(table) == 7 + 10 and set(table["kind"]) == {"molecule", "element", "binary"}
    assert np.isfinite(table["energy_per_atom"]).all(), table[["id", "reason"]]
    assert (table["e_above_hull"] >= -1e-9).all()  # the references make the hull: none below it
    for metal in ("Pd", "Ni"):  # the most stable lattice of each metal is on the hull
        lattices = table[table["id"].str.startswith(f"{metal}_")]
        assert lattices["e_above_hull"].min() == pytest.approx(0.0, abs=1e-9)
    assert table.loc[table["id"] == "Pd_fcc", "e_above_hull"].item() == pytest.approx(0.0, abs=1e-9)  # CHGNet: Pd fcc
    h2 = table[table["id"] == "H2"].iloc[0]
    assert -3.6 < h2["energy_per_atom"] < -3.0  # CHGNet's H2 (DFT-PBE: about -3.4 eV/atom)
    assert h2["e_above_hull"] == pytest.approx(0.0, abs=1e-9)


def test_the_hull_table_names_its_system_and_metals(pdni_hull):
    assert read_system(pdni_hull) == {"system": "PdNiH", "A": "Pd", "B": "Ni"}
    with pytest.raises(ArtifactError, match=r"hull.parquet: a table of system PdNiH, not of one run"):
        read_run(pdni_hull)  # a system's table, not one run's


def test_the_hull_command_passes_the_system_name_and_reports_its_cost(tmp_path, monkeypatch, caplog):
    import crystalgan.physics.hull
    from crystalgan.cli import main

    seen = {}
    monkeypatch.setattr(crystalgan.physics.hull, "hull", lambda *args, **kwargs: seen.update(kwargs))
    command = ["hull", "--ah", "a.parquet", "--bh", "b.parquet", "--a", "Pd", "--b", "Ni", "--out", "h.parquet"]
    with pytest.raises(SystemExit):  # the system name is required
        main(command)
    with caplog.at_level("INFO", logger="crystalgan"):
        assert main([*command, "--system", "PdNiH"]) == 0
    assert seen["system"] == "PdNiH" and (seen["metal_a"], seen["metal_b"]) == ("Pd", "Ni")
    assert re.search(r"hull done: wall [\d.]+ s, CPU [\d.]+ s, peak memory \d+ MB", caplog.text), caplog.text


def test_intermetallics_and_a_known_phase_move_a_candidate_as_pymatgen_says(tmp_path):
    """Phases beyond the binaries change what is stable: a hand-made hull where an
    intermetallic and a known ternary lie below the binaries' hull puts a candidate that was
    below it above it, by exactly what pymatgen's PhaseDiagram of all the phases says."""
    binaries = [
        ("H2", "H2", -3.4),
        ("Fe", "Fe1", -8.3),
        ("Ti", "Ti1", -7.8),
        ("FeH", "Fe1H1", -5.9),
        ("TiH2", "Ti1H2", -5.7),
    ]
    extended = binaries + [("B2_CsCl_TiFe", "Ti1Fe1", -8.5), ("TiFeH2.cif", "Ti1Fe1H2", -6.6)]
    candidate = ("TiFeH2", -6.5)
    before = e_above_hull(phase_diagram(hand_made(binaries)), *candidate)
    after = e_above_hull(phase_diagram(hand_made(extended)), *candidate)
    entries = [PDEntry(Composition(f), e * Composition(f).num_atoms) for _, f, e in extended]
    expected = PhaseDiagram(entries).get_e_above_hull(PDEntry(Composition("TiFeH2"), -6.5 * 4), allow_negative=True)
    assert before < 0 < after and after == pytest.approx(expected, abs=1e-12)


def test_phases_are_relaxed_with_the_hulls_potential_and_join_it(pdni_hull, tmp_path):
    """The phases stage relaxes the intermetallic types and the curated known phases (kinds
    "intermetallic" and "known"); the hull adds them, recomputes every energy above the hull,
    and refuses phases of another system or potential."""
    from pymatgen.core import Lattice, Structure

    from conftest import CURATE_OPTIONS
    from crystalgan.core.artifacts import CURATED, write_table
    from crystalgan.data.curate import curate_known
    from crystalgan.physics.hull import hull, relax_phases
    from crystalgan.settings import Relax

    known = tmp_path / "known"
    known.mkdir()
    ordered = Structure.from_spacegroup("Fm-3m", Lattice.cubic(3.9), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    ordered.replace(0, "Ni")
    ordered.to(filename=str(known / "Pd3NiH4.vasp"), fmt="poscar")
    Structure(Lattice.cubic(3.0), ["Cu", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(filename=str(known / "CuH.vasp"))
    assert curate_known(known, "Pd", "Ni", tmp_path / "cur_known", CURATE_OPTIONS) == 1
    rejected = read_table(tmp_path / "cur_known" / "rejected.parquet", REJECTED)
    assert rejected["reason"].str.contains("contains Cu: expected only Pd, Ni and H").all()
    settings = Relax.of(fmax=0.1, steps=5)
    phases = tmp_path / "phases.parquet"
    system = dict(system="PdNiH", metal_a="Pd", metal_b="Ni")
    relax_phases(**system, out=phases, settings=settings, known=tmp_path / "cur_known" / "known.parquet")
    table = read_table(phases, HULL)
    assert set(table["kind"]) == {"intermetallic", "known"} and (table["kind"] == "intermetallic").sum() == 21
    cur = pdni_hull.parent / "cur"
    out = tmp_path / "hull.parquet"
    full = hull(cur / "AH.parquet", cur / "BH.parquet", **system, out=out, settings=settings, phases=phases)
    assert {"intermetallic", "known", "binary", "element"} <= set(full["kind"])
    ok = full[np.isfinite(full["energy_per_atom"])]
    reference = PhaseDiagram([PDEntry(Composition(r.formula), r.energy_per_atom * r.n_atoms) for r in ok.itertuples()])
    for r in ok.itertuples():
        entry = PDEntry(Composition(r.formula), r.energy_per_atom * r.n_atoms)
        assert r.e_above_hull == pytest.approx(reference.get_e_above_hull(entry, allow_negative=True), abs=1e-9)
    other = tmp_path / "other.parquet"
    write_table(table, other, HULL, {"system": "PdNiH", "A": "Pd", "B": "Ni", "potential": "7net-0"})
    with pytest.raises(ArtifactError, match="relaxed with 7net-0, the hull with chgnet: energies never mix"):
        hull(cur / "AH.parquet", cur / "BH.parquet", **system, out=out, settings=settings, phases=other)
    assert read_table(cur / "AH.parquet", CURATED).shape[0] == 5  # inputs untouched
