"""relax.check: S.U.N. crystals re-relaxed with a second potential against its own hull."""

import pandas as pd
import pytest
from test_relax import rocksalt_ternary, run_relax, write_run

from conftest import CURATE_OPTIONS, SHIPPED
from crystalgan.core.artifacts import (
    CONFIRMED,
    HULL,
    RELAXED,
    ArtifactError,
    read_potential,
    read_run,
    read_table,
    write_table,
)
from crystalgan.evaluation.campaign import discoveries
from crystalgan.evaluation.report import with_check
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.settings import Relax

pytest.importorskip("sevenn", reason="the relax extra is not installed: pip install -e '.[relax]'")

CHECK = Relax.of(potential="7net-0", steps=60)


@pytest.fixture(scope="module")
def sevennet_hull(tmp_path_factory):
    """The Pd-Ni-H hull of four Pd-H and four Ni-H prototypes and the elements, relaxed with 7net-0."""
    from crystalgan.data.curate import curate
    from crystalgan.physics.hull import hull

    root = tmp_path_factory.mktemp("check")
    pick = ["03_rocksalt_MH.vasp", "04_zincblende_MH.vasp", "06_fluorite_MH2.vasp", "29_CsCl_MH.vasp"]
    curate([SHIPPED / "PdH" / p for p in pick], [SHIPPED / "NiH" / p for p in pick], "Pd", "Ni", root, CURATE_OPTIONS)
    out = root / "hull.parquet"
    hull(root / "AH.parquet", root / "BH.parquet", system="PdNiH", metal_a="Pd", metal_b="Ni", out=out, settings=CHECK)
    return out


@pytest.fixture(scope="module")
def relaxed_run(pdni_hull, tmp_path_factory):
    """A CHGNet-relaxed run with one S.U.N. crystal (stable up to 1 eV/atom), listed twice."""
    folder = write_run(tmp_path_factory.mktemp("run") / "run", [rocksalt_ternary(4.0)], valid=[True])
    df = run_relax(folder, pdni_hull, stable=1.0)
    assert df["sun"].tolist() == [True]
    twin = df.assign(candidate=7)  # the same crystal under another candidate number
    both = pd.concat([df, twin], ignore_index=True)
    write_table(both, folder / "relaxed.parquet", RELAXED, read_run(folder / "relaxed.parquet"))
    return folder / "relaxed.parquet"


def test_sun_crystals_are_re_relaxed_with_the_second_potential_against_its_own_hull(
    sevennet_hull, relaxed_run, tmp_path
):
    from crystalgan.physics.confirm import confirm

    out = tmp_path / "confirmed.parquet"
    df = confirm(relaxed_run, sevennet_hull, out=out, settings=CHECK.replace(stable=1.0))
    assert df["candidate"].tolist() == [0, 7] and df["relaxed"].all()
    diagram = phase_diagram(read_table(sevennet_hull, HULL))
    assert df["e_above_hull"][0] == pytest.approx(e_above_hull(diagram, "Pd3NiH4", df["energy_per_atom"][0]))
    chgnet = read_table(relaxed_run, RELAXED)["energy_per_atom"][0]
    assert df["energy_per_atom"][0] != pytest.approx(chgnet, abs=1e-4)  # another potential's energy
    assert df["unique"].tolist() == [True, False]  # the twin is the same crystal
    assert df["confirmed"].tolist() == [df["novel"][0] and df["e_above_hull"][0] <= 1.0, False]
    assert read_potential(out) == "7net-0"
    pd.testing.assert_frame_equal(read_table(out, CONFIRMED), df, check_dtype=False)

    strict = confirm(relaxed_run, sevennet_hull, out=tmp_path / "strict.parquet", settings=CHECK.replace(stable=-1.0))
    assert not strict["confirmed"].any() and strict["e_above_hull"][0] == pytest.approx(df["e_above_hull"][0])

    relaxed = with_check(read_table(relaxed_run, RELAXED), df).assign(system="PdNiH", method="crystalgan", seed=0)
    found = discoveries(relaxed)
    assert len(found) == 1 and found["confirmed"][0] == df["confirmed"][0]
    assert found["check_e_above_hull"][0] == pytest.approx(df["e_above_hull"][0])


def test_the_check_refuses_a_hull_of_another_potential(pdni_hull, relaxed_run, tmp_path):
    from crystalgan.physics.confirm import confirm

    with pytest.raises(ArtifactError, match="a hull of chgnet, not of the check's 7net-0"):
        confirm(relaxed_run, pdni_hull, out=tmp_path / "c.parquet", settings=CHECK)
    assert not (tmp_path / "c.parquet").exists()
