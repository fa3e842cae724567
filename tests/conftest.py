"""Shared fixtures: the shipped default data, the paper's real data (when present), helpers."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

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


TRAIN_OPTIONS = {
    "epochs": 4,
    "batch_size": 35,
    "learning_rate": 1e-4,
    "beta1": 0.5,
    "hidden_layers": 2,
    "hidden_units": 32,
    "residual": True,
    "reconstruction": "l1",
    "generator_steps": 1,
    "input_noise": 0.05,
    "checkpoint_every": 2,
    "lambdas": {"l1": 1.0, "l2": 10.0, "l3": 1.0, "l4": 10.0, "l5": 1.0, "l6": 1.0},
}
CURATE_OPTIONS = {
    "max_atoms_per_species": 18,
    "min_distance": 0.5,
    "min_volume": 0.1,
    "max_file_mb": 5.0,
    "deduplicate": True,
    "min_structures": 4,
}


def pytest_collection_modifyitems(config, items):
    """Run the SLURM tests last: once their cluster is stopped, every later Snakemake start
    would wait 10 s on the slurm plugin's 'scontrol show config' probe."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)
