"""The config: its defaults (read from the JSON schema, their one source), checks beyond the
schema (run before any job starts), and which files of an input folder count as structure files."""

from __future__ import annotations

import copy
import difflib
import functools
import shutil
import subprocess
from pathlib import Path

from crystalgan.errors import CrystalganError, InputError
from crystalgan.methods import METHODS

SCHEMA = Path(__file__).with_name("config.schema.yaml")  # workflow/schemas/config.schema.yaml


STRUCTURE_SUFFIXES = {".vasp", ".poscar", ".cif", ".mat"}
STRUCTURE_PREFIXES = ("POSCAR", "CONTCAR")


def is_candidate_file(path: Path) -> bool:
    """Whether a folder entry looks like a structure file (POSCAR*, CONTCAR*, *.vasp, *.cif, *.mat, also gzipped)."""
    if path.name.startswith("."):
        return False
    name = path.name.lower().removesuffix(".gz")
    return name.upper().startswith(STRUCTURE_PREFIXES) or Path(name).suffix in STRUCTURE_SUFFIXES


def structure_files(folder: Path | str) -> list[Path]:
    """The regular files (links to them included) of a folder named like structure files, sorted
    by name: the inputs whose change reruns curation. Curation also rejects, with a row, the
    folder's other entries so named (folders, broken or looping links), which this leaves out."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and is_candidate_file(p))


@functools.cache
def _schema() -> dict:
    import yaml

    return yaml.safe_load(SCHEMA.read_text())


def fill_defaults(config: dict, schema: dict | None = None) -> dict:
    """``config`` with every default of the schema filled in (nested sections too), in place."""
    schema = _schema() if schema is None else schema
    for key, sub in schema.get("properties", {}).items():
        if key not in config and "default" in sub:
            config[key] = copy.deepcopy(sub["default"])
        if isinstance(config.get(key), dict) and sub.get("type") == "object":
            fill_defaults(config[key], sub)
    return config


STAGE2_LAMBDAS = ("l5", "l6", "volume", "abc")  # train.lambdas of losses only stage 2 has

# The relax keys each job reads: its rule passes only these, so that editing another key (a
# threshold only the report reads) reruns none of the relaxations.
_RELAXATION = ("potential", "device", "fmax", "steps", "optimizer")
_CANDIDATES = ("symprec", "stable", "refine", "refine_energy")  # symmetrize, relax, refine where stable
RELAX_KEYS = {
    "prototypes": _RELAXATION,
    "hull": _RELAXATION,
    "phases": _RELAXATION,
    "shortlist": ("potential", "device", "max_per_run", "rank"),
    "relax_part": _RELAXATION + _CANDIDATES,
    "relax": _RELAXATION + _CANDIDATES + ("max_per_run", "rank"),  # with one part: shortlist, relax and judge
    "gather": ("stable",),  # relax with several parts: gather and judge
    "confirm": ("check", "device", "fmax", "steps", "optimizer", "stable"),  # relax.check's re-relaxation
    "report": ("potential", "fmax", "steps", "max_per_run", "stable", "strict"),
}


def with_defaults(section: str, values: dict) -> dict:
    """A config ``section``'s ``values`` with the schema's defaults filled in where missing
    (e.g. the train options of a model saved before an option existed)."""
    return fill_defaults(copy.deepcopy(values), _schema()["properties"][section])


def defaults() -> dict:
    """Every section of the config with its defaults (systems left out)."""
    return fill_defaults({})


class ConfigError(CrystalganError, ValueError):
    """A config value is wrong; the message names the key."""


@functools.cache
def _validator():
    """The schema's validator; "integer" takes no float (3.0 would fail the jobs that count with it)."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return validators.extend(Draft202012Validator, type_checker=checker)(_schema())


def validate(config: dict) -> dict:
    """``config`` with the schema's defaults filled in (in place, as snakemake.utils.validate
    with set_default=True); ConfigError with one line naming the first key the schema rejects."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(fill_defaults(config)))
    if error is None:
        return config
    while error.parent is not None and error.parent.validator == "oneOf":  # the whole choice, not one branch
        error = error.parent
    path = _key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        known = list(error.schema["properties"])
        key = next(k for k in error.instance if k not in known)
        near = _nearest(key, known)
        hint = f"did you mean {near!r}?" if near else f"valid keys: {', '.join(known)}"
        raise ConfigError(f"config: {_key_path([*error.absolute_path, key])}: unknown key ({hint})")
    if error.validator == "oneOf":
        expected = " or ".join(_expected(branch) for branch in error.validator_value)
        raise ConfigError(f"config: {path}: {error.instance!r} is not {expected}")
    message = f"config: {path}: {error.message}" if path else f"config: {error.message}"
    if error.validator == "enum" and isinstance(error.instance, str):
        near = _nearest(error.instance, [str(v) for v in error.validator_value])
        message += f" (did you mean {near!r}?)" if near else ""
    raise ConfigError(message)


def _key_path(keys) -> str:
    """A config key path as messages write it: ``systems[0].A``."""
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")


def _nearest(word: str, choices: list[str]) -> str | None:
    """The one of ``choices`` nearest to ``word`` (difflib, case ignored), None where none is near."""
    lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(lower), n=1)
    return lower[close[0]] if close else None


def _expected(branch: dict) -> str:
    """What one branch of a oneOf accepts, in words: ``an integer >= 1``, ``'all'``."""
    if "enum" in branch:
        return " or ".join(repr(v) for v in branch["enum"])
    bounds = [f"{op} {branch[k]}" for k, op in (("minimum", ">="), ("maximum", "<=")) if k in branch]
    return " ".join([f"an {branch['type']}" if branch["type"][0] in "aeiou" else f"a {branch['type']}", *bounds])


def metal_problem(symbol: str) -> str:
    """Why ``symbol`` cannot be a metal of a system ("" where it can): not an element, or not
    a metal (hydrogen, noble gases, other non-metals and metalloids)."""
    from pymatgen.core.periodic_table import Element

    if not Element.is_valid_symbol(symbol):
        return f"{symbol!r} is not an element symbol"
    element = Element(symbol)
    if symbol in ("H", "D", "T"):
        return f"{symbol} is the hydrogen of every system, not one of its metals"
    if element.is_noble_gas:
        return f"{symbol} is a noble gas, not a metal"
    if not element.is_metal:
        return f"{symbol} is not a metal"
    return ""


def prototype_metals(config: dict) -> list[str]:
    """The metals whose binaries the workflow builds (systems that give no folder for them), sorted."""
    return sorted({s[m] for s in config["systems"] for m, key in (("A", "AH"), ("B", "BH")) if key not in s})


def check(config: dict, base: Path | str = ".") -> None:
    """Raise ConfigError naming the first bad key: unknown methods, elements that are not
    metals, metals without the atomic radius the distance loss needs, bad windows, missing or
    empty folders, compositions that are not formula units (ternary types: see
    :func:`crystalgan.data.ternary_types.check_selection`, a layer above this module)."""
    from pymatgen.core.periodic_table import Element

    from crystalgan.core.compositions import ENUMERATION, parse_formula

    for k, name in enumerate(config["methods"]):
        if name not in METHODS:
            raise ConfigError(f"methods[{k}]: {name!r} is not a method (one of {', '.join(METHODS)})")
    distance = config["geometry"]["distance"]
    needs_radii = (distance["inter"] or distance["intra"]) and any(METHODS[m].geometric for m in config["methods"])
    names = [s["name"] for s in config["systems"]]
    for name in {n for n in names if names.count(n) > 1}:
        raise ConfigError(f"systems: name {name!r} is used more than once")
    for k, system in enumerate(config["systems"]):
        for key in ("A", "B"):
            if problem := metal_problem(system[key]):
                raise ConfigError(f"systems[{k}].{key}: {problem}")
        if system["A"] == system["B"]:
            raise ConfigError(f"systems[{k}]: A and B are both {system['A']}; a ternary needs two metals")
        for key in ("A", "B"):
            if needs_radii and Element(system[key]).atomic_radius is None:
                raise ConfigError(
                    f"systems[{k}].{key}: system {system['name']!r}: the distance loss (geometry.distance) needs the "
                    f"atomic radius of {system[key]}, which pymatgen does not know; set geometry.distance.inter and "
                    "intra to 0 or choose another metal"
                )
        for key in ("AH", "BH", "known"):
            if key not in system:  # the workflow builds the prototype library of the metal; no known phases
                continue
            folder = Path(base, system[key])
            if not folder.is_dir():
                raise ConfigError(f"systems[{k}].{key}: folder {system[key]!r} does not exist")
            if not structure_files(folder):
                raise ConfigError(
                    f"systems[{k}].{key}: folder {system[key]!r} holds no structure files "
                    "(POSCAR*, CONTCAR*, *.vasp, *.poscar, *.cif, *.mat, also gzipped)"
                )
    if config["relax"]["check"] == config["relax"]["potential"]:
        raise ConfigError(
            f"relax.check: {config['relax']['check']} is relax.potential already; the check needs a second potential"
        )
    for section in ("geometry", "filter"):
        d1, d2 = config[section]["d1"], config[section]["d2"]
        if d1 >= d2:
            raise ConfigError(f"{section}: d1 = {d1} must be smaller than d2 = {d2}")
    compositions = config["generate"]["compositions"]
    if not compositions:
        raise ConfigError(f"generate.compositions: no formula unit; list some, such as A2BH6, or give {ENUMERATION}")
    for k, text in enumerate(compositions if compositions != ENUMERATION else []):
        try:
            parse_formula(text)
        except InputError as exc:
            raise ConfigError(f"generate.compositions[{k}]: {exc}") from None


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
