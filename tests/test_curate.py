import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.io import savemat

from conftest import CURATE_OPTIONS, REAL, ROOT, SHIPPED, folder_digest
from crystalgan.config import structure_files
from crystalgan.core.artifacts import CURATED, PAIRS, REJECTED, read_table
from crystalgan.data.curate import CurationError, curate

BAD = ROOT / "tests" / "data" / "bad"
# Each bad file and a fragment of the reason it must be rejected with.
EXPECTED = {
    "POSCAR_truncated": "ends early",
    "POSCAR_wrong_counts": "malformed POSCAR",
    "POSCAR_text_in_coords": "malformed POSCAR",
    "POSCAR_ternary": "contains Ni",
    "POSCAR_wrong_metal": "contains Cu",
    "POSCAR_pure_metal": "no H atoms: pure metal Pd4",
    "POSCAR_too_many_H": "19 H atoms, more than the 18",
    "POSCAR_zero_volume": "cell volume 0",
    "POSCAR_negative_volume": "cell volume -64",
    "POSCAR_nan": "non-finite",
    "POSCAR_inf": "non-finite",
    "POSCAR_close_atoms": "0.224 A apart, closer than 0.5",
    "POSCAR_exact_duplicate": "exact duplicate of",
    "POSCAR_symmetry_duplicate": "(StructureMatcher)",
    "POSCAR_empty": "empty file",
    "POSCAR_not_utf8": "not a UTF-8 text file",
    "partial_occupancy.cif": "partial occupancy",
    "POSCAR_directory": "is a directory",
    "POSCAR_huge": "over the 5.0 MB limit; not parsed",
    "POSCAR_binary": "NUL bytes",
}


def _run(tmp_path, ah, bh, **options):
    out = tmp_path / "curated"
    counts = curate(ah, bh, "Pd", "Ni", out, {**CURATE_OPTIONS, **options})
    return counts, out


def test_shipped_data_passes_curation_aligned(tmp_path):
    counts, out = _run(tmp_path, SHIPPED / "PdH", SHIPPED / "NiH")
    # relaxed, bcc M2H is the fcc M4H2 layering (Bain path) on both sides, and so on: duplicates
    rejected = read_table(out / "rejected.parquet", REJECTED)
    assert rejected["reason"].str.startswith("duplicate of").all()
    assert counts == {
        "AH": 35 - (rejected["domain"] == "AH").sum(),
        "BH": 35 - (rejected["domain"] == "BH").sum(),
        "rejected": len(rejected),
    }
    assert counts["AH"] >= 33 and counts["BH"] >= 33
    ah = read_table(out / "AH.parquet", CURATED)
    bh = read_table(out / "BH.parquet", CURATED)
    assert ah["spacegroup"].iloc[3] == "Fm-3m"  # rocksalt
    pairs = read_table(out / "pairs.parquet", PAIRS)
    # the sides lost different files, so they pair by structure: each with its own prototype
    assert set(pairs["method"]) <= {"prototype", "composition"} and (pairs["method"] == "prototype").mean() > 0.9
    for domain, side, other in (("AH", ah, bh), ("BH", bh, ah)):
        p = pairs[(pairs["domain"] == domain) & (pairs["method"] == "prototype")]
        assert (side["id"].values[p["index"]] == other["id"].values[p["partner_index"]]).mean() > 0.9


def test_real_data_rejects_the_two_pure_metals(tmp_path, real_data):
    before = folder_digest(real_data)
    counts, out = _run(tmp_path, real_data / "PdH", real_data / "NiH", deduplicate=False)
    assert counts["AH"] == 33 and counts["BH"] == 33
    rejected = read_table(out / "rejected.parquet", REJECTED)
    assert sorted(Path(p).name for p in rejected["source"]) == ["POSCAR_00", "POSCAR_00", "POSCAR_03", "POSCAR_03"]
    assert rejected["reason"].str.startswith("no H atoms: pure metal").all()
    assert folder_digest(real_data) == before


def test_real_data_deduplicated_pairs_by_prototype(tmp_path, real_data):
    counts, out = _run(tmp_path, real_data / "PdH", real_data / "NiH")
    assert (counts["AH"], counts["BH"]) == (27, 24)  # as DESIGN's data README says
    pairs = read_table(out / "pairs.parquet", PAIRS)
    assert "index" not in set(pairs["method"])
    ah = read_table(out / "AH.parquet", CURATED)
    bh = read_table(out / "BH.parquet", CURATED)
    matched = pairs[(pairs["domain"] == "AH") & (pairs["method"] == "prototype")]
    assert len(matched) >= 15
    for _, p in matched.iterrows():  # a prototype match has the same metal:H ratio
        a, b = ah.iloc[p["index"]], bh.iloc[p["partner_index"]]
        assert a["n_H"] * b["n_metal"] == b["n_H"] * a["n_metal"]


def test_bad_inputs_rejected_with_reasons_and_left_untouched(tmp_path):
    folder = tmp_path / "PdH"
    shutil.copytree(BAD, folder)
    good = sorted(SHIPPED.joinpath("PdH").glob("0[0-5]_*.vasp"))
    for p in good:
        shutil.copy(p, folder)
    (folder / "POSCAR_directory").mkdir()
    (folder / "POSCAR_huge").write_bytes(os.urandom(1000) * 50_000)  # 50 MB of junk
    (folder / "POSCAR_binary").write_bytes(b"PdH\x00\x00\x001.0\n")
    before = folder_digest(folder)
    counts, out = _run(tmp_path, folder, SHIPPED / "NiH")
    assert folder_digest(folder) == before
    assert counts["AH"] == len(good)
    rejected = read_table(out / "rejected.parquet", REJECTED)
    reasons = {Path(s).name: r for s, r in zip(rejected["source"], rejected["reason"])}
    for name, fragment in EXPECTED.items():
        assert name in reasons, f"{name} was not rejected"
        assert fragment in reasons[name], f"{name}: {reasons[name]!r} lacks {fragment!r}"
    kept = read_table(out / "AH.parquet", CURATED)
    assert sorted(Path(s).name for s in kept["source"]) == [p.name for p in good]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_rejected(tmp_path):
    folder = tmp_path / "PdH"
    shutil.copytree(SHIPPED / "PdH", folder)
    locked = folder / "POSCAR_locked"
    shutil.copy(folder / "00_fcc_M4H1_oct.vasp", locked)
    locked.chmod(0)
    _, out = _run(tmp_path, folder, SHIPPED / "NiH")
    rejected = read_table(out / "rejected.parquet", REJECTED)
    assert rejected["reason"].str.contains("cannot read file").any()


def test_mat_import_matches_poscar(tmp_path):
    from pymatgen.core import Composition, Structure

    folder = tmp_path / "PdH"
    shutil.copytree(SHIPPED / "PdH", folder)
    s = Structure.from_file(SHIPPED / "PdH" / "03_rocksalt_MH.vasp")
    h = s.cart_coords[[x.specie.symbol == "H" for x in s]]
    pd_ = s.cart_coords[[x.specie.symbol == "Pd" for x in s]]
    cell = np.empty((2, 4), dtype=object)
    cell[0] = [s.lattice.matrix, h, pd_, np.zeros((0, 0), np.uint8)]
    moved = s.lattice.matrix * 1.1
    cell[1] = [moved, h * 1.1, pd_ * 1.1, np.zeros((1, 1), np.uint8)]
    savemat(folder / "legacy.mat", {"Pd_POSCAR_data": cell})
    _counts, out = _run(tmp_path, folder, SHIPPED / "NiH", deduplicate=False)
    kept = read_table(out / "AH.parquet", CURATED)
    row = kept[kept["id"] == "legacy#1"].iloc[0]
    assert Composition(row["formula"]) == Composition("Pd4H4")
    assert row["volume"] == pytest.approx(s.volume * 1.1**3, rel=1e-9)
    assert "legacy#0" in set(kept["id"])


def test_empty_or_missing_folder_stops_with_folder_and_reasons(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CurationError, match=r"empty: only 0 usable structure\(s\), at least 4 needed"):
        _run(tmp_path, empty, SHIPPED / "NiH")
    with pytest.raises(CurationError, match="does not exist"):
        _run(tmp_path, tmp_path / "missing", SHIPPED / "NiH")
    bad_only = tmp_path / "bad_only"
    shutil.copytree(BAD, bad_only)
    with pytest.raises(CurationError, match=r"Top rejection reasons: \d+ x "):
        _run(tmp_path, bad_only, SHIPPED / "NiH")


def test_unknown_element_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Xx"):
        curate(SHIPPED / "PdH", SHIPPED / "NiH", "Xx", "Ni", tmp_path / "c", CURATE_OPTIONS)


def test_cli_writes_the_declared_tables(tmp_path):
    from crystalgan.cli import main

    out = tmp_path / "cur"

    def run(ah):
        return main(
            ["curate", "--ah", str(ah), "--bh", str(SHIPPED / "TiH"), "--a", "Mg", "--b", "Ti", "--out", str(out)]
        )

    assert run(SHIPPED / "MgH") == 0
    for name, schema in (("AH", CURATED), ("BH", CURATED), ("rejected", REJECTED), ("pairs", PAIRS)):
        df = read_table(out / f"{name}.parquet", schema)
        assert isinstance(df, pd.DataFrame)
    assert run(tmp_path / "nope") == 1


def test_gzipped_structures_are_read_and_corrupt_ones_rejected(tmp_path):
    import gzip

    folder = tmp_path / "PdH"
    shutil.copytree(SHIPPED / "PdH", folder)
    (folder / "00_fcc_M4H1_oct.vasp").rename(folder / "first.vasp")
    with gzip.open(folder / "POSCAR_first.gz", "wb") as fh:  # same structure, gzipped
        fh.write((folder / "first.vasp").read_bytes())
    (folder / "first.vasp").unlink()
    (folder / "POSCAR_corrupt.gz").write_bytes(gzip.compress(b"Pd H\n" * 100)[:20])
    counts, out = _run(tmp_path, folder, SHIPPED / "NiH")
    kept = read_table(out / "AH.parquet", CURATED)
    plain, _ = _run(tmp_path / "plain", SHIPPED / "PdH", SHIPPED / "NiH")
    assert counts["AH"] == plain["AH"] and "POSCAR_first" in set(kept["id"])
    rejected = read_table(out / "rejected.parquet", REJECTED)
    assert rejected["reason"].str.startswith("corrupt gzip file").sum() == 1
    assert (
        rejected["reason"].str.startswith("corrupt gzip file") | rejected["reason"].str.startswith("duplicate")
    ).all()


def _authors_mat(folder, metal, path):
    """A legacy ``.mat`` in the layout of the authors' ``PdH_dataset.mat``: a cell array N x 4
    (lattice 3x3 double; H, A, B as n x 3 arrays), the empty B slot an 18 x 3 uint8 zero
    array, the empty H slot of a pure metal a 1 x 3 uint8 zero array, and a metal slot
    holding one atom at the origin a 1 x 3 uint8 zero array."""
    from pymatgen.core import Structure

    files = sorted(folder.iterdir())
    cell = np.empty((len(files), 4), dtype=object)
    single = 0
    for k, f in enumerate(files):
        s = Structure.from_file(f)
        h = s.cart_coords[[x.specie.symbol == "H" for x in s]]
        m = s.cart_coords[[x.specie.symbol == metal for x in s]]
        if len(m) == 1 and not m.any():
            m, single = np.zeros((1, 3), np.uint8), single + 1
        if len(h) == 0:
            h = np.zeros((1, 3), np.uint8)
        cell[k] = [s.lattice.matrix, h, m, np.zeros((18, 3), np.uint8)]
    savemat(path, {"dataset": cell})
    return single


def test_authors_mat_layout_keeps_single_metal_atoms_at_the_origin(tmp_path):
    (tmp_path / "mat").mkdir()
    single = _authors_mat(SHIPPED / "PdH", "Pd", tmp_path / "mat" / "PdH_dataset.mat")
    assert single == 4  # CsCl, ReO3, sc and AlB2 prototypes: one Pd at the origin
    from_mat, out = _run(tmp_path, tmp_path / "mat", SHIPPED / "NiH")
    from_poscar, _ = _run(tmp_path / "poscar", SHIPPED / "PdH", SHIPPED / "NiH")
    assert from_mat["AH"] == from_poscar["AH"], read_table(out / "rejected.parquet", REJECTED)
    kept = read_table(out / "AH.parquet", CURATED)
    assert set(kept.loc[kept["n_metal"] == 1, "id"]) == {
        "PdH_dataset#29",
        "PdH_dataset#30",
        "PdH_dataset#32",
        "PdH_dataset#34",
    }


def test_authors_mat_layout_of_the_real_data_keeps_what_the_poscars_keep(tmp_path, real_data):
    for name, metal in (("PdH", "Pd"), ("NiH", "Ni")):
        (tmp_path / name).mkdir()
        assert _authors_mat(real_data / name, metal, tmp_path / name / f"{name}_dataset.mat") >= 1
    from_mat, out = _run(tmp_path / "a", tmp_path / "PdH", tmp_path / "NiH")
    from_poscar, _ = _run(tmp_path / "b", real_data / "PdH", real_data / "NiH")
    assert (from_mat["AH"], from_mat["BH"]) == (from_poscar["AH"], from_poscar["BH"]) == (27, 24)
    rejected = read_table(out / "rejected.parquet", REJECTED)
    pure = rejected[rejected["reason"].str.startswith("no H atoms: pure metal")]
    assert sorted(Path(s).name for s in pure["source"]) == [
        "NiH_dataset.mat#0",
        "NiH_dataset.mat#3",
        "PdH_dataset.mat#0",
        "PdH_dataset.mat#3",
    ]


def test_bad_mat_entries_are_rejected_one_by_one_naming_the_entry_and_the_shape(tmp_path):
    from pymatgen.core import Structure

    folder = tmp_path / "PdH"
    shutil.copytree(SHIPPED / "PdH", folder)
    s = Structure.from_file(SHIPPED / "PdH" / "03_rocksalt_MH.vasp")
    h = s.cart_coords[[x.specie.symbol == "H" for x in s]]
    pd_ = s.cart_coords[[x.specie.symbol == "Pd" for x in s]]
    empty = np.zeros((18, 3), np.uint8)
    cell = np.empty((5, 4), dtype=object)
    cell[0] = [s.lattice.matrix * 1.1, h * 1.1, pd_ * 1.1, empty]
    cell[1] = [np.eye(2) * 4.0, h, pd_, empty]
    cell[2] = [s.lattice.matrix, h[:, :2], pd_, empty]
    cell[3] = [s.lattice.matrix, "H atoms", pd_, empty]
    cell[4] = [np.zeros((3, 3)), h, pd_, empty]
    savemat(folder / "legacy.mat", {"Pd_POSCAR_data": cell})
    savemat(folder / "single.mat", {"lattice": np.eye(2), "H": h, "A": pd_, "B": empty})
    strings = np.empty((1, 4), dtype=object)
    strings[0] = ["lattice", "H", "A", "B"]
    savemat(folder / "strings.mat", {"data": strings})
    counts, out = _run(tmp_path, folder, SHIPPED / "NiH", deduplicate=False)
    assert counts["AH"] == 36
    reasons = {Path(s).name: r for s, r in read_table(out / "rejected.parquet", REJECTED)[["source", "reason"]].values}
    assert reasons == {
        "legacy.mat#1": ".mat entry #1: lattice has shape (2, 2), expected 3 x 3",
        "legacy.mat#2": ".mat entry #2: H slot has shape (4, 2), expected n x 3 Cartesian coordinates",
        "legacy.mat#3": ".mat entry #3: H slot holds text, expected numbers",
        "legacy.mat#4": ".mat entry #4: lattice of zero volume",
        "single.mat": ".mat entry #0: lattice has shape (2, 2), expected 3 x 3",
        "strings.mat": ".mat entry #0: lattice holds text, expected numbers",
    }
    assert "legacy#0" in set(read_table(out / "AH.parquet", CURATED)["id"])


def test_cells_of_absurd_size_are_rejected_by_volume_per_atom(tmp_path):
    from crystalgan.core.artifacts import VOLUME_PER_ATOM

    folder = tmp_path / "PdH"
    folder.mkdir()
    for p in sorted(SHIPPED.joinpath("PdH").iterdir())[:8]:
        shutil.copy(p, folder)
    body = "{a} 0 0\n0 {a} 0\n0 0 {a}\nPd H\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n"
    (folder / "POSCAR_huge_cell").write_text("PdH in a 1000 A cell\n1.0\n" + body.format(a=1000.0))
    (folder / "POSCAR_tiny_cell").write_text("PdH in a 0.6 A cell\n1.0\n" + body.format(a=0.6))
    counts, out = _run(tmp_path, folder, SHIPPED / "NiH", deduplicate=False)
    assert counts["AH"] == 8
    low, high = VOLUME_PER_ATOM
    reasons = dict(read_table(out / "rejected.parquet", REJECTED)[["source", "reason"]].values)
    assert reasons == {
        str(folder / "POSCAR_huge_cell"): f"volume per atom 5e+08 A^3 is outside {low:g}-{high:g} A^3",
        str(folder / "POSCAR_tiny_cell"): f"volume per atom 0.108 A^3 is outside {low:g}-{high:g} A^3",
    }


def test_no_shipped_or_paper_structure_is_outside_the_volume_bounds():
    from crystalgan.core.artifacts import VOLUME_PER_ATOM
    from crystalgan.data.curate import read_source

    folders = [p for p in SHIPPED.iterdir() if p.is_dir()] + [REAL / "PdH", REAL / "NiH"] * (REAL / "PdH").is_dir()
    volumes = [
        s.volume / len(s)
        for folder in folders
        for f in structure_files(folder)
        for _, s in read_source(f, 10**7, folder.name.removesuffix("H"))[1]
    ]
    assert len(volumes) >= 4 * 35
    assert VOLUME_PER_ATOM[0] <= min(volumes) and max(volumes) <= VOLUME_PER_ATOM[1]


POSCAR_BODY = "4.0 0 0\n0 4.0 0\n0 0 4.0\n{names}1 1\n{kind}\n{coords}"


def test_negative_scale_is_the_cell_volume_for_lattice_and_cartesian_positions(tmp_path):
    from crystalgan.data.curate import read_source

    cart = POSCAR_BODY.format(names="Pd H\n", kind="Cartesian", coords="0 0 0\n2.0 2.0 2.0\n")
    direct = POSCAR_BODY.format(names="Pd H\n", kind="Direct", coords="0 0 0\n0.5 0.5 0.5\n")
    for name, body in (("cart", cart), ("direct", direct)):
        (tmp_path / f"POSCAR_{name}").write_text("rocksalt-like\n-125.0\n" + body)
        _, [(_, s)] = read_source(tmp_path / f"POSCAR_{name}", 10**6, "Pd")
        assert s.volume == pytest.approx(125.0)
        assert s.lattice.abc == pytest.approx((5.0, 5.0, 5.0))
        assert s.get_distance(0, 1) == pytest.approx(5.0 * np.sqrt(3) / 2)  # VASP: positions scale with the cell


def test_vasp4_poscar_takes_element_names_from_its_title_or_is_rejected_saying_so(tmp_path):
    from crystalgan.data.curate import Rejected, read_source

    body = POSCAR_BODY.format(names="", kind="Direct", coords="0 0 0\n0.5 0.5 0.5\n")
    (tmp_path / "POSCAR_named").write_text("Pd1 H1 CsCl\n1.0\n" + body)
    _, [(_, s)] = read_source(tmp_path / "POSCAR_named", 10**6, "Pd")
    assert [x.specie.symbol for x in s] == ["Pd", "H"]
    (tmp_path / "POSCAR_hydride_first").write_text("H Pd\n1.0\n" + body)
    _, [(_, s)] = read_source(tmp_path / "POSCAR_hydride_first", 10**6, "Pd")
    assert [x.specie.symbol for x in s] == ["H", "Pd"]
    (tmp_path / "POSCAR_unnamed").write_text("some structure\n1.0\n" + body)
    with pytest.raises(Rejected, match=r"VASP 4 POSCAR without an element line.*add the element line"):
        read_source(tmp_path / "POSCAR_unnamed", 10**6, "Pd")


def test_curate_takes_the_files_it_is_given(tmp_path):
    files = sorted(SHIPPED.joinpath("PdH").iterdir())[:10]
    counts, out = _run(tmp_path, files, SHIPPED / "NiH")
    kept = read_table(out / "AH.parquet", CURATED)
    assert counts["AH"] == 10 and sorted(kept["source"]) == sorted(map(str, files))


def test_too_few_structures_names_the_folder_and_whole_reasons(tmp_path, caplog):
    from crystalgan.cli import main

    folder = tmp_path / "inputs" / "PdH"
    folder.mkdir(parents=True)
    for p in sorted(SHIPPED.joinpath("PdH").iterdir())[:2]:
        shutil.copy(p, folder)
    for name in ("partial_occupancy.cif", "POSCAR_close_atoms", "POSCAR_too_many_H"):
        shutil.copy(BAD / name, folder)
    args = ["curate", "--ah", str(folder), "--bh", str(SHIPPED / "NiH"), "--a", "Pd", "--b", "Ni"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 1
    message = caplog.records[-1].getMessage()
    assert f"curate failed: {folder}: only 2 usable structure(s), at least 4 needed" in message
    top = message.split("Top rejection reasons: ")[1]
    assert sorted(top.split("; ")) == [
        "1 x atoms closer than the minimum distance",
        "1 x more atoms of one species than the encoding holds",
        "1 x partial occupancy",
    ]


def _plain_deduplicated(entries):
    """Curation's deduplication as a plain StructureMatcher pass: each entry against every
    earlier kept one of its reduced composition, the first match its twin."""
    from pymatgen.analysis.structure_matcher import StructureMatcher

    matcher, kept, twins = StructureMatcher(), [], {}
    for e in entries:
        comp = e.structure.composition.reduced_composition
        same = [k for k in kept if k.structure.composition.reduced_composition == comp]
        twin = next((k for k in same if matcher.fit(k.structure, e.structure)), None)
        if twin is None:
            kept.append(e)
        else:
            twins[e.source] = twin.source
    return kept, twins


def _plain_partners(side, other):
    """Prototype pairing as a plain StructureMatcher pass: of the ``other`` prototypes that
    ``fit(side's, other's)`` matches, the closest in H ratio, then volume per atom."""
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from crystalgan.data.curate import _h_ratio, _prototype

    matcher, out = StructureMatcher(), []
    features = np.array([(_h_ratio(e.structure), e.structure.volume / len(e.structure)) for e in other])
    for e in side:
        gap = np.abs(features - (_h_ratio(e.structure), e.structure.volume / len(e.structure)))
        rank = np.argsort(np.lexsort((gap[:, 1], gap[:, 0])))
        mine = _prototype(e.structure)
        matched = [j for j, o in enumerate(other) if matcher.fit(mine, _prototype(o.structure))]
        if matched:
            out.append((min(matched, key=rank.__getitem__), "prototype"))
        else:
            out.append((int(np.argmin(rank)), "composition"))
    return out


def _check_against_a_plain_pass(ah_folder: Path, a: str, bh_folder: Path, b: str) -> None:
    from crystalgan.data.curate import _best_partners, curate_domain, deduplicate

    options = {**CURATE_OPTIONS, "deduplicate": False}
    domains = []
    for folder, metal in ((ah_folder, a), (bh_folder, b)):
        entries, _ = curate_domain(folder, metal, options)
        kept, rejected = deduplicate(entries)
        plain_kept, twins = _plain_deduplicated(entries)
        assert [e.id for e in kept] == [e.id for e in plain_kept] and len(kept) < len(entries)
        assert {r["source"]: r["reason"] for r in rejected} == {
            source: f"duplicate of {twin} (StructureMatcher)" for source, twin in twins.items()
        }
        domains.append(kept)
    ah, bh = domains
    for side, other in ((ah, bh), (bh, ah)):
        partners = _best_partners(side, other)
        assert partners == _plain_partners(side, other)
        assert sum(m == "prototype" for _, m in partners) > len(side) // 2


@pytest.mark.parametrize("system", [("PdH", "Pd", "NiH", "Ni"), ("MgH", "Mg", "TiH", "Ti")], ids=["PdNiH", "MgTiH"])
def test_deduplication_and_prototype_pairing_equal_a_plain_structure_matcher_pass(system):
    """Curation matches with the project's one matcher (crystalgan.core.matching): the same
    kept structures, twins and partners as plain StructureMatcher.fit over every pair."""
    ah, a, bh, b = system
    _check_against_a_plain_pass(SHIPPED / ah, a, SHIPPED / bh, b)


def test_real_data_deduplication_and_pairing_equal_a_plain_structure_matcher_pass(real_data):
    _check_against_a_plain_pass(real_data / "PdH", "Pd", real_data / "NiH", "Ni")
