"""What the workflow hands to curation: every entry of an input folder named like a structure
file is curated or listed in rejected.parquet, whatever it is (a folder, a symlink loop)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import SHIPPED
from crystalgan.config import ConfigError, check, defaults, structure_files
from crystalgan.core.artifacts import CURATED, REJECTED, read_table
from test_workflow import planned_jobs, small_config, snakemake

UNUSABLE = ("POSCAR_dir", "POSCAR_dangling", "POSCAR_loop", "bad.vasp")


def awkward_folder(folder: Path) -> Path:
    """Shipped Pd-H files plus a folder, a dangling symlink, a symlink loop and a folder named
    like structure files."""
    shutil.copytree(SHIPPED / "PdH", folder)
    (folder / "POSCAR_dir").mkdir()
    (folder / "bad.vasp").mkdir()
    (folder / "POSCAR_dangling").symlink_to(folder / "nowhere")
    (folder / "POSCAR_loop").symlink_to("POSCAR_loop")
    return folder


def test_structure_files_are_the_readable_files_and_check_accepts_the_folder(tmp_path):
    folder = awkward_folder(tmp_path / "PdH")
    assert [p.name for p in structure_files(folder)] == sorted(p.name for p in SHIPPED.joinpath("PdH").iterdir())
    config = defaults()
    config["systems"] = [{"name": "PdNiH", "A": "Pd", "B": "Ni", "AH": str(folder), "BH": str(SHIPPED / "NiH")}]
    check(config)
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    (only_bad / "POSCAR_loop").symlink_to("POSCAR_loop")
    config["systems"][0]["AH"] = str(only_bad)
    with pytest.raises(ConfigError, match="holds no structure files"):
        check(config)


@pytest.mark.slow
def test_workflow_rejects_every_unusable_entry_and_reruns_on_an_edited_file(tmp_path):
    folder = awkward_folder(tmp_path / "PdH")
    system = {"name": "PdNiH", "A": "Pd", "B": "Ni", "AH": str(folder), "BH": str(SHIPPED / "NiH")}
    small_config(tmp_path, systems=[system], methods=["gan"])
    assert planned_jobs(tmp_path)["curate"] == 1  # a dry run survives the symlink loop
    target = "results/PdNiH/curated/rejected.parquet"
    curated = tmp_path / "results" / "PdNiH" / "curated"
    snakemake(tmp_path, "--cores", "1", target)
    rejected = read_table(curated / "rejected.parquet", REJECTED)
    reasons = {Path(s).name: r for s, r in rejected[rejected["domain"] == "AH"][["source", "reason"]].values}
    assert {name: reasons.get(name, "") for name in UNUSABLE} == {
        "POSCAR_dir": "is a directory, not a structure file",
        "POSCAR_dangling": "broken symbolic link (its target does not exist)",
        "POSCAR_loop": "symbolic link loop",
        "bad.vasp": "is a directory, not a structure file",
    }
    kept = read_table(curated / "AH.parquet", CURATED)
    assert len(kept) + len(reasons) == len(list(folder.iterdir()))  # every entry: kept or rejected
    assert "curate" not in planned_jobs(tmp_path)
    edited = folder / "03_rocksalt_MH.vasp"  # an edited file reruns curation
    edited.write_text("edited title\n" + edited.read_text().split("\n", 1)[1])
    assert planned_jobs(tmp_path)["curate"] == 1
