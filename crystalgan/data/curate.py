"""Curation: read a folder of binary hydride structures, validate, deduplicate and pair them.

Input folders are only read. Every file either becomes a row of the curated table or a
row of ``rejected.parquet`` with a human-readable reason; a bad file never stops the run.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import io
import logging
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Element, Lattice, Structure
from pymatgen.io.cif import CifParser
from pymatgen.io.vasp import Poscar

from crystalgan.config import is_candidate_file
from crystalgan.core.artifacts import CURATED, PAIRS, REJECTED, VOLUME_PER_ATOM, write_table
from crystalgan.core.matching import Catalogue, Matcher
from crystalgan.core.structures import spacegroup
from crystalgan.errors import CrystalganError

log = logging.getLogger(__name__)


class Rejected(Exception):
    """A file (or one structure in it) fails curation; the message is the reason, ``kind`` the
    reason without its specifics (by default the reason itself), to count similar rejections."""

    def __init__(self, reason: str, kind: str = ""):
        super().__init__(reason)
        self.kind = kind or reason


class CurationError(CrystalganError, RuntimeError):
    """A whole domain cannot be curated (missing folder, too few good structures)."""


@dataclass
class Entry:
    id: str
    source: str
    sha256: str
    structure: Structure


def read_source(path: Path, max_bytes: int, metal: str) -> tuple[bytes, list[tuple[str, Structure | Rejected]]]:
    """Read one file of ``metal``-H structures; return its bytes and (id suffix, structure)
    pairs, where one entry of a multi-structure file may be the Rejected it fails with, or
    raise Rejected for the whole file."""
    if path.is_dir():
        raise Rejected("is a directory, not a structure file")
    if not path.is_file():
        raise _not_a_file(path)
    size = path.stat().st_size
    if size == 0:
        raise Rejected("empty file")
    if size > max_bytes:
        raise Rejected(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit; not parsed",
            "file over the size limit",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Rejected(f"cannot read file: {exc.strerror or exc}", "unreadable file") from None
    content, name = data, path.name.lower()
    if data[:2] == b"\x1f\x8b":  # gzip, e.g. POSCAR.gz
        content, name = _gunzip(data, max_bytes), name.removesuffix(".gz")
    if name.endswith(".mat"):
        return data, _parse_mat(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(f"not a UTF-8 text file (invalid byte at offset {exc.start})", "not a UTF-8 text file") from None
    if "\x00" in text:
        raise Rejected("binary content (NUL bytes), not a structure file")
    if name.endswith(".cif"):
        return data, [("", _parse_cif(text))]
    return data, [("", _parse_poscar(text, metal))]


def _not_a_file(path: Path) -> Rejected:
    """Why a folder entry that is no folder is no regular file either."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Rejected("symbolic link loop")
        if path.is_symlink():
            return Rejected("broken symbolic link (its target does not exist)")
        return Rejected(f"cannot read entry: {exc.strerror or exc}", "unreadable file")
    return Rejected("not a regular file (a device, socket or pipe)")


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip data, refusing more than ``max_bytes`` of content."""
    import gzip
    import zlib

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            content = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Rejected(f"corrupt gzip file: {exc}", "corrupt gzip file") from None
    if len(content) > max_bytes:
        raise Rejected(
            f"decompresses to more than the {max_bytes / 1e6:.1f} MB limit; not parsed",
            "decompresses over the size limit",
        )
    return content


def _parse_poscar(text: str, metal: str) -> Structure:
    text = _positive_scale(text)
    names = _vasp4_names(text, metal)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Poscar.from_str(text, default_names=names, read_velocities=False).structure
    except IndexError:
        raise Rejected(
            "malformed POSCAR: the file ends early (truncated, or fewer coordinate lines than atoms)",
            "malformed POSCAR",
        ) from None
    except Exception as exc:  # pymatgen raises many types on malformed input
        raise Rejected(f"malformed POSCAR: {_brief(exc)}", "malformed POSCAR") from None


def _positive_scale(text: str) -> str:
    """A POSCAR whose scale factor is negative (VASP: the cell volume) rewritten with the
    equivalent positive factor, which VASP (and pymatgen) apply to the lattice and to
    Cartesian positions alike; other files unchanged."""
    lines = text.splitlines()
    try:
        scale = [float(v) for v in lines[1].split()]
        lattice = np.array([[float(v) for v in line.split()[:3]] for line in lines[2:5]])
    except (IndexError, ValueError):
        return text  # malformed: the parser says why
    if len(scale) != 1 or scale[0] >= 0 or lattice.shape != (3, 3):
        return text
    volume = abs(np.linalg.det(lattice))
    if not volume > 0:
        raise Rejected(
            f"negative scale factor {scale[0]:g} (a cell volume) for a lattice of zero volume",
            "negative scale factor for a lattice of zero volume",
        )
    lines[1] = repr(float((-scale[0] / volume) ** (1 / 3)))
    return "\n".join(lines) + "\n"


def _vasp4_names(text: str, metal: str) -> list[str] | None:
    """Element names of a VASP 4 POSCAR (counts on line 6, no element line) read from its
    title, where it names ``metal`` and H in the order of the counts; None for VASP 5 files."""
    lines = text.splitlines()
    if len(lines) < 6 or not lines[5].split() or not all(v.isdigit() for v in lines[5].split()):
        return None
    n = len(lines[5].split())
    named = [t for t in dict.fromkeys(re.findall(r"[A-Z][a-z]?", lines[0])) if t in (metal, "H")]
    if len(named) != n:
        raise Rejected(
            f"VASP 4 POSCAR without an element line, and its title {lines[0].strip()!r} does not name "
            f"the elements ({metal}, H) of its {n} count(s) in order: add the element line (VASP 5 format)",
            "VASP 4 POSCAR without element names",
        )
    return named


def _parse_cif(text: str) -> Structure:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structures = CifParser(io.StringIO(text), occupancy_tolerance=1.0).parse_structures(primitive=False)
    except Exception as exc:
        raise Rejected(f"malformed CIF: {_brief(exc)}", "malformed CIF") from None
    if len(structures) != 1:
        raise Rejected(f"CIF holds {len(structures)} structures, expected 1", "CIF not of exactly one structure")
    s = structures[0]
    if not s.is_ordered:
        site = next(site for site in s if not site.is_ordered)
        raise Rejected(
            f"partial occupancy ({site.species_string} at {np.round(site.frac_coords, 3).tolist()})",
            "partial occupancy",
        )
    return s


def _parse_mat(data: bytes) -> list[tuple[str, Structure | Rejected]]:
    """Legacy CrystalGAN ``.mat``: a cell array of structures ``[lattice, H, A, B]`` (Cartesian).

    Either variables ``lattice, H, A, B`` for one structure, or one cell-array variable of
    shape (N, 4) with one structure per row. See :func:`_mat_slot` for empty slots. An entry
    of the wrong shape or type is the Rejected naming it, not a structure.
    """
    from scipy.io import loadmat

    try:
        mat = loadmat(io.BytesIO(data))
    except Exception as exc:
        raise Rejected(f"unreadable .mat file: {_brief(exc)}", "unreadable .mat file") from None
    if all(k in mat for k in ("lattice", "H", "A", "B")):
        rows = [[mat[k] for k in ("lattice", "H", "A", "B")]]
    else:
        cells = [v for k, v in mat.items() if not k.startswith("__") and getattr(v, "dtype", None) == np.dtype(object)]
        if len(cells) != 1:
            raise Rejected(".mat file has no cell array of [lattice, H, A, B] structures")
        cell = cells[0]
        rows = cell.reshape(-1, 4) if cell.size % 4 == 0 and cell.shape[-1] == 4 else None
        if rows is None:
            raise Rejected(
                f".mat cell array has shape {cell.shape}, expected (N, 4) = [lattice, H, A, B]",
                ".mat cell array not of shape (N, 4)",
            )
    out = []
    for k, row in enumerate(rows):
        try:
            entry = _mat_structure(k, row)
        except Rejected as exc:
            entry = exc
        out.append((f"#{k}" if len(rows) > 1 else "", entry))
    return out


_MAT_LAYOUT = ".mat entry of the wrong shape or type"  # kind of the rejections of _mat_structure
_MAT_TYPES = {"U": "text", "S": "text", "O": "a cell array", "V": "a struct"}


def _mat_numbers(k: int, name: str, a) -> np.ndarray:
    """Slot ``name`` of .mat entry ``k`` as an array of numbers, or Rejected."""
    a = np.asarray(a)
    if a.dtype.kind not in "iuf":
        what = _MAT_TYPES.get(a.dtype.kind, f"{a.dtype} values")
        raise Rejected(f".mat entry #{k}: {name} holds {what}, expected numbers", _MAT_LAYOUT)
    return a


def _mat_slot(k: int, name: str, a) -> np.ndarray:
    """Cartesian rows of slot ``name`` (H, A or B) of .mat entry ``k``. The authors' files mark
    an empty slot by a uint8 zero array (18 x 3, and 1 x 3 for the H slot of a pure metal), but
    a metal slot holding one atom at the origin is a 1 x 3 uint8 zero array too: an all-zero
    uint8 array is empty unless it is a metal slot's 1 x 3, and so is a zero-size one."""
    a = _mat_numbers(k, f"{name} slot", a)
    if a.size == 0 or (a.dtype == np.uint8 and not a.any() and (name == "H" or a.shape != (1, 3))):
        return np.zeros((0, 3))
    if a.ndim != 2 or a.shape[1] != 3:
        raise Rejected(
            f".mat entry #{k}: {name} slot has shape {a.shape}, expected n x 3 Cartesian coordinates", _MAT_LAYOUT
        )
    return a.astype(float)


def _mat_structure(k: int, row) -> Structure:
    """Entry ``k`` of a .mat file: a row [lattice, H, A, B]."""
    lattice = _mat_numbers(k, "lattice", row[0])
    if lattice.shape != (3, 3):
        raise Rejected(f".mat entry #{k}: lattice has shape {lattice.shape}, expected 3 x 3", _MAT_LAYOUT)
    h, a, b = (_mat_slot(k, name, x) for name, x in zip(("H", "A", "B"), row[1:]))
    lattice = lattice.astype(float)
    if np.linalg.det(lattice) == 0:
        raise Rejected(f".mat entry #{k}: lattice of zero volume", "zero, negative or collapsed cell volume")
    species = ["H"] * len(h) + ["X0+"] * len(a) + ["X1+"] * len(b)
    # Metals are named by the folder's metal later; keep slots apart with dummy species.
    return Structure(Lattice(lattice), species, np.vstack([h, a, b]), coords_are_cartesian=True)


def _brief(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0][:200]}" if msg else type(exc).__name__


def validate(s: Structure, metal: str, max_atoms: int, min_distance: float, min_volume: float) -> Structure:
    """Check one structure against the curation rules; return it with real element names."""
    dummies = {str(sp) for sp in s.composition if str(sp).startswith("X")}
    if len(dummies) > 1:
        raise Rejected("both metal slots are filled: a ternary, not a binary hydride")
    if dummies:
        s = s.copy()
        s.replace_species({sp: metal for sp in s.composition if str(sp).startswith("X")})
    elements = {el.symbol for el in s.composition.elements}
    others = sorted(elements - {metal, "H"})
    if others:
        kind = "a ternary or higher" if len(elements) > 2 else "a different metal"
        raise Rejected(f"contains {', '.join(others)}: expected only {metal} and H ({kind})", "other elements")
    counts = s.composition.as_dict()
    if counts.get("H", 0) == 0:
        raise Rejected(f"no H atoms: pure metal {s.composition.formula.replace(' ', '')}", "no H atoms (pure metal)")
    if counts.get(metal, 0) == 0:
        raise Rejected(f"no {metal} atoms", "no metal atoms")
    for el, n in counts.items():
        if n > max_atoms:
            raise Rejected(
                f"{int(n)} {el} atoms, more than the {max_atoms} per species the encoding holds",
                "more atoms of one species than the encoding holds",
            )
    return check_geometry(s, min_distance, min_volume)


def check_geometry(s: Structure, min_distance: float, min_volume: float) -> Structure:
    """``s`` where its cell and atoms are sane (finite, a volume per atom within
    VOLUME_PER_ATOM, no two atoms closer than ``min_distance``), Rejected otherwise."""
    matrix = s.lattice.matrix
    if not (np.isfinite(matrix).all() and np.isfinite(s.cart_coords).all()):
        raise Rejected("non-finite (NaN or Inf) lattice or coordinates")
    det = float(np.linalg.det(matrix))
    if det < min_volume:
        raise Rejected(
            f"cell volume {det:.3g} A^3 (signed) is below {min_volume} A^3: zero, negative or collapsed",
            "zero, negative or collapsed cell volume",
        )
    low, high = VOLUME_PER_ATOM
    if not low <= det / len(s) <= high:
        raise Rejected(
            f"volume per atom {det / len(s):.3g} A^3 is outside {low:g}-{high:g} A^3",
            f"volume per atom outside {low:g}-{high:g} A^3",
        )
    dist = s.distance_matrix
    np.fill_diagonal(dist, np.inf)
    i, j = np.unravel_index(np.argmin(dist), dist.shape)
    if dist[i, j] < min_distance:
        raise Rejected(
            f"atoms {i} ({s[i].species_string}) and {j} ({s[j].species_string}) are "
            f"{dist[i, j]:.3f} A apart, closer than {min_distance} A",
            "atoms closer than the minimum distance",
        )
    if min(s.lattice.abc) < min_distance:
        raise Rejected(
            f"a lattice vector of {min(s.lattice.abc):.3f} A puts atoms closer than {min_distance} A",
            "lattice vector shorter than the minimum distance",
        )
    return s


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _folder(sources: Path | list[Path]) -> Path | None:
    """The folder ``sources`` names (a path, or a list of one folder), or None for files."""
    if isinstance(sources, (str, Path)):
        return Path(sources)
    if len(sources) == 1 and Path(sources[0]).is_dir():
        return Path(sources[0])
    return None


def source_files(sources: Path | list[Path]) -> list[Path]:
    """The files to curate: the given files, or every entry of a given folder named like a
    structure file (a folder or a broken link among them is then rejected, not skipped)."""
    folder = _folder(sources)
    if folder is None:
        return [Path(p) for p in sources]
    if not folder.is_dir():
        raise CurationError(f"input folder {folder} does not exist or is not a folder")
    return sorted(p for p in folder.iterdir() if is_candidate_file(p))


def source_label(sources: Path | list[Path]) -> str:
    """How messages name a domain's sources: the folder, or the folder of the files."""
    folder = _folder(sources)
    if folder is not None:
        return str(folder)
    parents = sorted({str(Path(p).parent) for p in sources})
    return parents[0] if len(parents) == 1 else f"{len(sources)} files in {', '.join(parents)}"


def _row(source: str, exc: Rejected) -> dict:
    """A rejection row (``kind`` counts in messages; rejected.parquet keeps source and reason)."""
    return {"source": source, "reason": str(exc), "kind": exc.kind}


def curate_domain(sources: Path | list[Path], metal: str, options: dict, check=None) -> tuple[list[Entry], list[dict]]:
    """Curate one domain (a folder, or its files); return kept entries (in file-name order) and
    rejection rows. ``check`` validates each structure (default: :func:`validate`, a binary
    hydride of ``metal``)."""
    if check is None:

        def check(s):
            return validate(s, metal, options["max_atoms_per_species"], options["min_distance"], options["min_volume"])

    max_bytes = int(options["max_file_mb"] * 1e6)
    kept: list[Entry] = []
    rejected: list[dict] = []
    seen_sha: dict[str, str] = {}
    for path in source_files(sources):
        try:
            data, parsed = read_source(path, max_bytes, metal)
        except Rejected as exc:
            rejected.append(_row(str(path), exc))
            continue
        sha = file_sha256(data)
        if sha in seen_sha:
            duplicate = Rejected(f"exact duplicate of {seen_sha[sha]} (same sha256)", "exact duplicate (same sha256)")
            rejected.append(_row(str(path), duplicate))
            continue
        seen_sha[sha] = str(path)
        for suffix, s in parsed:
            source = f"{path}{suffix}"
            try:
                if isinstance(s, Rejected):
                    raise s
                s = check(s)
            except Rejected as exc:
                rejected.append(_row(source, exc))
                continue
            kept.append(Entry(id=f"{path.stem}{suffix}", source=source, sha256=sha, structure=s))
    if options["deduplicate"]:
        kept, dups = deduplicate(kept)
        rejected.extend(dups)
    return kept, rejected


def deduplicate(entries: list[Entry]) -> tuple[list[Entry], list[dict]]:
    """Drop structures that the project's one matcher (:class:`~crystalgan.core.matching.Matcher`:
    StructureMatcher, defaults) matches to an earlier kept one."""
    matcher = Matcher()
    kept: list[Entry] = []
    rejected = []
    for e in entries:
        twin = matcher.unique(e.structure, e)
        if twin is None:
            kept.append(e)
        else:
            twin_of = Rejected(f"duplicate of {twin.source} (StructureMatcher)", "duplicate (StructureMatcher)")
            rejected.append(_row(e.source, twin_of))
    return kept, rejected


def pair_domains(ah: list[Entry], bh: list[Entry]) -> pd.DataFrame:
    """Partner of every AH structure among BH and vice versa.

    Aligned folders (same file names in the same order, as in the paper's data) pair by
    index. Otherwise each structure is paired with the best prototype match on the other
    side: StructureMatcher with both metals relabelled alike, then the closest metal:H
    ratio, then the closest volume per atom.
    """
    if len(ah) == len(bh) and [e.id for e in ah] == [e.id for e in bh]:
        rows = [("AH", i, i, "index") for i in range(len(ah))] + [("BH", i, i, "index") for i in range(len(bh))]
    else:
        rows = [("AH", i, j, m) for i, (j, m) in enumerate(_best_partners(ah, bh))]
        rows += [("BH", j, i, m) for j, (i, m) in enumerate(_best_partners(bh, ah))]
    return pd.DataFrame(rows, columns=["domain", "index", "partner_index", "method"])


def _prototype(s: Structure) -> Structure:
    """``s`` with its metal relabelled to one dummy species, H kept: an A-H and a B-H structure
    of one prototype (the same structure with the metal swapped) have the same prototype.
    Not a framework (:func:`crystalgan.core.matching.framework`): the H sites stay apart."""
    g = s.copy()
    g.replace_species({el: "X0+" for el in s.composition.elements if el.symbol != "H"})
    return g


def _h_ratio(s: Structure) -> float:
    return s.composition["H"] / s.composition.num_atoms


def _best_partners(side: list[Entry], other: list[Entry]) -> list[tuple[int, str]]:
    """Partner of each ``side`` entry among ``other``: the most preferred (closest H ratio, then
    volume per atom) whose :func:`_prototype` the one matcher matches, else the most preferred."""
    prototypes = Catalogue()
    for j, e in enumerate(other):
        prototypes.add(_prototype(e.structure), j)
    features = np.array([(_h_ratio(e.structure), e.structure.volume / len(e.structure)) for e in other])
    out = []
    for e in side:
        gap = np.abs(features - (_h_ratio(e.structure), e.structure.volume / len(e.structure)))
        rank = np.argsort(np.lexsort((gap[:, 1], gap[:, 0])))  # closest H ratio, then volume per atom
        match = prototypes.find(_prototype(e.structure), prefer=rank.__getitem__, first=True)
        if match is not None:
            out.append((match, "prototype"))
        else:
            out.append((int(np.argmin(rank)), "composition"))
    return out


def entries_table(entries: list[Entry]) -> pd.DataFrame:
    rows = []
    for k, e in enumerate(entries):
        s = e.structure
        comp = s.composition
        rows.append(
            {
                "id": e.id,
                "source": e.source,
                "sha256": e.sha256,
                "formula": comp.formula.replace(" ", ""),
                "n_H": int(comp["H"]),
                "n_metal": int(comp.num_atoms - comp["H"]),
                "volume": float(s.volume),
                "spacegroup": spacegroup(s),
                "prototype": k,
                "lattice": s.lattice.matrix.reshape(-1).tolist(),
                "species": [sp.symbol for sp in s.species],
                "cart_coords": s.cart_coords.reshape(-1).tolist(),
            }
        )
    return pd.DataFrame(rows, columns=CURATED.names)


def check_enough(folder: str, kept: list[Entry], rejected: list[dict], minimum: int) -> None:
    if len(kept) >= minimum:
        return
    reasons = Counter(r["kind"] for r in rejected).most_common(3)
    top = "; ".join(f"{n} x {reason}" for reason, n in reasons) or "no structure files found"
    raise CurationError(
        f"{folder}: only {len(kept)} usable structure(s), at least {minimum} needed "
        f"(curate.min_structures). Top rejection reasons: {top}"
    )


def curate(
    ah_sources: Path | list[Path], bh_sources: Path | list[Path], metal_a: str, metal_b: str, out: Path, options: dict
) -> dict[str, int]:
    """Curate both domains of a system (each a folder or a list of files) into ``out``;
    returns counts per table."""
    for metal in (metal_a, metal_b):
        Element(metal)  # raises ValueError naming a symbol that is not an element
    domains = {}
    rejected_rows = []
    for name, sources, metal in (("AH", ah_sources, metal_a), ("BH", bh_sources, metal_b)):
        kept, rejected = curate_domain(sources, metal, options)
        label = source_label(sources)
        log.info("%s (%s): %d kept, %d rejected", label, name, len(kept), len(rejected))
        for r in rejected:
            log.info("  rejected %s: %s", r["source"], r["reason"])
        check_enough(label, kept, rejected, options["min_structures"])
        domains[name] = kept
        rejected_rows += [{"domain": name, **r} for r in rejected]
    out = Path(out)
    for name, kept in domains.items():
        write_table(entries_table(kept), out / f"{name}.parquet", CURATED)
    write_table(pd.DataFrame(rejected_rows, columns=REJECTED.names), out / "rejected.parquet", REJECTED)
    pairs = pair_domains(domains["AH"], domains["BH"])
    write_table(pairs, out / "pairs.parquet", PAIRS)
    log.info("pairing: %s", dict(Counter(pairs["method"])))
    return {"AH": len(domains["AH"]), "BH": len(domains["BH"]), "rejected": len(rejected_rows)}


def validate_phase(s: Structure, metals: tuple[str, str], min_distance: float, min_volume: float) -> Structure:
    """Check one known phase of the chemical system ``metals``-H (elements, binaries,
    intermetallics, ternaries): only those elements, an ordered and sane structure."""
    if any(str(sp).startswith("X") for sp in s.composition):
        raise Rejected("a legacy .mat entry names no elements: give known phases as POSCAR or CIF", "no element names")
    elements = {el.symbol for el in s.composition.elements}
    if others := sorted(elements - {*metals, "H"}):
        raise Rejected(
            f"contains {', '.join(others)}: expected only {', '.join(metals)} and H (the system's elements)",
            "other elements",
        )
    return check_geometry(s, min_distance, min_volume)


def curate_known(folder: Path, metal_a: str, metal_b: str, out: Path, options: dict) -> int:
    """Curate a folder of known phases of the system ``metal_a``-``metal_b``-H into ``out``:
    known.parquet (CURATED rows, their ids the file names) and rejected.parquet (domain
    "known"); returns how many were kept. An empty result is allowed and logged."""
    check = functools.partial(
        validate_phase,
        metals=(metal_a, metal_b),
        min_distance=options["min_distance"],
        min_volume=options["min_volume"],
    )
    kept, rejected = curate_domain(Path(folder), metal_a, options, check)
    log.info("%s (known phases): %d kept, %d rejected", folder, len(kept), len(rejected))
    for r in rejected:
        log.info("  rejected %s: %s", r["source"], r["reason"])
    if not kept:
        log.warning("%s: no usable known phase; the hull and the novelty check have none", folder)
    out = Path(out)
    write_table(entries_table(kept), out / "known.parquet", CURATED)
    rows = pd.DataFrame([{"domain": "known", **r} for r in rejected], columns=REJECTED.names)
    write_table(rows, out / "rejected.parquet", REJECTED)
    return len(kept)
