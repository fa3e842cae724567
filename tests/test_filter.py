import json

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from conftest import SHIPPED
from crystalgan.core.artifacts import FILTERED, NEIGHBOURS, ArtifactError, read_run, read_table, write_structures
from crystalgan.core.structures import encode_structure
from crystalgan.evaluation.filter import filter_candidates
from crystalgan.evaluation.verdicts import judge

D1, D2 = 1.8, 3.0


def enc(lattice, species, coords, cartesian=False):
    s = Structure(Lattice(lattice), species, coords, coords_are_cartesian=cartesian)
    return encode_structure(s, "Pd", "Ni")


def bcc_ternary(a):
    """Pd at the corner, Ni at the body centre, H on a face centre of a cube of edge a."""
    return enc(np.eye(3) * a, ["Pd", "Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0]])


def test_inside_window_is_valid():
    r = judge(*bcc_ternary(2.5), D1, D2, 6.0, ("H", "Pd", "Ni"))
    assert r["valid"] and r["is_ternary"] and r["reason"] == ""
    assert r["min_HH"] == pytest.approx(2.5) and r["min_AB"] == pytest.approx(2.5 * np.sqrt(3) / 2)
    assert np.isnan(r["min_AA"])  # Pd's nearest metal is Ni, never Pd


def test_below_d1_and_above_d2_are_invalid_with_reason():
    low = judge(*bcc_ternary(1.7), D1, D2, 6.0, ("H", "Pd", "Ni"))
    assert not low["valid"] and "H0 nearest H-H 1.700 A < d1 = 1.8" in low["reason"]
    high = judge(*bcc_ternary(3.2), D1, D2, 6.0, ("H", "Pd", "Ni"))
    assert not high["valid"] and "H0 nearest H-H 3.200 A > d2 = 3" in high["reason"]
    assert high["min_AB"] == pytest.approx(3.2 * np.sqrt(3) / 2)  # 2.77: inside, not the reason


def test_distance_across_the_periodic_boundary():
    x, c = enc(
        np.diag([5.0, 2.5, 2.5]),
        ["Pd", "Ni", "H", "H"],
        [[1.25, 0, 0], [3.75, 1.25, 1.25], [0.1, 1.25, 0], [4.0, 1.25, 0]],
        cartesian=True,
    )
    r = judge(x, c, D1, D2, 6.0, ("H", "Pd", "Ni"))
    assert r["min_HH"] == pytest.approx(1.1) and not r["valid"]


def test_binary_is_never_valid():
    x, c = enc(np.eye(3) * 2.5, ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    r = judge(x, c, D1, D2, 6.0, ("H", "Pd", "Ni"))
    assert not r["is_ternary"] and not r["valid"] and r["reason"] == "not ternary: no Ni atoms"


def test_metal_hydrogen_distance_is_unconstrained():
    # H only 1.0 A (then 0.3 A) from Pd: the paper's criterion ignores A-H, CDVAE's does not.
    for gap, cdvae in ((1.0, True), (0.3, False)):
        x, c = enc(np.eye(3) * 2.5, ["Pd", "Ni", "H"], [[0, 0, 0], [1.25, 1.25, 1.25], [gap, 0, 0]], cartesian=True)
        r = judge(x, c, D1, D2, 6.0, ("H", "Pd", "Ni"))
        assert r["valid"] and r["cdvae_valid"] is cdvae


def test_degenerate_candidates_are_rows_not_crashes(tmp_path):
    good = bcc_ternary(2.5)
    xs, cs = [good[0].copy() for _ in range(4)], [good[1]] * 4
    xs[1][0, 2] = xs[1][0, 1]  # collapsed cell
    xs[2][2, 0, 0] = np.nan  # NaN coordinate
    xs[3][0, 2] *= -1  # inverted (left-handed) cell: still a lattice, distances as before
    df = filter_candidates(np.stack(xs), np.stack(cs), "Pd", "Ni", [], D1, D2)
    assert df["candidate"].tolist() == [0, 1, 2, 3]
    assert df["valid"].tolist() == [True, False, False, True]
    assert "collapsed cell" in df["reason"][1] and "non-finite" in df["reason"][2]
    assert df["unique"].tolist() == [True, False, False, False]  # 3 is 0 in another basis
    assert df["duplicate_of"].tolist() == [-1, -1, -1, 0]
    assert df["unseen"][0] and df["spacegroup"][0] == "P4/mmm"


def independent_verdict(s: Structure) -> bool:
    """The paper's criterion straight from Structure.get_neighbor_list."""
    symbols = {x.specie.symbol for x in s}
    if symbols != {"H", "Pd", "Ni"}:
        return False
    c, p, _, d = s.get_neighbor_list(r=6.0)
    metal = np.array([x.specie.symbol != "H" for x in s])
    same = np.array([s[i].specie == s[j].specie for i, j in zip(c, p)], bool)
    ok = same | (metal[c] & metal[p])
    nn = np.full(len(s), np.inf)
    np.minimum.at(nn, c[ok], d[ok])
    return bool(((nn >= D1) & (nn <= D2)).all())


def test_verdicts_match_an_independent_pymatgen_check(tmp_path):
    rng = np.random.default_rng(3)
    xs, cs, structures = [], [], []
    for path in sorted((SHIPPED / "PdH").iterdir()):
        s = Structure.from_file(path)
        metal = [i for i, x in enumerate(s) if x.specie.symbol == "Pd"]
        s.replace(metal[-1], "Ni") if len(metal) > 1 else None
        for _ in range(4):
            t = s.copy()
            t.perturb(rng.uniform(0, 0.6))
            t.scale_lattice(t.volume * rng.uniform(0.6, 1.4))
            x, c = encode_structure(t, "Pd", "Ni")
            xs.append(x), cs.append(c), structures.append(t)
    df = filter_candidates(np.stack(xs), np.stack(cs), "Pd", "Ni", [], D1, D2)
    expected = [independent_verdict(s) for s in structures]
    assert 10 < sum(expected) < len(expected) - 10  # both verdicts are exercised
    assert df["valid"].tolist() == expected


def one_species(s: Structure) -> Structure:
    """``s`` with every atom one dummy species: its framework for a plain StructureMatcher."""
    out = s.copy()
    out.replace_species({el: "X0+" for el in s.composition.elements})
    return out


def test_uniqueness_and_novelty_equal_a_plain_structure_matcher_pass(tmp_path):
    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.core.operations import SymmOp

    rng = np.random.default_rng(11)
    training, candidates = [], []
    for path in sorted((SHIPPED / "PdH").iterdir())[:12]:
        s = Structure.from_file(path)
        s.replace(max(i for i, x in enumerate(s) if x.specie.symbol == "Pd"), "Ni") if len(s) > 2 else None
        training.append(s)
        turned = s.copy()
        turned.apply_operation(SymmOp.from_axis_angle_and_translation(rng.normal(size=3), rng.uniform(0, 180)))
        turned.translate_sites(range(len(s)), rng.uniform(size=3))
        shaken = s.copy()
        shaken.perturb(0.25)
        candidates += [s.copy(), turned, shaken]
    rng.shuffle(candidates)
    encoded = [encode_structure(s, "Pd", "Ni") for s in candidates]
    x, c = np.stack([e[0] for e in encoded]), np.stack([e[1] for e in encoded])
    df = filter_candidates(x, c, "Pd", "Ni", training[::2], 0.5, 6.0)
    assert df["valid"].sum() > 20
    in_workers = filter_candidates(x, c, "Pd", "Ni", training[::2], 0.5, 6.0, processes=3)
    assert df.equals(in_workers)  # formula groups matched in worker processes: the same table

    matcher = StructureMatcher()
    uniques = []
    for k, s in enumerate(candidates):
        row = df.iloc[k]
        if not row["valid"]:
            assert not row["unique"] and row["duplicate_of"] == -1
            continue
        twins = [j for j in uniques if matcher.fit(candidates[j], s)]
        assert row["unique"] == (not twins)
        if twins:
            assert row["duplicate_of"] in twins
            continue
        uniques.append(k)
        assert row["unseen"] == (not any(matcher.fit(t, s) for t in training[::2]))
        frameworks = (matcher.fit(one_species(t), one_species(s)) for t in training[::2])
        assert row["unseen_framework"] == (row["unseen"] and not any(frameworks))
    assert 5 < len(uniques) < df["valid"].sum() and 0 < df["unseen"].sum() < len(uniques)
    assert df["unseen_framework"].sum() > 0


def rocksalt(a: float = 4.0) -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def test_novel_framework_ignores_every_species_in_the_frameworks_own_cell():
    """One definition of a framework for the filter and the relaxed judgement: every atom one
    species, reduced as such. An ordered substitution of a training structure's sites (Cu3Au-type
    Pd3Ni on rocksalt PdH, 8 atoms where PdH has 2) is novel but not a novel framework; a
    crystal that matches a training structure has its framework; fluorite is a new framework."""
    from crystalgan.core.matching import Matcher

    ordered = rocksalt()
    ordered.replace(0, "Ni")
    fluorite = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.0), ["Pd", "H"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    fluorite.replace(0, "Ni")
    matcher = Matcher([rocksalt(4.1), ordered])
    assert not matcher.novel(ordered) and not matcher.novel_framework(ordered)
    substituted = ordered.copy()
    substituted.replace(1, "Ni")  # another ordered substitution, CuAu-type: Pd2Ni2H4
    fresh = Matcher([rocksalt(4.1)])
    assert fresh.novel(ordered) and not fresh.novel_framework(ordered)
    assert matcher.novel(substituted) and not matcher.novel_framework(substituted)
    assert matcher.novel(fluorite) and matcher.novel_framework(fluorite)
    # the filter's verdicts are the matcher's
    structures = [ordered, substituted, fluorite]
    encoded = [encode_structure(s, "Pd", "Ni") for s in structures]
    x, c = np.stack([e[0] for e in encoded]), np.stack([e[1] for e in encoded])
    df = filter_candidates(x, c, "Pd", "Ni", [rocksalt(4.1)], 0.5, 6.0)
    assert df["unique"].all() and df["unseen"].all()
    assert df["unseen_framework"].tolist() == [False, False, True]


def test_matcher_judges_a_stream_against_what_it_knows():
    from crystalgan.core.matching import Matcher

    ordered = rocksalt()
    ordered.replace(0, "Ni")
    known = Matcher([rocksalt(4.1)])
    run = known.fresh()
    first = run.judge(ordered, "a")
    assert first.unique and first.novel and not first.novel_framework and first.duplicate_of is None
    shaken = ordered.copy()
    shaken.perturb(0.05)
    twin = run.judge(shaken, "b")
    assert not twin.unique and twin.duplicate_of == "a" and not twin.novel
    assert known.fresh().unique(shaken, "c") is None  # another fresh matcher has seen nothing
    verdict = run.judge(rocksalt(3.9), "d")  # the training crystal itself
    assert verdict.unique and not verdict.novel and not verdict.novel_framework


def test_element_aware_bounds_from_training_binaries():
    from crystalgan.evaluation.verdicts import data_windows

    binaries = [Structure(Lattice.cubic(a), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]]) for a in (3.0, 3.2)]
    binaries += [Structure(Lattice.cubic(2.4), ["Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])]
    w = data_windows(binaries, "Pd", "Ni")
    assert w[0, 0] == pytest.approx(2.4 + 0.05 * 0.6, abs=1e-6)  # H-H: 2.4, 3.0, 3.2 (linear percentile)
    assert w[1].tolist() == pytest.approx([3.005, 3.195]) and w[2].tolist() == pytest.approx([2.4, 2.4])
    assert w[3].tolist() == pytest.approx([2.4, 3.195])
    x, c = bcc_ternary(2.5)  # H-H 2.5 and Pd-Ni 2.17: only H-H fits the data windows
    r = judge(x, c, D1, D2, 6.0, ("H", "Pd", "Ni"), w)
    assert r["valid"] and not r["valid_data_bounds"]
    wide = np.array([[2.0, 3.0], [2.0, 3.0], [2.0, 3.0], [2.0, 3.0]])
    assert judge(x, c, D1, D2, 6.0, ("H", "Pd", "Ni"), wide)["valid_data_bounds"]


def _run_files(folder, xs, cs):
    """A run's candidate files as generate writes them: tensors, counts and candidates.json."""
    write_structures(np.stack(xs), np.stack(cs), folder / "candidates.npy")
    info = {"system": "PdNiH", "A": "Pd", "B": "Ni", "method": "crystalgan", "seed": 0}
    (folder / "candidates.json").write_text(json.dumps(info))
    return (folder / "candidates.npy", folder / "candidates_counts.npy"), folder / "candidates.json"


def test_scattered_parts_gather_to_the_same_table(tmp_path):
    from conftest import CURATE_OPTIONS
    from crystalgan.data.curate import curate
    from crystalgan.evaluation.filter import write_filtered, write_part

    curate(SHIPPED / "PdH", SHIPPED / "NiH", "Pd", "Ni", tmp_path / "cur", CURATE_OPTIONS)
    curated = [tmp_path / "cur" / "AH.parquet", tmp_path / "cur" / "BH.parquet"]
    rng = np.random.default_rng(5)
    xs, cs = [], []
    for a in rng.uniform(1.6, 3.4, 25):
        x, c = bcc_ternary(a)
        xs.append(x), cs.append(c)
    candidates, info = _run_files(tmp_path / "run", xs, cs)
    nn = tmp_path / "nn.parquet"
    write_filtered(candidates, info, curated, [], tmp_path / "whole.parquet", nn, D1, D2)
    parts = [tmp_path / f"{k}-of-3.parquet" for k in (1, 2, 3)]
    for k, part in enumerate(parts, start=1):
        write_part(candidates, info, curated, part, D1, D2, (k, 3))
    assert sum(len(read_table(p, FILTERED)) for p in parts) == 25
    write_filtered(candidates, info, curated, [], tmp_path / "gathered.parquet", nn, D1, D2, parts=parts[::-1])
    whole = read_table(tmp_path / "whole.parquet", FILTERED)
    gathered = read_table(tmp_path / "gathered.parquet", FILTERED)
    assert whole.equals(gathered)
    assert 0 < whole["valid"].sum() < 25 and whole["unique"].sum() >= 1
    assert read_run(tmp_path / "whole.parquet") == {
        "system": "PdNiH",
        "A": "Pd",
        "B": "Ni",
        "method": "crystalgan",
        "seed": 0,
    }
    with pytest.raises(ValueError, match="not each of the 25 candidates once"):
        write_filtered(candidates, info, curated, [], tmp_path / "bad.parquet", nn, D1, D2, parts=parts[:2])


@pytest.mark.parametrize(
    "counts,message",
    [
        ([1, 1, 19], r"structure 2 has atom counts \(H, A, B\) \[1, 1, 19\]; each must be 0 to 18"),
        ([-1, 1, 1], r"structure 2 has atom counts \(H, A, B\) \[-1, 1, 1\]"),
        ([0, 0, 0], r"structure 2 has atom counts .* at least one atom in all"),
    ],
)
def test_filter_names_the_file_of_impossible_atom_counts(tmp_path, counts, message):
    """Counts above the encoding's 18 per species, negative or all zero are the file's fault, said so."""
    from crystalgan.cli import main

    xs, cs = zip(*[bcc_ternary(2.5)] * 3)
    cs = [c.copy() for c in cs]
    cs[2][:] = counts
    candidates, info = _run_files(tmp_path / "run", list(xs), cs)
    args = ["--candidates", str(candidates[0]), "--counts", str(candidates[1]), "--info", str(info)]
    args += ["--curated", str(info), str(info)]
    with pytest.raises(ArtifactError, match=f"candidates_counts.npy: {message}"):
        main(["-v", "filter", *args, "--out", str(tmp_path / "f.parquet"), "--neighbours", str(tmp_path / "n.parquet")])
    assert not (tmp_path / "f.parquet").exists()


def test_filter_refuses_files_of_another_run_or_kind(tmp_path):
    from crystalgan.evaluation.filter import write_filtered, write_part

    xs, cs = zip(*[bcc_ternary(a) for a in (2.4, 2.5, 2.6)])
    candidates, info = _run_files(tmp_path / "run", list(xs), list(cs))
    other, other_info = _run_files(tmp_path / "other", list(xs), list(cs))
    other_info.write_text(json.dumps({**json.loads(other_info.read_text()), "seed": 7}))
    write_part(other, other_info, [], tmp_path / "part.parquet", D1, D2, (1, 1))
    out, nn = tmp_path / "f.parquet", tmp_path / "n.parquet"
    with pytest.raises(ArtifactError, match=r"part.parquet: a table of run PdNiH/crystalgan/seed7, not of .*seed0"):
        write_filtered(candidates, info, [], [], out, nn, D1, D2, parts=[tmp_path / "part.parquet"])
    info.write_text(json.dumps({**json.loads(info.read_text()), "samples": 70}))
    with pytest.raises(ArtifactError, match=r"candidates.npy: 3 candidates, but .*candidates.json describes 70"):
        write_filtered(candidates, info, [], [], out, nn, D1, D2)
    candidates[0].write_text("not an array")
    with pytest.raises(ArtifactError, match=r"candidates.npy: not a readable NPY array"):
        write_filtered(candidates, info, [], [], out, nn, D1, D2)


def test_neighbour_table_lists_each_atom_of_the_valid_unique_candidates(tmp_path):
    """neighbours.parquet: per atom of every valid unique candidate, its nearest constrained
    neighbour, as the verdicts measured it (the report plots it, never recomputes it)."""
    from conftest import CURATE_OPTIONS
    from crystalgan.data.curate import curate
    from crystalgan.evaluation.filter import write_filtered

    curate(SHIPPED / "PdH", SHIPPED / "NiH", "Pd", "Ni", tmp_path / "cur", CURATE_OPTIONS)
    curated = [tmp_path / "cur" / "AH.parquet", tmp_path / "cur" / "BH.parquet"]
    edge = enc(np.eye(3) * 2.5, ["Pd", "Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]])  # H beside Pd now
    # valid unique, its duplicate, invalid, another valid unique
    xs, cs = zip(bcc_ternary(2.5), bcc_ternary(2.5), bcc_ternary(1.5), edge)
    candidates, info = _run_files(tmp_path / "run", xs, cs)
    df = write_filtered(candidates, info, curated, [], tmp_path / "f.parquet", tmp_path / "nn.parquet", D1, D2)
    assert df["unique"].tolist() == [True, False, False, True]
    nn = read_table(tmp_path / "nn.parquet", NEIGHBOURS)
    assert nn["candidate"].tolist() == [0, 0, 0, 3, 3, 3]
    assert nn["atom"].tolist()[:3] == ["H0", "Pd0", "Ni0"] and nn["neighbour"].tolist()[:3] == ["H0", "Ni0", "Pd0"]
    assert nn["pair"].tolist()[:3] == ["H-H", "Pd-Ni", "Ni-Pd"]
    np.testing.assert_allclose(nn["distance"][:3], [2.5, 2.5 * np.sqrt(3) / 2, 2.5 * np.sqrt(3) / 2])
    for k in (0, 3):
        row = df.iloc[k]
        assert nn.loc[nn["candidate"] == k, "distance"].min() == pytest.approx(min(row["min_HH"], row["min_AB"]))
    assert read_run(tmp_path / "nn.parquet")["method"] == "crystalgan"


def ternaries_in_many_settings(seed: int = 5) -> list[Structure]:
    """Shipped Pd-H prototypes with a Pd made Ni, each also strained (lengths by up to 30%,
    angles by up to 8 degrees: inside and outside StructureMatcher's ltol and angle_tol), in
    another cell of the same lattice, and shaken."""
    rng = np.random.default_rng(seed)
    out = []
    for path in sorted((SHIPPED / "PdH").iterdir())[:16]:
        s = Structure.from_file(path)
        pd_sites = [i for i, site in enumerate(s) if site.specie.symbol == "Pd"]
        if len(pd_sites) < 2:
            continue
        s.replace(pd_sites[-1], "Ni")
        out.append(s)
        for _ in range(3):
            a, b, c = np.array(s.lattice.abc) * rng.uniform(0.7, 1.3, 3)
            angles = np.clip(np.array(s.lattice.angles) + rng.uniform(-8, 8, 3), 50, 130)
            out.append(Structure(Lattice.from_parameters(a, b, c, *angles), s.species, s.frac_coords))
        other = s.copy()
        other.make_supercell([[1, 1, 0], [0, 1, 0], [0, 0, 1]])  # same lattice, another basis
        out.append(other)
        shaken = s.copy()
        shaken.perturb(0.2)
        out.append(shaken)
    return out


def test_the_lattice_precheck_never_rejects_a_pair_that_structure_matcher_matches():
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from crystalgan.core.matching import Cell, mappings, reduced, shape

    matcher = StructureMatcher()
    structures = [reduced(s) for s in ternaries_in_many_settings()]
    fits = admitted = pairs = 0
    for s1 in structures:
        cell = Cell(s1)
        for s2 in structures:
            if len(s1) != len(s2) or s1.composition.reduced_formula != s2.composition.reduced_formula:
                continue
            passes = len(mappings(cell, shape(s2), matcher.ltol, matcher.angle_tol)[0]) > 0
            fit = matcher.fit(s1, s2, skip_structure_reduction=True)
            assert passes or not fit, "the pre-check rejected a pair that StructureMatcher matches"
            pairs, fits, admitted = pairs + 1, fits + fit, admitted + passes
    assert 0 < fits < admitted < pairs  # it matches some, and rejects some it cannot match


@pytest.mark.parametrize("kind", ["species", "species ignored", "frameworks"])
def test_proven_verdicts_are_those_of_structure_matcher(kind):
    """Catalogue.proven decides a pair only as StructureMatcher.fit would: with species, with
    species ignored by the comparator, and on frameworks (every atom one species, reduced as
    such: how the Matcher compares frameworks)."""
    from pymatgen.analysis.structure_matcher import FrameworkComparator, StructureMatcher

    from crystalgan.core.matching import Catalogue, Cell, framework, reduced, shape

    ignored = kind == "species ignored"
    matcher = StructureMatcher(comparator=FrameworkComparator()) if ignored else StructureMatcher()
    catalogue = Catalogue(matcher, species=not ignored)
    structures = ternaries_in_many_settings()
    structures = [reduced(framework(s) if kind == "frameworks" else s) for s in structures]
    decided = {True: 0, False: 0}
    for s1 in structures:
        cell = Cell(s1)
        for s2 in structures:
            if len(s1) != len(s2) or s1.composition.reduced_formula != s2.composition.reduced_formula:
                continue
            species = None if ignored else (np.array(s1.atomic_numbers), np.array(s2.atomic_numbers))
            verdict = catalogue.proven(s1, s2, cell, shape(s2), species)
            if verdict is not None:
                assert verdict == matcher.fit(s1, s2, skip_structure_reduction=True)
                decided[verdict] += 1
    assert decided[True] > 100 and decided[False] > 100  # it decides most pairs, both ways


def test_reduced_skips_the_primitive_search_only_where_no_smaller_cell_exists():
    from crystalgan.core.matching import may_repeat, reduced

    rng = np.random.default_rng(0)
    skipped = 0
    for s in ternaries_in_many_settings()[:12]:
        full = s.get_reduced_structure(reduction_algo="niggli").get_primitive_structure()
        short = reduced(s)
        assert short.lattice == full.lattice and short.sites == full.sites
        double = s * (2, 1, 1)  # every count even: the primitive search must run, and halve it
        assert may_repeat(double.get_reduced_structure(reduction_algo="niggli"))
        assert len(reduced(double)) == len(s)
        # counts with a common divisor but no repeat: the search may be skipped, with the same result
        moved = double.frac_coords + rng.uniform(-0.1, 0.1, (len(double), 3))
        shaken = Structure(double.lattice, double.species, moved)
        niggli = shaken.get_reduced_structure(reduction_algo="niggli")
        full = niggli.get_primitive_structure()
        if not may_repeat(niggli):
            skipped += 1
            assert len(full) == len(niggli)
        short = reduced(shaken)
        assert short.lattice == full.lattice and short.sites == full.sites
    assert skipped >= 6
