"""Shared fixtures: the shipped default data, the paper's real data (when present), helpers."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from crystalgan.config import defaults

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "resources" / "poscar"
REAL = ROOT.parent / "shared" / "data" / "crystalgan-2019"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The paper's 35 Pd-H + 35 Ni-H POSCARs (tests and benchmarks only; never shipped)."""
    if not (REAL / "PdH").is_dir():
        pytest.skip(f"paper data not found at {REAL} (only available beside the project checkout)")
    return REAL


def folder_digest(folder: Path) -> dict[str, str]:
    """sha256 and mode of every file below ``folder``, to prove a stage left its input alone."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and os.access(p, os.R_OK):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
        else:
            out[str(p)] = oct(p.lstat().st_mode)
    return out


DEFAULTS = defaults()
# Small, fast training for tests; every other setting is the schema's default.
TRAIN_OPTIONS = {**DEFAULTS["train"], "epochs": 4, "hidden_layers": 2, "hidden_units": 32, "checkpoint_every": 2}
TRAIN_OPTIONS["lambdas"] = {**DEFAULTS["train"]["lambdas"], "l5": 1.0, "l6": 1.0}
CURATE_OPTIONS = DEFAULTS["curate"]
GEOMETRY = DEFAULTS["geometry"]


def domain(folder: Path, name: str) -> tuple[Path, Path]:
    """Tensor and counts files of an encoded domain, as the stages take them."""
    return Path(folder) / f"{name}.npy", Path(folder) / f"{name}_counts.npy"


def encode_shipped(root: Path, a: str, b: str) -> Path:
    """The shipped ``a``-H and ``b``-H prototypes curated and encoded below ``root``; the encoded folder."""
    from crystalgan.data.curate import curate
    from crystalgan.data.encoding import encode

    curate(SHIPPED / f"{a}H", SHIPPED / f"{b}H", a, b, root / "cur", CURATE_OPTIONS)
    cur = root / "cur"
    encode(cur / "AH.parquet", cur / "BH.parquet", cur / "pairs.parquet", root / "enc", f"{a}{b}H", a, b)
    return root / "enc"


@pytest.fixture(scope="session")
def pdni_hull(tmp_path_factory):
    """The hull stage on five Pd-H and five Ni-H prototypes, relaxed with CHGNet (few steps)."""
    pytest.importorskip("chgnet", reason="the relax extra is not installed: pip install -e '.[relax]'")
    from crystalgan.data.curate import curate
    from crystalgan.physics.hull import hull
    from crystalgan.settings import Relax

    root = tmp_path_factory.mktemp("hull")
    pick = ["03_rocksalt_MH.vasp", "06_fluorite_MH2.vasp", "25_bcc_MH3_oct.vasp", "29_CsCl_MH.vasp", "16_NiAs_MH.vasp"]
    curate(
        [SHIPPED / "PdH" / p for p in pick],
        [SHIPPED / "NiH" / p for p in pick],
        "Pd",
        "Ni",
        root / "cur",
        CURATE_OPTIONS,
    )
    hull(
        root / "cur" / "AH.parquet",
        root / "cur" / "BH.parquet",
        system="PdNiH",
        metal_a="Pd",
        metal_b="Ni",
        out=root / "hull.parquet",
        settings=Relax.of(fmax=0.1, steps=60, optimizer="LBFGS"),
    )
    return root / "hull.parquet"


def pytest_collection_modifyitems(config, items):
    """Run the SLURM tests last: once their cluster is stopped, every later Snakemake start
    would wait 10 s on the slurm plugin's 'scontrol show config' probe."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)
