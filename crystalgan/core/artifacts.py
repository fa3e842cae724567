"""Schemas of the artefacts passed between stages, and atomic reading/writing of them.

Every Parquet table and NPY array a stage writes is declared here once; readers check
what they read against the same declaration, so a stale or foreign file fails loudly.
"""

from __future__ import annotations

import errno
import io
import json
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crystalgan.errors import CrystalganError

MAX_ATOMS = 18  # rows per species slot in the tensor encoding
N_SLOTS = 4  # lattice, H, A, B
SLOT_NAMES = ("lattice", "H", "A", "B")
LATTICE_SLOT, H_SLOT, A_SLOT, B_SLOT = range(N_SLOTS)
ATOM_SLOTS = (H_SLOT, A_SLOT, B_SLOT)  # the slots whose atoms the counts (n_H, n_A, n_B) count
STRUCTURE_SHAPE = (N_SLOTS, MAX_ATOMS, 3)  # one encoded structure
# A^3 per atom of a sane crystal: curation rejects, and a relaxation stops, outside. The paper's
# high-pressure PdH6 (Im-3m) has 1.92, the shipped prototypes 4.4 to 21, the largest metal, bcc
# Cs (a = 6.14 A), 116 (80, the bound before, stopped every relaxation of Cs: no Cs-H hull).
VOLUME_PER_ATOM = (1.5, 150.0)

CURATED = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("sha256", pa.string()),
        ("formula", pa.string()),
        ("n_H", pa.int32()),
        ("n_metal", pa.int32()),
        ("volume", pa.float64()),
        ("spacegroup", pa.string()),
        ("prototype", pa.int32()),
        ("lattice", pa.list_(pa.float64(), 9)),
        ("species", pa.list_(pa.string())),
        ("cart_coords", pa.list_(pa.float64())),
    ]
)

REJECTED = pa.schema([("domain", pa.string()), ("source", pa.string()), ("reason", pa.string())])

PAIRS = pa.schema(
    [
        ("domain", pa.string()),
        ("index", pa.int32()),
        ("partner_index", pa.int32()),
        ("method", pa.string()),
    ]
)

ENCODED_LONG = pa.schema(
    [
        ("structure_id", pa.string()),
        ("slot", pa.string()),
        ("row", pa.int8()),
        ("x", pa.float32()),
        ("y", pa.float32()),
        ("z", pa.float32()),
    ]
)

LOSSES = pa.schema(
    [
        ("stage", pa.string()),
        ("epoch", pa.int32()),
        ("step", pa.int64()),
        ("term", pa.string()),
        ("value", pa.float64()),
    ]
)

FILTERED = pa.schema(
    [
        ("candidate", pa.int64()),
        ("poscar", pa.string()),
        ("formula", pa.string()),
        ("n_H", pa.int32()),
        ("n_A", pa.int32()),
        ("n_B", pa.int32()),
        ("is_ternary", pa.bool_()),
    ]
    + [(f"{kind}_{pair}", pa.float64()) for pair in ("HH", "AA", "BB", "AB") for kind in ("min", "max")]
    + [
        ("valid", pa.bool_()),
        ("reason", pa.string()),
        ("unique", pa.bool_()),
        ("duplicate_of", pa.int64()),
        ("unseen", pa.bool_()),  # unique, matching no training structure (before relaxation; not novelty)
        ("unseen_framework", pa.bool_()),  # unseen, and its framework matching no training structure's
        ("spacegroup", pa.string()),
        ("cdvae_valid", pa.bool_()),
        ("switendick", pa.bool_()),
        ("valid_data_bounds", pa.bool_()),
    ]
)


NEIGHBOURS = pa.schema(
    [
        ("candidate", pa.int64()),
        ("atom", pa.string()),
        ("neighbour", pa.string()),
        ("pair", pa.string()),
        ("distance", pa.float64()),
    ]
)

_RELAXATION = [
    ("energy_per_atom", pa.float64()),  # eV/atom, after relaxation (NaN where it failed)
    ("e_above_hull", pa.float64()),  # eV/atom vs the system's hull of relaxed references
    ("spacegroup", pa.string()),  # of the relaxed structure, spglib at symprec 0.1
    ("steps", pa.int32()),
    ("converged", pa.bool_()),
    ("cpu_s", pa.float64()),
    ("reason", pa.string()),  # why the relaxation failed or did not converge ("" otherwise)
]
_RELAXED_STRUCTURE = [
    ("lattice", pa.list_(pa.float64())),  # 9 values, A (empty where it failed)
    ("species", pa.list_(pa.string())),
    ("cart_coords", pa.list_(pa.float64())),
]

HULL = pa.schema(
    [("id", pa.string()), ("kind", pa.string()), ("formula", pa.string()), ("n_atoms", pa.int32())]
    + _RELAXATION
    + _RELAXED_STRUCTURE
)

RELAXED = pa.schema(
    [
        ("candidate", pa.int64()),
        ("formula", pa.string()),
        ("n_atoms", pa.int32()),
        ("single_point_e_above_hull", pa.float64()),  # eV/atom before relaxing (NaN unless ranked)
        ("symmetrized", pa.string()),  # space group imposed before relaxing ("" where none)
        ("refined", pa.string()),  # space group imposed by a second relaxation (relax.refine; "" where none)
    ]
    + _RELAXATION
    + [
        ("relaxed", pa.bool_()),  # relaxed without failure (converged or at the step limit)
        ("unique", pa.bool_()),  # no StructureMatcher match among the earlier relaxed ones
        ("duplicate_of", pa.int64()),
        ("novel", pa.bool_()),  # matches no relaxed phase of the hull (training binaries, intermetallics, known)
        ("novel_framework", pa.bool_()),  # novel, and its framework (one species everywhere) matches none
        ("rediscovered", pa.string()),  # id of the known phase it matches ("" where none)
        # hydrogen storage (crystalgan.evaluation.storage; NaN and "" where it did not relax)
        ("wt_h", pa.float64()),  # gravimetric capacity, wt% H
        ("kg_h2_per_m3", pa.float64()),  # volumetric capacity
        ("dh_kj_per_mol_h2", pa.float64()),  # enthalpy of dehydrogenation against the H-free hull
        ("t_release_k", pa.float64()),  # K at which it releases H2 at 1 bar (dS = 130 J/mol/K)
        ("release", pa.string()),  # whether that suits reversible storage near room temperature
        ("stable", pa.bool_()),  # e_above_hull <= relax.stable
        ("sun", pa.bool_()),  # stable, unique and novel
        ("cif", pa.string()),
        ("poscar", pa.string()),
    ]
    + _RELAXED_STRUCTURE
)

CONFIRMED = pa.schema(  # a run's S.U.N. crystals re-relaxed with relax.check (named in the run metadata)
    [("candidate", pa.int64()), ("relaxed", pa.bool_())]
    + _RELAXATION  # e_above_hull: against the second potential's own hull
    + [
        ("unique", pa.bool_()),  # matches no earlier re-relaxed crystal of the run
        ("novel", pa.bool_()),  # matches no phase of the second hull
        ("confirmed", pa.bool_()),  # stable, unique and novel by the second potential too
    ]
)

SHORTLIST = pa.schema(
    [
        ("candidate", pa.int64()),  # valid unique candidates to relax, in the order they are judged
        ("single_point_e_above_hull", pa.float64()),  # eV/atom before relaxing (NaN unless ranked)
    ]
)

CPU_KEY = b"crystalgan.cpu_s"  # Parquet metadata: CPU seconds of the stages behind a table, by stage
RUN_KEY = b"crystalgan.run"  # Parquet metadata of a run's tables: RUN_FIELDS
RUN_FIELDS = ("system", "method", "seed", "A", "B")  # what identifies a run (from candidates.json)
SYSTEM_FIELDS = ("system", "A", "B")  # what identifies a system's own tables (its hull): no method, no seed


class ArtifactError(CrystalganError, ValueError):
    """An artefact is missing or does not have its declared schema."""


class DeviceFull(CrystalganError, OSError):
    """A write found its device full (or the disk quota spent); the message names the file."""


_FULL = {errno.ENOSPC: "no space left", errno.EDQUOT: "disk quota exceeded"}


@contextmanager
def atomic_path(path: Path | str, size: int | None = None):
    """Yield a temporary path beside ``path``, created with the mode a plain ``open()`` gives
    (0o666 less the umask); rename it onto ``path`` only on success. A full device (or disk
    quota) raises DeviceFull naming ``path`` and the ``size`` in bytes being written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        try:
            tmp = _create_beside(path)
            yield tmp
            os.replace(tmp, path)
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        free = shutil.disk_usage(path.parent).free
        amount = f"{size} bytes, {free} bytes free" if size is not None else f"{free} bytes free"
        raise DeviceFull(
            f"{_FULL[exc.errno]} on the device holding {path.parent} while writing {path} ({amount}); "
            "the file is unchanged"
        ) from exc


def _create_beside(path: Path) -> Path:
    """A new empty file ``.<name>.<random>.tmp`` beside ``path``, mode 0o666 less the umask."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def _write_bytes(data, path: Path | str) -> None:
    """Write ``data`` (bytes or a buffer) to ``path`` atomically."""
    view = memoryview(data)
    with atomic_path(path, view.nbytes) as tmp:
        tmp.write_bytes(view)


def write_table(
    df: pd.DataFrame, path: Path | str, schema: pa.Schema, run: dict | None = None, cpu: dict | None = None
) -> None:
    """Write ``df`` as Parquet with exactly ``schema`` (column order and types), atomically;
    ``run`` (which system, method and seed the rows belong to) and ``cpu`` (CPU seconds per
    stage that made the table) go into the file's metadata."""
    missing = [n for n in schema.names if n not in df.columns]
    if missing:
        raise ArtifactError(f"{path}: table lacks columns {missing}")
    metadata = {}
    if run is not None:
        metadata[RUN_KEY] = json.dumps(run, sort_keys=True).encode()
    if cpu is not None:
        metadata[CPU_KEY] = json.dumps(cpu, sort_keys=True).encode()
    if metadata:
        schema = schema.with_metadata(metadata)
    table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    _write_bytes(sink.getvalue(), path)


def read_table(path: Path | str, schema: pa.Schema) -> pd.DataFrame:
    """Read a Parquet table and check it has ``schema``'s columns and types."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: no such file (run the stage that writes it first)")
    table = _parquet(path, pq.read_table)
    for field in schema:
        if field.name not in table.schema.names:
            raise ArtifactError(f"{path}: column {field.name!r} missing")
        if not table.schema.field(field.name).type.equals(field.type):
            raise ArtifactError(
                f"{path}: column {field.name!r} is {table.schema.field(field.name).type}, expected {field.type}"
            )
    return table.select(schema.names).to_pandas()


def _parquet(path: Path, read):
    """``read(path)`` of a Parquet reader; ArtifactError naming the file where it is not Parquet."""
    try:
        return read(path)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise ArtifactError(f"{path}: not a readable Parquet table ({str(exc).splitlines()[0]})") from None


def read_cpu(path: Path | str) -> dict[str, float]:
    """CPU seconds per stage stored by :func:`write_table` ({} where none were)."""
    metadata = _parquet(Path(path), pq.read_schema).metadata or {}
    return json.loads(metadata[CPU_KEY]) if CPU_KEY in metadata else {}


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished worker processes so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _stored_run(path: Path | str) -> dict:
    """The run metadata stored by :func:`write_table` in a Parquet table, as stored."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: no such file (run the stage that writes it first)")
    metadata = _parquet(path, pq.read_schema).metadata or {}
    if RUN_KEY not in metadata:
        raise ArtifactError(f"{path}: no run metadata (not written by a crystalgan stage that records its run)")
    return json.loads(metadata[RUN_KEY])


def read_run(path: Path | str) -> dict:
    """The run metadata stored by :func:`write_table` in a Parquet table."""
    run = _stored_run(path)
    if missing := [key for key in RUN_FIELDS if key not in run]:
        raise ArtifactError(f"{path}: a table of system {run.get('system')}, not of one run (no {', '.join(missing)})")
    return {key: run[key] for key in RUN_FIELDS}


def system_run(system: str, a: str, b: str, potential: str | None = None) -> dict:
    """The run metadata of a system's own table (its hull, its relaxed phases): the system, its
    metals A and B, and the potential that relaxed it."""
    return {"system": system, "A": a, "B": b, **({"potential": potential} if potential else {})}


def read_potential(path: Path | str) -> str:
    """The potential that relaxed the phases of a system's table (:func:`system_run`)."""
    run = _stored_run(path)
    if "potential" not in run:
        raise ArtifactError(f"{path}: no potential in its run metadata (not written by 'crystalgan phases' or hull)")
    return run["potential"]


def read_system(path: Path | str) -> dict:
    """The system and its metals (SYSTEM_FIELDS) that a table belongs to, from the metadata
    stored by :func:`write_table`: of a run's tables and of a system's own (hull.parquet) alike."""
    run = _stored_run(path)
    if missing := [key for key in SYSTEM_FIELDS if key not in run]:
        raise ArtifactError(f"{path}: run metadata without {', '.join(missing)}")
    return {key: run[key] for key in SYSTEM_FIELDS}


def check_same_run(run: dict, *paths: Path | str) -> None:
    """Raise ArtifactError naming the first table of ``paths`` whose run metadata is not ``run``
    (a table of another system, method or seed given by mistake)."""
    expected = {key: run[key] for key in RUN_FIELDS}
    for path in paths:
        if (found := read_run(path)) != expected:
            raise ArtifactError(f"{path}: a table of run {_run_name(found)}, not of {_run_name(expected)}")


def _run_name(run: dict) -> str:
    return f"{run['system']}/{run['method']}/seed{run['seed']}"


def write_npy(array: np.ndarray, path: Path | str) -> None:
    """Save an array atomically."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    _write_bytes(buffer.getbuffer(), path)


def read_npy(path: Path | str, dtype, shape_tail: tuple = ()) -> np.ndarray:
    """Load an array and check its dtype and trailing shape."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: no such file (run the stage that writes it first)")
    try:
        array = np.load(path)
    except (ValueError, OSError, EOFError) as exc:
        raise ArtifactError(f"{path}: not a readable NPY array ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise ArtifactError(f"{path}: an NPZ archive, expected one NPY array")
    if array.dtype != np.dtype(dtype):
        raise ArtifactError(f"{path}: dtype {array.dtype}, expected {np.dtype(dtype)}")
    if shape_tail and tuple(array.shape[-len(shape_tail) :]) != tuple(shape_tail):
        raise ArtifactError(f"{path}: shape {array.shape}, expected [..., {', '.join(map(str, shape_tail))}]")
    return array


def read_structures(path: Path | str, counts: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read an encoded domain: tensors ``[N, 4, 18, 3]`` float32 from ``path`` and counts
    ``[N, 3]`` int32 from ``counts`` (default: :func:`counts_path` of ``path``)."""
    path = Path(path)
    x = read_npy(path, np.float32, STRUCTURE_SHAPE)
    counts = Path(counts) if counts is not None else counts_path(path)
    n = read_npy(counts, np.int32, (3,))
    if len(x) != len(n) or x.ndim != len(STRUCTURE_SHAPE) + 1 or n.ndim != 2:
        raise ArtifactError(
            f"{path}: {len(x)} structures of shape {x.shape[1:]} but counts {counts} of shape {n.shape}"
        )
    bad = np.flatnonzero(((n < 0) | (n > MAX_ATOMS)).any(axis=1) | (n.sum(axis=1) == 0))
    if len(bad):
        raise ArtifactError(
            f"{counts}: structure {bad[0]} has atom counts (H, A, B) {n[bad[0]].tolist()}; each must be 0 to "
            f"{MAX_ATOMS} and at least one atom in all ({len(bad)} such row(s))"
        )
    return x, n


def write_structures(x: np.ndarray, counts: np.ndarray, path: Path | str) -> None:
    """Write an encoded domain (tensors and the atom counts beside them)."""
    write_npy(np.asarray(x, np.float32), path)
    write_npy(np.asarray(counts, np.int32), counts_path(path))


def counts_path(path: Path | str) -> Path:
    """``X.npy`` -> ``X_counts.npy``: the atom counts (n_H, n_A, n_B) of an encoded domain."""
    path = Path(path)
    return path.with_name(path.stem + "_counts.npy")


def write_json(obj, path: Path | str) -> None:
    _write_bytes((json.dumps(obj, indent=2, sort_keys=True) + "\n").encode(), path)


def read_json(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: no such file (run the stage that writes it first)")
    try:
        value = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: not a JSON file ({exc})") from None
    if not isinstance(value, dict):
        raise ArtifactError(f"{path}: expected a JSON object, found {type(value).__name__}")
    return value
