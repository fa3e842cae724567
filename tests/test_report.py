import logging

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure

from crystalgan.core.artifacts import (
    FILTERED,
    HULL,
    LOSSES,
    NEIGHBOURS,
    RELAXED,
    ArtifactError,
    read_run,
    system_run,
    write_table,
)
from crystalgan.core.structures import encode_structure
from crystalgan.evaluation.report import (
    LEGEND_ABOVE_HULL,
    LEGEND_ON_HULL,
    LEGEND_SUN,
    best_figure,
    best_text,
    distribution_figure,
    markdown,
    phase_diagram_figure,
    plot_best,
    report,
    run_counts,
    run_cpu_minutes,
    run_title,
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


def best_row(**changes) -> dict:
    """A row of the campaign list with its best relaxation's structure (rock-salt-like PdNiH)."""
    return {
        "system": "PdNiH",
        "crystal": 1,
        "formula": "Pd1Ni1H1",
        "spacegroup": "Pm-3m",
        "e_above_hull": 0.012,
        "methods": "crystalgan",
        "seeds": "crystalgan:0",
        "method": "crystalgan",
        "seed": 0,
        "candidate": 7,
        "cif": "results/PdNiH/crystalgan/seed0/relaxed/cand_000007.cif",
        "A": "Pd",
        "B": "Ni",
        "lattice": (np.eye(3) * 2.5).reshape(-1).tolist(),
        "species": ["Pd", "Ni", "H"],
        "cart_coords": [0.0, 0.0, 0.0, 1.25, 1.25, 1.25, 1.25, 1.25, 0.0],
        **changes,
    }


def test_best_structures_are_drawn_from_the_relaxed_rows_alone(tmp_path):
    best = pd.DataFrame([best_row(poscar=str(tmp_path / "gone.vasp"))])  # never read
    plot_best(best, tmp_path / "best.png")
    assert (tmp_path / "best.png").stat().st_size > 0


def test_best_structures_have_an_element_key_and_say_what_and_whose_they_are():
    fig = best_figure(pd.DataFrame([best_row(), best_row(crystal=2, e_above_hull=-0.004, seed=3, candidate=0)]))
    (key,) = fig.legends
    assert [t.get_text() for t in key.get_texts()] == ["Pd", "Ni", "H"]
    first, second = (ax.get_title() for ax in fig.axes)
    assert "#1 NiPdH" in first and "Pm-3m" in first and "E_hull 12 meV/atom" in first
    assert "crystalgan · seed 0 · candidate 7" in first
    assert "E_hull -4 meV/atom (below the hull)" in second and "seed 3 · candidate 0" in second
    plt.close(fig)


def test_the_pair_distribution_merges_the_two_orders_of_a_pair_and_marks_the_window():
    rows = [("Pd", "Ni", 2.7), ("Ni", "Pd", 2.6), ("Ni", "Pd", 2.65), ("H", "H", 2.1), ("Pd", "Pd", 2.8)]
    nn = pd.DataFrame(
        [
            {"system": "PdNiH", "method": "crystalgan", "seed": 0, "candidate": 0, "atom": a, "neighbour": b}
            | {"pair": f"{a}-{b}", "distance": d}
            for a, b, d in rows
        ]
    )
    fig = distribution_figure(nn, 1.8, 3.0)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["H-H (1)", "Pd-Pd (1)", "Ni-Pd (3)", "filter window [d1, d2]"]
    assert not any(label.startswith("Pd-Ni") for label in labels)
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [1.8, 3.0]  # d1 and d2
    assert ax.get_title() == "PdNiH: 1 valid candidates"
    plt.close(fig)


def test_loss_panels_are_titled_by_run():
    assert run_title({"system": "PdNiH", "method": "crystalgan", "seed": 2}) == "PdNiH · crystalgan (stage 2) · seed 2"
    assert run_title({"system": "PdNiH", "method": "stage1", "seed": 0}).startswith("PdNiH · stage 1")


def full_hull(path, system="PdNiH", potential="chgnet"):
    """A hull table with the three corners of Pd-Ni-H, two binaries on the hull and one above."""
    refs = [  # id, kind, formula, energy per atom
        ("H2", "molecule", "H2", -3.39),
        ("Pd_fcc", "element", "Pd4", -5.18),
        ("Ni_fcc", "element", "Ni4", -5.57),
        ("PdH_B1", "binary", "Pd4H4", -4.41),
        ("NiPd_L1_0", "intermetallic", "Ni2Pd2", -5.41),
        ("NiPd_B2", "intermetallic", "Ni1Pd1", -5.30),
    ]
    df = pd.DataFrame(refs, columns=["id", "kind", "formula", "energy_per_atom"])
    df["n_atoms"] = [sum(int(c) for c in f if c.isdigit()) for f in df["formula"]]
    df["e_above_hull"], df["steps"], df["converged"], df["cpu_s"], df["reason"], df["spacegroup"] = (
        0.0,
        1,
        True,
        1.0,
        "",
        "",
    )
    df["lattice"] = df["species"] = df["cart_coords"] = [[]] * len(df)
    write_table(df, path, HULL, system_run(system, "Pd", "Ni", potential), cpu={"hull": 1.0})
    return path


def test_the_phase_diagram_tells_references_on_and_above_the_hull_from_the_sun_crystals(tmp_path):
    found = pd.DataFrame([best_row(), best_row(crystal=2, formula="Pd3Ni1H4"), best_row(crystal=3, formula="Pd3Ni1H4")])
    fig = phase_diagram_figure(
        pd.read_parquet(full_hull(tmp_path / "hull.parquet")),
        ("Pd", "Ni"),
        found,
        "Pd–Ni–H (PdNiH), relaxed with chgnet",
    )
    triangle = fig.axes[0]
    assert [t.get_text() for t in triangle.get_legend().get_texts()] == [LEGEND_ABOVE_HULL, LEGEND_ON_HULL, LEGEND_SUN]
    assert fig._suptitle.get_text().startswith(
        "Pd–Ni–H (PdNiH), relaxed with chgnet: 5 references on the hull, 1 above"
    )
    labels = {t.get_text() for t in triangle.texts}
    # the phases on the hull and the crystals (numbered as in the campaign list, one label a point)
    assert labels == {"Pd", "Ni", "H", "PdH", "NiPd", "1", "2,3"}
    assert not any(
        a.get_window_extent().overlaps(b.get_window_extent())
        for a in triangle.texts
        for b in triangle.texts
        if a is not b
    )
    plt.close(fig)


def test_the_best_crystals_are_named_in_the_log_with_their_cif():
    found = pd.DataFrame([best_row(crystal=k + 1, e_above_hull=0.01 * k, candidate=k) for k in range(7)])
    text = best_text(found, "results/report/discoveries.csv")
    lines = text.splitlines()
    assert lines[0] == "best S.U.N. crystals: the first 5 of 7 in results/report/discoveries.csv"
    assert lines[1].split() == [
        "system",
        "#",
        "formula",
        "E_hull",
        "(meV/atom)",
        "space",
        "group",
        "found",
        "by",
        "CIF",
    ]
    assert lines[2].split() == ["PdNiH", "1", "NiPdH", "0", "Pm-3m", "crystalgan:0", found["cif"].iloc[0]]
    assert len(lines) == 2 + 5 and "cand_000005" not in text
    assert best_text(found.iloc[:0], "d.csv") == "no S.U.N. crystal found (d.csv is empty)"


def fake_relaxed(path, run, rows):
    """A relaxed table of a run: (candidate, structure, e_above_hull, sun) per row; every other
    column of the schema a plain default."""
    table = pd.DataFrame(
        [
            {
                "candidate": c,
                "formula": s.composition.formula.replace(" ", ""),
                "n_atoms": len(s),
                "energy_per_atom": -5.0,
                "e_above_hull": e,
                "spacegroup": "Fm-3m",
                "relaxed": True,
                "unique": True,
                "novel": sun,
                "stable": e <= 0.1,
                "sun": sun,
                "cpu_s": 2.0,
                "cif": f"results/{run['system']}/{run['method']}/seed{run['seed']}/relaxed/cand_{c:06d}.cif",
                "lattice": s.lattice.matrix.reshape(-1).tolist(),
                "species": [x.specie.symbol for x in s],
                "cart_coords": s.cart_coords.reshape(-1).tolist(),
            }
            for c, s, e, sun in rows
        ]
    )
    for name, field in zip(RELAXED.names, RELAXED):
        if name not in table:
            kind = str(field.type)
            table[name] = "" if kind == "string" else False if kind == "bool" else np.nan if "double" in kind else 0
    write_table(table, path, RELAXED, run, cpu={"relax": 4.0})
    return path


def test_the_report_logs_the_best_crystals_of_the_campaign(tmp_path, caplog):
    filtered, neighbours = fake_filtered(
        tmp_path / "run", "PdNiH", "crystalgan", 0, [True] * 3, [True] * 3, [True] * 3, [True] * 3
    )
    run = read_run(filtered)
    rocksalt = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.0), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    rocksalt.replace(0, "Ni")
    fluorite = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.0), ["Pd", "H"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    fluorite.replace(0, "Ni")
    relaxed = fake_relaxed(
        tmp_path / "run" / "relaxed.parquet",
        run,
        [(0, fluorite, 0.05, True), (1, rocksalt, 0.02, True), (2, rocksalt, 0.3, False)],
    )
    hull = full_hull(tmp_path / "hull.parquet")
    caplog.set_level(logging.INFO, logger="crystalgan.evaluation.report")
    report([filtered], [neighbours], out=tmp_path / "report", d1=1.8, d2=3.0, relaxed=[relaxed], hulls=[hull])
    found = pd.read_csv(tmp_path / "report" / "discoveries.csv")
    assert found["candidate"].tolist() == [1, 0]
    (message,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("best S.U.N. crystals")]
    assert message.splitlines()[0].endswith(f"the first 2 of 2 in {tmp_path / 'report' / 'discoveries.csv'}")
    first, second = message.splitlines()[2:]
    assert first.split() == ["PdNiH", "1", "NiPd3H4", "20", "Fm-3m", "crystalgan:0", found["cif"].iloc[0]]
    assert second.split()[:4] == ["PdNiH", "2", "NiPd3H8", "50"]
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert f"| PdNiH | 1 | NiPd3H4 | 20 | Fm-3m | crystalgan:0 | {found['cif'].iloc[0]} |" in summary
    for name in ("phase_diagram_PdNiH.png", "best_sun.png", "e_above_hull.png"):
        assert (tmp_path / "report" / "relaxation" / name).stat().st_size > 0


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


def test_a_report_without_sun_crystals_says_so(tmp_path, caplog):
    filtered, neighbours = fake_filtered(tmp_path / "run", "PdNiH", "crystalgan", 0, [True], [True], [True], [True])
    rocksalt = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.0), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    relaxed = fake_relaxed(tmp_path / "run" / "relaxed.parquet", read_run(filtered), [(0, rocksalt, 0.3, False)])
    caplog.set_level(logging.INFO, logger="crystalgan.evaluation.report")
    out = tmp_path / "report"
    report(
        [filtered], [neighbours], out=out, d1=1.8, d2=3.0, relaxed=[relaxed], hulls=[full_hull(tmp_path / "h.parquet")]
    )
    assert f"no S.U.N. crystal found ({out / 'discoveries.csv'} is empty)" in caplog.messages
    for name in ("phase_diagram_PdNiH.png", "best_sun.png"):
        assert (out / "relaxation" / name).stat().st_size > 0


def test_storage_plot_marks_the_window_and_numbers_the_discoveries():
    from crystalgan.evaluation.report import STORAGE_RANGE, storage_figure
    from crystalgan.evaluation.storage import WINDOW

    relaxations = pd.DataFrame(
        {"relaxed": [True, True, True, False], "unique": [True] * 4, "wt_h": [1.2, 3.4, 0.5, np.nan]}
    ).assign(dh_kj_per_mol_h2=[35.0, 80.0, -2600.0, np.nan], system="PdNiH")
    found = pd.DataFrame({"system": ["PdNiH"], "crystal": [1], "wt_h": [1.2], "dh_kj_per_mol_h2": [35.0]})
    ax = storage_figure(relaxations, found, "PdNiH").axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("reversible near room temperature") and labels[-1] == "S.U.N."
    assert len(ax.patches) == 1 and [t.get_text() for t in ax.texts] == ["1"]  # the window band; crystal 1
    points = next(line for line in ax.get_lines() if line.get_label() == "relaxed unique")
    assert points.get_ydata().tolist()[:3] == [35.0, 80.0, STORAGE_RANGE[0]]  # the outlier at the edge
    assert "1 beyond" in ax.get_title()
    assert ax.get_ylim()[0] < WINDOW[0] < WINDOW[1] < ax.get_ylim()[1]
