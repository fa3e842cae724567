import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure

from crystalgan.core.artifacts import (
    FILTERED,
    HULL,
    LOSSES,
    NEIGHBOURS,
    ArtifactError,
    read_run,
    system_run,
    write_table,
)
from crystalgan.core.structures import encode_structure
from crystalgan.evaluation.report import (
    markdown,
    plot_best,
    report,
    run_counts,
    run_cpu_minutes,
    system_hulls,
    table2,
    training_cpu,
)
from crystalgan.evaluation.verdicts import neighbour_table


def fake_filtered(folder, system, method, seed, valid, unique, unseen, ternary, a="Pd", b="Ni", cpu=None):
    n = len(valid)
    df = pd.DataFrame({name: pd.Series([None] * n) for name in FILTERED.names})
    df["candidate"] = np.arange(n)
    df["poscar"] = df["reason"] = ""
    df["formula"], df["spacegroup"] = "PdNiH", "Pm-3m"
    df["duplicate_of"] = -1
    for col in ("n_H", "n_A", "n_B"):
        df[col] = 1
    for col in [c for c in FILTERED.names if c.startswith(("min_", "max_"))]:
        df[col] = np.nan
    df["is_ternary"], df["valid"], df["unique"], df["unseen"] = ternary, valid, unique, unseen
    df["unseen_framework"] = df["cdvae_valid"] = df["switendick"] = df["valid_data_bounds"] = False
    run = {"system": system, "method": method, "seed": seed, "A": a, "B": b}
    write_table(df, folder / "filtered.parquet", FILTERED, run, cpu)
    s = Structure(Lattice.cubic(2.5), [a, b, "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0]])
    x, c = encode_structure(s, a, b)
    keep = df.loc[df["valid"] & df["unique"], "candidate"]
    nn = neighbour_table(np.stack([x] * n), np.stack([c] * n), keep, ("H", a, b), 6.0)
    write_table(nn, folder / "neighbours.parquet", NEIGHBOURS, run)
    return folder / "filtered.parquet", folder / "neighbours.parquet"


def test_counts_and_table_arithmetic(tmp_path):
    p0, n0 = fake_filtered(
        tmp_path / "s0",
        "PdNiH",
        "crystalgan",
        0,
        valid=[True, True, True, False],
        unique=[True, False, True, False],
        unseen=[True, False, False, False],
        ternary=[True, True, True, True],
    )
    p1, n1 = fake_filtered(
        tmp_path / "s1",
        "PdNiH",
        "crystalgan",
        1,
        valid=[True, False, False, False],
        unique=[True, False, False, False],
        unseen=[True, False, False, False],
        ternary=[True, True, False, False],
    )
    assert run_counts(pd.read_parquet(p0)) == {
        "n_candidates": 4,
        "n_ternary": 4,
        "n_valid": 3,
        "n_valid_unique": 2,
        "n_unseen": 1,
        "n_unseen_framework": 0,
        "n_valid_data_bounds": 0,
    }
    losses = tmp_path / "losses.parquet"
    write_table(
        pd.DataFrame(
            {"stage": ["stage1"] * 2, "epoch": [0, 1], "step": [0, 1], "term": ["L_G"] * 2, "value": [1.0, 0.5]}
        ).astype({"epoch": "int32"}),
        losses,
        LOSSES,
        {"system": "PdNiH", "method": "stage1", "seed": 0, "A": "Pd", "B": "Ni"},
    )
    table = report([p0, p1], [n0, n1], out=tmp_path / "report", d1=1.8, d2=3.0, losses=[losses])
    row = table.iloc[0]
    assert row["n_valid_mean"] == pytest.approx(2.0) and row["n_valid_std"] == pytest.approx(1.0)
    assert row["n_valid_unique_mean"] == pytest.approx(1.5) and row["n_ternary_mean"] == pytest.approx(3.0)
    assert row["paper_n_valid"] == 9 and row["seeds"] == 2
    md = (tmp_path / "report" / "table2.md").read_text()
    assert "| PdNiH | crystalgan | 2 | 4.0 ± 0.0 | 3.0 ± 1.0 | 2.0 ± 1.0 | 1.5 ± 0.5 | 1.0 ± 0.0 |" in md
    nn = pd.read_csv(tmp_path / "report" / "nearest_neighbours.csv")
    assert len(nn) == 3 * 3  # 3 valid unique candidates x 3 atoms
    assert set(nn["pair"]) == {"H-H", "Pd-Ni", "Ni-Pd"}
    assert nn.loc[nn["pair"] == "H-H", "distance"].round(6).eq(2.5).all()
    candidates = pd.read_csv(tmp_path / "report" / "candidates.csv")
    assert candidates[["seed", "candidate", "unseen"]].values.tolist() == [[0, 0, True], [0, 2, False], [1, 0, True]]
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "| PdNiH | crystalgan | PdNiH | Pm-3m | 3 | 0 |" in summary
    for name in ("table2.csv", "runs.csv", "nearest_neighbours.csv", "pair_distribution.png", "losses.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0


def test_methods_in_paper_order_and_unknown_systems_have_no_paper_number():
    runs = pd.DataFrame(
        [
            {
                "system": "X",
                "method": m,
                "seed": 0,
                "A": "Fe",
                "B": "Co",
                "n_candidates": 1,
                "n_ternary": 1,
                "n_valid": 1,
                "n_valid_unique": 1,
                "n_unseen": 1,
                "n_unseen_framework": 1,
                "n_valid_data_bounds": 1,
            }
            for m in ("crystalgan", "gan", "discogan")
        ]
    )
    t = table2(runs)
    assert t["method"].tolist() == ["gan", "discogan", "crystalgan"]
    assert t["paper_n_valid"].isna().all()


def test_one_seed_prints_plain_counts_several_mean_and_std(tmp_path):
    one = fake_filtered(
        tmp_path / "a",
        "PdNiH",
        "crystalgan",
        0,
        valid=[True, True],
        unique=[True, False],
        unseen=[True, False],
        ternary=[True, True],
    )
    table = report([one[0]], [one[1]], out=tmp_path / "report", d1=1.8, d2=3.0)
    assert "| PdNiH | crystalgan | 1 | 2 | 2 | 2 | 1 | 1 |" in markdown(table)
    assert "±" not in markdown(table)


def test_report_refuses_a_neighbour_table_of_another_run(tmp_path):
    a = fake_filtered(tmp_path / "a", "PdNiH", "crystalgan", 0, [True], [True], [True], [True])
    b = fake_filtered(tmp_path / "b", "PdNiH", "crystalgan", 1, [True], [True], [True], [True])
    with pytest.raises(ValueError, match=r"neighbours.parquet: a table of run PdNiH/crystalgan/seed1, not of .*seed0"):
        report([a[0], b[0]], [b[1], a[1]], out=tmp_path / "report", d1=1.8, d2=3.0)


def test_report_names_a_file_that_is_not_parquet(tmp_path):
    a = fake_filtered(tmp_path / "a", "PdNiH", "crystalgan", 0, [True], [True], [True], [True])
    text = tmp_path / "a" / "notes.parquet"
    text.write_text("system,method\nPdNiH,crystalgan\n")
    with pytest.raises(ValueError, match=r"notes.parquet: not a readable Parquet table"):
        report([text], [a[1]], out=tmp_path / "report", d1=1.8, d2=3.0)
    with pytest.raises(ValueError, match=r"notes.parquet: not a readable Parquet table"):
        report([a[0]], [text], out=tmp_path / "report", d1=1.8, d2=3.0)


def fake_losses(path, stage, cpu_s, method, system="PdNiH", seed=0):
    """A losses table of one training (``method`` "stage1" for stage 1), its run in its metadata."""
    table = pd.DataFrame({"stage": [stage], "epoch": [0], "step": [0], "term": ["L_G"], "value": [1.0]})
    run = {"system": system, "method": method, "seed": seed, "A": "Pd", "B": "Ni"}
    write_table(table.astype({"epoch": "int32"}), path, LOSSES, run, cpu={stage: cpu_s})
    return path


def test_cost_per_run_charges_training_to_learning_methods_and_splits_the_hull(tmp_path):
    # the tables say whose they are: their folders do not
    stage1 = fake_losses(tmp_path / "a.parquet", "stage1", 120.0, "stage1")
    stage2 = fake_losses(tmp_path / "b.parquet", "stage2", 300.0, "crystalgan")
    runs_of = [read_run(stage1), read_run(stage2)]
    assert training_cpu([stage1, stage2], runs_of) == {("PdNiH", 0): 120.0, ("PdNiH", "crystalgan", 0): 300.0}
    runs = pd.DataFrame(
        [
            {"system": "PdNiH", "method": m, "seed": s, "cpu_generate": 6.0, "cpu_filter": 12.0, "cpu_relax": 30.0}
            for m, s in (("crystalgan", 0), ("discogan", 0), ("substitution", 0), ("substitution", 1))
        ]
    )
    minutes = run_cpu_minutes(runs, training_cpu([stage1, stage2], runs_of), {"PdNiH": 60.0})
    own = 6 + 12 + 30
    assert minutes.tolist() == pytest.approx(
        [(own + 60 + 300 + 120) / 60, (own + 60 + 120) / 60, (own + 30) / 60, (own + 30) / 60]
    )
    # a run whose stage-2 training cost is unknown has no cost rather than a wrong one
    assert np.isnan(run_cpu_minutes(runs.iloc[:1], training_cpu([stage1], runs_of[:1]), {"PdNiH": 60.0}).iloc[0])


def test_report_refuses_a_losses_table_without_its_run(tmp_path):
    a = fake_filtered(tmp_path / "a", "PdNiH", "crystalgan", 0, [True], [True], [True], [True])
    bare = tmp_path / "results/PdNiH/seed0/stage1/losses.parquet"  # a telling folder is not enough
    table = pd.DataFrame({"stage": ["stage1"], "epoch": [0], "step": [0], "term": ["L_G"], "value": [1.0]})
    write_table(table.astype({"epoch": "int32"}), bare, LOSSES, cpu={"stage1": 1.0})
    with pytest.raises(ArtifactError, match=r"stage1/losses.parquet: no run metadata"):
        report([a[0]], [a[1]], out=tmp_path / "report", d1=1.8, d2=3.0, losses=[bare])


def fake_hull(path, system, a="Pd", b="Ni", cpu_s=60.0):
    """A hull table of two references, its system in its metadata."""
    df = pd.DataFrame({name: pd.Series([None] * 2) for name in HULL.names})
    df["id"], df["kind"], df["formula"] = ["H2", f"{a}_fcc"], ["molecule", "element"], ["H2", a]
    df["n_atoms"], df["steps"], df["converged"], df["reason"], df["spacegroup"] = 2, 1, True, "", ""
    for col in ("energy_per_atom", "e_above_hull", "cpu_s"):
        df[col] = 0.0
    df["lattice"] = df["species"] = df["cart_coords"] = [[], []]
    write_table(df, path, HULL, system_run(system, a, b), cpu={"hull": cpu_s})
    return path


def test_hulls_are_known_by_their_metadata_not_their_folder(tmp_path):
    runs = pd.DataFrame([{"system": "PdNiH", "method": "gan", "seed": 0, "A": "Pd", "B": "Ni"}])
    hull = fake_hull(tmp_path / "elsewhere" / "hull.parquet", "PdNiH")
    assert system_hulls([hull], runs) == {"PdNiH": hull}
    with pytest.raises(ArtifactError, match=r"hull.parquet: a table of system PdNiH, not of one run"):
        read_run(hull)
    other = fake_hull(tmp_path / "PdNiH" / "hull" / "hull.parquet", "PdNiH", a="Mg", b="Ti")
    with pytest.raises(ArtifactError, match=r"hull.parquet: a hull of system PdNiH with metals Mg-Ti, its runs"):
        system_hulls([other], runs)
    with pytest.raises(ArtifactError, match=r"a second hull of system PdNiH"):
        system_hulls([hull, hull], runs)
    bare = tmp_path / "MgTiH" / "hull" / "hull.parquet"
    write_table(pd.read_parquet(hull), bare, HULL)
    with pytest.raises(ArtifactError, match=r"MgTiH/hull/hull.parquet: no run metadata"):
        system_hulls([bare], runs)


def test_best_structures_are_drawn_from_the_relaxed_rows_alone(tmp_path):
    best = pd.DataFrame(
        [
            {
                "formula": "PdNiH",
                "spacegroup": "Pm-3m",
                "e_above_hull": 0.01,
                "method": "crystalgan",
                "poscar": str(tmp_path / "gone.vasp"),  # never read
                "lattice": (np.eye(3) * 2.5).reshape(-1).tolist(),
                "species": ["Pd", "Ni", "H"],
                "cart_coords": [0.0, 0.0, 0.0, 1.25, 1.25, 1.25, 1.25, 1.25, 0.0],
            }
        ]
    )
    plot_best(best, tmp_path / "best.png")
    assert (tmp_path / "best.png").stat().st_size > 0


def test_table2_gives_yields_per_cpu_minute(tmp_path):
    paths = [
        fake_filtered(
            tmp_path / f"s{seed}",
            "PdNiH",
            "substitution",
            seed,
            valid=[True, True, True],
            unique=[True, True, seed == 0],
            unseen=[True] * 3,
            ternary=[True] * 3,
            cpu={"generate": 20.0 + 20 * seed, "filter": 10.0},
        )
        for seed in (0, 1)
    ]
    table = report([p for p, _ in paths], [n for _, n in paths], out=tmp_path / "report", d1=1.8, d2=3.0)
    row = table.iloc[0]
    assert row["cpu_min_mean"] == pytest.approx(((30 + 50) / 2) / 60)
    assert row["n_valid_unique_per_cpu_min"] == pytest.approx(2.5 / (40 / 60))
    assert "| 3.75 |" in (tmp_path / "report" / "table2.md").read_text()
