"""Checks of a workflow config beyond its JSON schema (run before any job starts), and which
files of an input folder count as structure files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pymatgen.core.periodic_table import Element


STRUCTURE_SUFFIXES = {".vasp", ".poscar", ".cif", ".mat"}
STRUCTURE_PREFIXES = ("POSCAR", "CONTCAR")


def is_candidate_file(path: Path) -> bool:
    """Whether a folder entry looks like a structure file (POSCAR*, CONTCAR*, *.vasp, *.cif, *.mat, also gzipped)."""
    if path.name.startswith("."):
        return False
    name = path.name.lower().removesuffix(".gz")
    return name.upper().startswith(STRUCTURE_PREFIXES) or Path(name).suffix in STRUCTURE_SUFFIXES


class ConfigError(ValueError):
    """A config value is wrong; the message names the key."""


def check(config: dict, base: Path | str = ".") -> None:
    """Raise ConfigError naming the first bad key: unknown elements, bad windows, missing folders."""
    names = [s["name"] for s in config["systems"]]
    for name in {n for n in names if names.count(n) > 1}:
        raise ConfigError(f"systems: name {name!r} is used more than once")
    for k, system in enumerate(config["systems"]):
        for key in ("A", "B"):
            if not Element.is_valid_symbol(system[key]):
                raise ConfigError(f"systems[{k}].{key}: {system[key]!r} is not an element symbol")
        if system["A"] == system["B"]:
            raise ConfigError(f"systems[{k}]: A and B are both {system['A']}")
        for key in ("AH", "BH"):
            folder = Path(base, system[key])
            if not folder.is_dir():
                raise ConfigError(f"systems[{k}].{key}: folder {system[key]!r} does not exist")
    for section in ("geometry", "filter"):
        d1, d2 = config[section]["d1"], config[section]["d2"]
        if d1 >= d2:
            raise ConfigError(f"{section}: d1 = {d1} must be smaller than d2 = {d2}")


def training_gpus(setting: int | str) -> int:
    """GPUs one training job claims: ``setting``, or for "auto" 1 where ``nvidia-smi -L``
    lists a GPU on this machine and 0 elsewhere (CPU-only training jobs then need no
    ``--resources gpu`` slot and run side by side within ``--cores``)."""
    if setting != "auto":
        return int(setting)
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return int(listed.returncode == 0 and "GPU" in listed.stdout)
