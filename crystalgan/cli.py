"""Command line: ``crystalgan <stage>``; every Snakemake rule is one call of it.

Each command is two functions side by side: ``<name>_arguments`` declares its arguments and
``<name>`` runs it; :data:`COMMANDS` lists them. A :class:`~crystalgan.errors.CrystalganError`
(bad input, config or environment) is printed as one line; any other exception is a bug and
is printed with its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path

from crystalgan import __version__
from crystalgan.config import defaults
from crystalgan.core.artifacts import cpu_seconds
from crystalgan.errors import CrystalganError, InputError
from crystalgan.settings import Relax

log = logging.getLogger("crystalgan")
DEFAULTS = defaults()
TENSORFLOW_COMMANDS = ("train-stage1", "train-stage2", "generate")  # the commands whose jobs import TensorFlow


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _part(text: str) -> tuple[int, int]:
    """'2-of-8' -> (2, 8)."""
    try:
        k, n = (int(v) for v in text.split("-of-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K-of-N, got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"part {k} of {n} does not exist")
    return k, n


def _system(p: argparse.ArgumentParser) -> None:
    p.add_argument("--a", required=True, metavar="ELEMENT", help="metal A (e.g. Pd)")
    p.add_argument("--b", required=True, metavar="ELEMENT", help="metal B (e.g. Ni)")


def _domain(p: argparse.ArgumentParser, flag: str, what: str, required: bool = True) -> None:
    """An encoded domain: its tensor file ``X.npy`` and its counts file ``X_counts.npy``."""
    p.add_argument(flag, nargs=2, required=required, type=Path, metavar=("TENSORS", "COUNTS"), help=what)


def _relax_options(p: argparse.ArgumentParser, flag: str = "--options") -> None:
    p.add_argument(
        flag, type=_json, default={}, help="JSON object: keys of config section relax (defaults: the schema's)"
    )


def _threads(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--threads", type=int, default=1, help=what)


# ------------------------------------------------------------------ methods


def methods_arguments(p) -> None:
    pass


def methods(args) -> None:
    from crystalgan.methods import METHODS

    for name, spec in METHODS.items():
        print(f"{name:18} {spec.description}")


# ------------------------------------------------------------------ prototypes


def prototypes_arguments(p) -> None:
    p.add_argument("--metal", nargs="+", required=True, help="element symbols, e.g. Pd Ni")
    p.add_argument("--out", default="resources/poscar", help="parent folder; writes <out>/<M>H/ (default %(default)s)")
    p.add_argument(
        "--relax", action="store_true", help="relax every prototype with the potential, within its space group"
    )
    _relax_options(p)
    _threads(p, "torch threads")


def prototypes(args) -> None:
    from crystalgan.config import metal_problem
    from crystalgan.data.prototypes import unrelaxed, write_library

    for metal in args.metal:
        if problem := metal_problem(metal):
            raise InputError(f"--metal {metal}: {problem}")
    relaxer = None
    if args.relax:
        from crystalgan.physics.potentials import Relaxer

        relaxer = Relaxer(Relax.of(args.options), args.threads)
    for metal in args.metal:
        out = Path(args.out) / f"{metal}H"
        if relaxer is None:
            library = unrelaxed(metal)
        else:
            from crystalgan.physics.hull import relaxed_library

            library = relaxed_library(metal, relaxer)
        paths = write_library(out, library)
        log.info("wrote %d prototypes for %s to %s", len(paths), metal, out)


# ------------------------------------------------------------------ curate


def curate_arguments(p) -> None:
    p.add_argument("--ah", nargs="+", required=True, type=Path, help="A-H structure files, or one folder of them")
    p.add_argument("--bh", nargs="+", required=True, type=Path, help="B-H structure files, or one folder of them")
    _system(p)
    p.add_argument(
        "--out", required=True, help="output folder: AH.parquet, BH.parquet, rejected.parquet, pairs.parquet"
    )
    p.add_argument("--options", type=_json, default={}, help="JSON object of curate options (config section curate)")


def curate(args) -> None:
    from crystalgan.data.curate import curate as run

    options = {**DEFAULTS["curate"], **args.options}
    counts = run(args.ah, args.bh, args.a, args.b, Path(args.out), options)
    log.info("curated: %s", counts)


# ------------------------------------------------------------------ known


def known_arguments(p) -> None:
    p.add_argument("--folder", required=True, type=Path, help="folder of structure files of known phases")
    _system(p)
    p.add_argument("--out", required=True, help="output folder: known.parquet, rejected.parquet")
    p.add_argument("--options", type=_json, default={}, help="JSON object of curate options (config section curate)")


def known(args) -> None:
    from crystalgan.data.curate import curate_known

    curate_known(args.folder, args.a, args.b, Path(args.out), {**DEFAULTS["curate"], **args.options})


# ------------------------------------------------------------------ encode


def encode_arguments(p) -> None:
    p.add_argument("--ah", required=True, type=Path, help="curated AH.parquet")
    p.add_argument("--bh", required=True, type=Path, help="curated BH.parquet")
    p.add_argument("--pairs", required=True, type=Path, help="curated pairs.parquet")
    p.add_argument("--out", required=True, help="output folder: {AH,BH}.npy, *_counts.npy, *.parquet, meta.json")
    p.add_argument("--system", required=True, help="system name, e.g. PdNiH")
    _system(p)


def encode(args) -> None:
    from crystalgan.data.encoding import encode as run

    meta = run(args.ah, args.bh, args.pairs, Path(args.out), args.system, args.a, args.b)
    log.info("encoded %d AH and %d BH structures", len(meta["ids"]["AH"]), len(meta["ids"]["BH"]))


# ------------------------------------------------------------------ train-stage1


def _training(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder: weights, model.json, losses.parquet")
    p.add_argument("--checkpoints", required=True, help="checkpoint folder; a rerun resumes from it")
    p.add_argument("--options", type=_json, required=True, help="JSON object: config section train")
    p.add_argument("--seed", type=int, default=0)
    _threads(p, "TensorFlow intra-op threads")


def train_stage1_arguments(p) -> None:
    _domain(p, "--ah", "encoded A-H: AH.npy AH_counts.npy")
    _domain(p, "--bh", "encoded B-H: BH.npy BH_counts.npy")
    p.add_argument("--meta", type=Path, help="encoded meta.json: the system and metals of losses.parquet's run")
    _training(p)


def train_stage1(args) -> None:
    from crystalgan.gan.stage1 import train_stage1 as run
    from crystalgan.settings import Train

    run(
        args.ah,
        args.bh,
        out=Path(args.out),
        checkpoints=Path(args.checkpoints),
        train=Train.of(args.options),
        seed=args.seed,
        threads=args.threads,
        meta=args.meta,
    )


# ------------------------------------------------------------------ transfer


def transfer_arguments(p) -> None:
    from crystalgan.data.transfer import MODES

    p.add_argument("--meta", required=True, type=Path, help="encoded meta.json (partners)")
    _domain(p, "--ah", "encoded A-H: AH.npy AH_counts.npy")
    _domain(p, "--bh", "encoded B-H: BH.npy BH_counts.npy")
    _domain(p, "--rec-a", "stage 1's x_AHBA1.npy x_AHBA1_counts.npy")
    _domain(p, "--rec-b", "stage 1's y_BHAB1.npy y_BHAB1_counts.npy")
    p.add_argument("--out", required=True, help="output folder: AHB_g.npy, BHA_g.npy, counts.json")
    p.add_argument("--mode", choices=MODES, default=DEFAULTS["transfer"]["mode"])
    p.add_argument(
        "--ternaries",
        nargs="+",
        default=[],
        metavar="TYPE",
        help="types of the ternary library (crystalgan/data/ternary_types.yaml), or all, put first in both sets",
    )


def transfer(args) -> None:
    from crystalgan.data.transfer import transfer as run

    run(args.meta, args.ah, args.bh, args.rec_a, args.rec_b, Path(args.out), args.mode, args.ternaries)


# ------------------------------------------------------------------ train-stage2


def train_stage2_arguments(p) -> None:
    from crystalgan.methods import STAGE2

    _domain(p, "--ahb", "AHB_g.npy AHB_g_counts.npy")
    _domain(p, "--bha", "BHA_g.npy BHA_g_counts.npy")
    p.add_argument("--method", required=True, choices=STAGE2)
    p.add_argument("--geometry", type=_json, default=DEFAULTS["geometry"], help="JSON: config section geometry")
    p.add_argument(
        "--curated", nargs=2, type=Path, metavar=("AH", "BH"), help="curated binaries (geometry target 'data')"
    )
    p.add_argument("--meta", type=Path, help="encoded meta.json (element names)")
    _training(p)


def train_stage2(args) -> None:
    from crystalgan.gan.stage2 import train_stage2 as run
    from crystalgan.settings import Geometry, Train

    run(
        args.ahb,
        args.bha,
        out=Path(args.out),
        checkpoints=Path(args.checkpoints),
        method=args.method,
        train=Train.of(args.options),
        geometry=Geometry.of(args.geometry),
        seed=args.seed,
        threads=args.threads,
        curated=args.curated,
        meta=args.meta,
    )


# ------------------------------------------------------------------ generate


def generate_arguments(p) -> None:
    from crystalgan.methods import GENERATORS

    p.add_argument("--model", required=True, type=Path, help="model.json of the trained model (stage1 or stage2)")
    p.add_argument("--weights", required=True, type=Path, help="weights.weights.h5 beside it")
    _domain(p, "--input-a", "generator inputs of the A side (AH or AHB_g tensors and counts)")
    _domain(p, "--input-b", "generator inputs of the B side (BH or BHA_g tensors and counts)")
    p.add_argument("--meta", required=True, type=Path, help="encoded meta.json (element names)")
    p.add_argument("--method", required=True, choices=GENERATORS)
    p.add_argument("--out", required=True, help="output folder: candidates.npy, candidates.json, poscar/")
    p.add_argument("--samples", type=int, default=DEFAULTS["generate"]["samples"])
    p.add_argument(
        "--noise", type=float, default=DEFAULTS["generate"]["noise"], help="input noise std, data-scale units"
    )
    p.add_argument(
        "--merge",
        type=float,
        default=DEFAULTS["generate"]["merge"],
        help="A: merge atoms of one element closer than this (0: off; default %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0)


def generate(args) -> None:
    from crystalgan.gan.generate import generate as run

    run(
        args.model,
        args.weights,
        (args.input_a, args.input_b),
        meta=args.meta,
        out=Path(args.out),
        samples=args.samples,
        noise=args.noise,
        seed=args.seed,
        method=args.method,
        merge=args.merge,
    )


# ------------------------------------------------------------------ baseline


def _formula_unit(text: str):
    """'A2BH6' -> FormulaUnit(2, 1, 6)."""
    from crystalgan.core.compositions import parse_formula

    try:
        return parse_formula(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def baseline_arguments(p) -> None:
    from crystalgan.core.compositions import ENUMERATED
    from crystalgan.methods import BASELINES

    p.add_argument("--method", required=True, choices=BASELINES)
    p.add_argument("--meta", required=True, type=Path, help="encoded meta.json (element names)")
    _domain(p, "--ah", "encoded A-H: AH.npy AH_counts.npy")
    _domain(p, "--bh", "encoded B-H: BH.npy BH_counts.npy")
    p.add_argument("--out", required=True, help="output folder: candidates.npy, candidates.json, poscar/")
    p.add_argument("--samples", type=int, default=DEFAULTS["generate"]["samples"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--compositions",
        nargs="+",
        type=_formula_unit,
        default=ENUMERATED,
        metavar="FORMULA",
        help="formula units such as A2BH6 (A, B: the system's metals) the random baseline draws from "
        "(default: the enumeration of generate.compositions)",
    )


def baseline(args) -> None:
    from crystalgan.data.baselines import baseline as run

    run(args.method, args.meta, (args.ah, args.bh), Path(args.out), args.samples, args.seed, tuple(args.compositions))


# ------------------------------------------------------------------ filter, filter-part


def _candidates(p: argparse.ArgumentParser) -> None:
    p.add_argument("--candidates", required=True, type=Path, help="candidates.npy written by generate or baseline")
    p.add_argument("--counts", required=True, type=Path, help="candidates_counts.npy beside it")
    p.add_argument("--info", required=True, type=Path, help="candidates.json beside it (system, metals, method)")
    p.add_argument(
        "--curated", nargs=2, required=True, type=Path, metavar=("AH", "BH"), help="curated AH.parquet and BH.parquet"
    )
    p.add_argument("--d1", type=float, default=DEFAULTS["filter"]["d1"])
    p.add_argument("--d2", type=float, default=DEFAULTS["filter"]["d2"])
    _threads(p, "worker processes for the geometry verdicts")


def filter_arguments(p) -> None:
    _candidates(p)
    _domain(p, "--ahb", "AHB_g.npy AHB_g_counts.npy (stage-2 training ternaries, for novelty)", required=False)
    _domain(p, "--bha", "BHA_g.npy BHA_g_counts.npy", required=False)
    p.add_argument("--out", required=True, help="filtered.parquet to write")
    p.add_argument("--neighbours", required=True, help="neighbours.parquet to write (valid unique candidates)")
    p.add_argument(
        "--parts", nargs="*", type=Path, default=[], help="verdict tables from 'crystalgan filter-part' to gather"
    )


def filter(args) -> None:
    from crystalgan.evaluation.filter import write_filtered

    write_filtered(
        (args.candidates, args.counts),
        args.info,
        args.curated,
        [d for d in (args.ahb, args.bha) if d],
        Path(args.out),
        Path(args.neighbours),
        args.d1,
        args.d2,
        args.threads,
        args.parts,
    )


def filter_part_arguments(p) -> None:
    _candidates(p)
    p.add_argument("--part", type=_part, required=True, metavar="K-of-N", help="which part, e.g. 2-of-8")
    p.add_argument("--out", required=True, help="verdict table to write (.parquet)")


def filter_part(args) -> None:
    from crystalgan.evaluation.filter import write_part

    write_part(
        (args.candidates, args.counts),
        args.info,
        args.curated,
        Path(args.out),
        args.d1,
        args.d2,
        args.part,
        args.threads,
    )


# ------------------------------------------------------------------ hull


def phases_arguments(p) -> None:
    p.add_argument("--system", required=True, help="system name, e.g. FeTiH (recorded in the table)")
    _system(p)
    p.add_argument("--known", type=Path, help="curated known.parquet of the system's known phases ('crystalgan known')")
    _relax_options(p)
    _threads(p, "torch threads")
    p.add_argument("--out", required=True, type=Path, help="phases.parquet to write")


def phases(args) -> None:
    from crystalgan.physics.hull import relax_phases

    relax_phases(
        system=args.system,
        metal_a=args.a,
        metal_b=args.b,
        out=args.out,
        settings=Relax.of(args.options),
        known=args.known,
        threads=args.threads,
    )


def hull_arguments(p) -> None:
    p.add_argument("--ah", required=True, type=Path, help="curated AH.parquet")
    p.add_argument("--bh", required=True, type=Path, help="curated BH.parquet")
    p.add_argument("--phases", type=Path, help="phases.parquet of 'crystalgan phases' (intermetallics, known phases)")
    p.add_argument("--system", required=True, help="system name, e.g. PdNiH (recorded in hull.parquet)")
    _system(p)
    _relax_options(p)
    _threads(p, "torch threads")
    p.add_argument("--out", required=True, type=Path, help="hull.parquet to write")


def hull(args) -> None:
    from crystalgan.physics.hull import hull as run

    run(
        args.ah,
        args.bh,
        system=args.system,
        metal_a=args.a,
        metal_b=args.b,
        out=args.out,
        settings=Relax.of(args.options),
        phases=args.phases,
        threads=args.threads,
    )


# ------------------------------------------------------------------ shortlist, relax-part, relax


def _relaxation(p: argparse.ArgumentParser, filtered: bool) -> None:
    """A run's candidates, the system's hull and the relax settings."""
    if filtered:
        p.add_argument("--filtered", required=True, type=Path, help="the run's filtered.parquet")
    p.add_argument("--candidates", required=True, type=Path, help="the run's candidates.npy")
    p.add_argument("--counts", required=True, type=Path, help="candidates_counts.npy beside it")
    p.add_argument("--info", required=True, type=Path, help="candidates.json beside it")
    p.add_argument("--hull", required=True, type=Path, help="the system's hull.parquet")
    _relax_options(p)
    _threads(p, "torch threads")


def shortlist_arguments(p) -> None:
    _relaxation(p, filtered=True)
    p.add_argument("--out", required=True, type=Path, help="shortlist.parquet to write")


def shortlist(args) -> None:
    from crystalgan.physics.relax import write_shortlist

    write_shortlist(
        args.filtered,
        (args.candidates, args.counts),
        info=args.info,
        hull=args.hull,
        out=args.out,
        settings=Relax.of(args.options),
        threads=args.threads,
    )


def relax_part_arguments(p) -> None:
    _relaxation(p, filtered=False)
    p.add_argument("--shortlist", required=True, type=Path, help="shortlist.parquet written by 'crystalgan shortlist'")
    p.add_argument("--part", type=_part, required=True, metavar="K-of-N", help="which part, e.g. 2-of-8")
    p.add_argument("--out", required=True, type=Path, help="folder to write: relaxed.parquet and structure files")


def relax_part(args) -> None:
    from crystalgan.physics.relax import relax_part as run

    run(
        args.shortlist,
        (args.candidates, args.counts),
        info=args.info,
        hull=args.hull,
        out=args.out,
        settings=Relax.of(args.options),
        part=args.part,
        threads=args.threads,
    )


def relax_arguments(p) -> None:
    _relaxation(p, filtered=True)
    p.add_argument("--out", required=True, type=Path, help="relaxed.parquet to write")
    p.add_argument("--structures", required=True, type=Path, help="folder for the relaxed CIF and POSCAR files")
    p.add_argument(
        "--shortlist", nargs="*", type=Path, default=[], help="with --parts: the shortlist.parquet the parts relaxed"
    )
    p.add_argument(
        "--parts", nargs="*", type=Path, default=[], help="folders written by relax-part: gather them, relax nothing"
    )


def relax(args) -> None:
    from crystalgan.physics.relax import relax_run

    if bool(args.parts) != bool(args.shortlist):
        raise InputError("--parts and --shortlist go together: the parts relax that shortlist")
    relax_run(
        args.filtered,
        (args.candidates, args.counts),
        info=args.info,
        hull=args.hull,
        out=args.out,
        structures=args.structures,
        settings=Relax.of(args.options),
        threads=args.threads,
        shortlist_path=args.shortlist[0] if args.shortlist else None,
        parts=args.parts,
    )


def confirm_arguments(p) -> None:
    p.add_argument("--relaxed", required=True, type=Path, help="the run's relaxed.parquet")
    p.add_argument("--hull", required=True, type=Path, help="the system's hull.parquet of the second potential")
    _relax_options(p)
    _threads(p, "torch threads")
    p.add_argument("--out", required=True, type=Path, help="confirmed.parquet to write")


def confirm(args) -> None:
    from crystalgan.physics.confirm import confirm as run

    check = args.options.get("check")
    if not check:
        raise InputError('confirm: no second potential: set relax.check (--options \'{"check": "7net-0"}\')')
    options = {k: v for k, v in args.options.items() if k != "check"}
    run(args.relaxed, args.hull, out=args.out, settings=Relax.of(options, potential=check), threads=args.threads)


# ------------------------------------------------------------------ dft


def dft_arguments(p) -> None:
    p.add_argument("--relaxed", nargs="+", required=True, type=Path, help="relaxed.parquet of every run of one system")
    p.add_argument("--out", required=True, type=Path, help="folder to write: <crystal>_<formula>/ inputs, index.csv")


def dft(args) -> None:
    from crystalgan.evaluation.handoff import write_dft_inputs

    index = write_dft_inputs(args.relaxed, args.out)
    log.info("DFT inputs (MPRelaxSet, POTCAR.spec) of %d crystals in %s", len(index), args.out)


# ------------------------------------------------------------------ report


def report_arguments(p) -> None:
    p.add_argument("--filtered", nargs="+", required=True, type=Path, help="filtered.parquet of every run")
    p.add_argument("--neighbours", nargs="+", required=True, type=Path, help="neighbours.parquet of the same runs")
    p.add_argument("--losses", nargs="*", type=Path, default=[], help="losses.parquet of the training runs (curves)")
    p.add_argument("--relaxed", nargs="*", type=Path, default=[], help="relaxed.parquet of the same runs (if relaxed)")
    p.add_argument("--hulls", nargs="*", type=Path, default=[], help="hull.parquet of every system (if relaxed)")
    p.add_argument(
        "--confirmed", nargs="*", type=Path, default=[], help="confirmed.parquet of the same runs (with relax.check)"
    )
    _relax_options(p, "--relax-options")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--d1", type=float, default=DEFAULTS["filter"]["d1"])
    p.add_argument("--d2", type=float, default=DEFAULTS["filter"]["d2"])


def report(args) -> None:
    from crystalgan.evaluation.report import report as run

    run(
        args.filtered,
        args.neighbours,
        out=Path(args.out),
        d1=args.d1,
        d2=args.d2,
        losses=args.losses,
        relaxed=args.relaxed,
        hulls=args.hulls,
        confirmed=args.confirmed,
        relax=Relax.of(args.relax_options),
    )


# name: (help, arguments, handler), in pipeline order
COMMANDS = {
    "methods": ("list the methods a config can name, and what each does", methods_arguments, methods),
    "prototypes": (
        "write the prototype library of binary hydrides for some metals",
        prototypes_arguments,
        prototypes,
    ),
    "curate": ("validate, deduplicate and pair two sets of binary hydride files", curate_arguments, curate),
    "known": ("validate and deduplicate a folder of known phases of a system (for its hull)", known_arguments, known),
    "encode": ("encode curated tables into [N, 4, 18, 3] tensors", encode_arguments, encode),
    "train-stage1": (
        "train the stage-1 cross-domain GAN on encoded A-H and B-H",
        train_stage1_arguments,
        train_stage1,
    ),
    "transfer": ("build the ternary stage-2 training sets from stage-1 outputs", transfer_arguments, transfer),
    "train-stage2": (
        "train the stage-2 model of a method on the ternary training sets",
        train_stage2_arguments,
        train_stage2,
    ),
    "generate": ("sample candidate structures from trained generators", generate_arguments, generate),
    "baseline": (
        "candidates from a baseline method (element substitution, random crystals, ternary structure types)",
        baseline_arguments,
        baseline,
    ),
    "filter": (
        "judge candidates by nearest-neighbour geometry and StructureMatcher (pymatgen)",
        filter_arguments,
        filter,
    ),
    "filter-part": (
        "geometry verdicts of one part of the candidates (scattered filter)",
        filter_part_arguments,
        filter_part,
    ),
    "phases": (
        "relax a system's intermetallic structure types and known phases with a potential",
        phases_arguments,
        phases,
    ),
    "hull": (
        "relax a system's references (binaries, elements, phases) with a potential: its hull",
        hull_arguments,
        hull,
    ),
    "shortlist": ("the valid unique candidates of a run to relax (ranked, capped)", shortlist_arguments, shortlist),
    "relax-part": ("relax one part of a run's shortlist (a scattered relax job)", relax_part_arguments, relax_part),
    "relax": (
        "relax a run's valid unique candidates; energy above the hull, symmetry, S.U.N.",
        relax_arguments,
        relax,
    ),
    "confirm": (
        "re-relax a run's S.U.N. crystals with a second potential against its own hull (relax.check)",
        confirm_arguments,
        confirm,
    ),
    "dft": ("VASP inputs (MPRelaxSet) of every distinct S.U.N. crystal of a system", dft_arguments, dft),
    "report": (
        "Table 2, nearest-neighbour tables and plots from the runs' filtered tables",
        report_arguments,
        report,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crystalgan", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"crystalgan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="STAGE")
    for name, (text, arguments, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=text)
        arguments(p)
        p.set_defaults(func=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.getLogger("absl").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    t0 = time.perf_counter()
    try:
        if args.command in TENSORFLOW_COMMANDS:
            from crystalgan.gan.train import import_tensorflow

            import_tensorflow()
        args.func(args)
    except CrystalganError as exc:  # the user's to fix: one line (the traceback with -v)
        if args.verbose:
            raise
        log.error("%s failed: %s", args.command, exc)
        return 1
    except Exception:  # a bug: the whole traceback, for a report
        log.exception("%s failed with an unexpected error (a bug; please report it with this log)", args.command)
        return 1
    # peak resident memory of this process or of its largest worker (ru_maxrss: KiB, bytes on macOS)
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    peak_mb = peak / (2**20 if sys.platform == "darwin" else 2**10)
    log.info(
        "%s done: wall %.1f s, CPU %.1f s, peak memory %.0f MB",
        args.command,
        time.perf_counter() - t0,
        cpu_seconds(),
        peak_mb,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
