"""Command line: ``crystalgan <stage>``; every Snakemake rule is one call of it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from crystalgan import __version__

log = logging.getLogger("crystalgan")


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _add_system(p: argparse.ArgumentParser) -> None:
    p.add_argument("--a", required=True, metavar="ELEMENT", help="metal A (e.g. Pd)")
    p.add_argument("--b", required=True, metavar="ELEMENT", help="metal B (e.g. Ni)")


def cmd_prototypes(args) -> None:
    from crystalgan.prototypes import write_library

    for metal in args.metal:
        out = Path(args.out) / f"{metal}H"
        paths = write_library(metal, out)
        log.info("wrote %d prototypes for %s to %s", len(paths), metal, out)


def cmd_curate(args) -> None:
    from crystalgan.curate import DEFAULT_OPTIONS, curate

    options = {**DEFAULT_OPTIONS, **args.options}
    counts = curate(Path(args.ah), Path(args.bh), args.a, args.b, Path(args.out), options)
    log.info("curated: %s", counts)


def cmd_encode(args) -> None:
    from crystalgan.encoding import encode

    meta = encode(Path(args.curated), Path(args.out), args.system, args.a, args.b)
    log.info("encoded %d AH and %d BH structures", len(meta["ids"]["AH"]), len(meta["ids"]["BH"]))


def cmd_train_stage1(args) -> None:
    from crystalgan.stage1 import train_stage1

    train_stage1(Path(args.encoded), Path(args.out), Path(args.checkpoints), args.options, args.seed, args.threads)


def cmd_transfer(args) -> None:
    from crystalgan.transfer import transfer

    transfer(Path(args.encoded), Path(args.stage1), Path(args.out), args.mode)


def cmd_train_stage2(args) -> None:
    from crystalgan.stage2 import train_stage2

    train_stage2(
        Path(args.transfer),
        Path(args.out),
        Path(args.checkpoints),
        args.method,
        args.options,
        args.geometry,
        args.seed,
        args.threads,
    )


def cmd_generate(args) -> None:
    from crystalgan.generate import generate

    generate(
        Path(args.model), Path(args.inputs), Path(args.meta), Path(args.out), args.samples, args.noise, args.seed, args.method
    )


def cmd_baseline(args) -> None:
    from crystalgan.baselines import baseline

    baseline(args.method, Path(args.encoded), Path(args.transfer), Path(args.out), args.samples, args.seed)


def cmd_filter(args) -> None:
    from crystalgan.filter import write_filtered

    transfer = Path(args.transfer) if args.transfer else None
    parts = [Path(p) for p in args.parts]
    write_filtered(
        Path(args.candidates), Path(args.curated), transfer, Path(args.out), args.d1, args.d2, args.threads, parts
    )


def _part(text: str) -> tuple[int, int]:
    """'2-of-8' -> (2, 8)."""
    try:
        k, n = (int(v) for v in text.split("-of-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K-of-N, got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"part {k} of {n} does not exist")
    return k, n


def cmd_filter_part(args) -> None:
    from crystalgan.filter import write_chunk

    write_chunk(Path(args.candidates), Path(args.curated), Path(args.out), args.d1, args.d2, args.part, args.threads)


def cmd_report(args) -> None:
    from crystalgan.report import report

    report([Path(p) for p in args.filtered], Path(args.out), args.d1, args.d2, [Path(p) for p in args.losses])


def _add_training(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder: weights, model.json, losses.parquet")
    p.add_argument("--checkpoints", required=True, help="checkpoint folder; a rerun resumes from it")
    p.add_argument("--options", type=_json, required=True, help="JSON object: config section train")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="TensorFlow intra-op threads")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crystalgan", description=__doc__)
    parser.add_argument("--version", action="version", version=f"crystalgan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="STAGE")

    p = sub.add_parser("prototypes", help="write the prototype library of binary hydrides for some metals")
    p.add_argument("--metal", nargs="+", required=True, help="element symbols, e.g. Pd Ni")
    p.add_argument("--out", default="resources/poscar", help="parent folder; writes <out>/<M>H/ (default %(default)s)")
    p.set_defaults(func=cmd_prototypes)

    p = sub.add_parser("curate", help="validate, deduplicate and pair two folders of binary hydrides")
    p.add_argument("--ah", required=True, help="folder of A-H structures (read only)")
    p.add_argument("--bh", required=True, help="folder of B-H structures (read only)")
    _add_system(p)
    p.add_argument("--out", required=True, help="output folder: AH.parquet, BH.parquet, rejected.parquet, pairs.parquet")
    p.add_argument("--options", type=_json, default={}, help="JSON object of curate options (config section curate)")
    p.set_defaults(func=cmd_curate)

    p = sub.add_parser("encode", help="encode curated tables into [N, 4, 18, 3] tensors")
    p.add_argument("--curated", required=True, help="folder written by 'crystalgan curate'")
    p.add_argument("--out", required=True, help="output folder: {AH,BH}.npy, *_counts.npy, *.parquet, meta.json")
    p.add_argument("--system", required=True, help="system name, e.g. PdNiH")
    _add_system(p)
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("train-stage1", help="train the stage-1 cross-domain GAN on encoded A-H and B-H")
    p.add_argument("--encoded", required=True, help="folder written by 'crystalgan encode'")
    _add_training(p)
    p.set_defaults(func=cmd_train_stage1)

    p = sub.add_parser("transfer", help="build the ternary stage-2 training sets from stage-1 outputs")
    p.add_argument("--encoded", required=True)
    p.add_argument("--stage1", required=True, help="folder written by 'crystalgan train-stage1'")
    p.add_argument("--out", required=True, help="output folder: AHB_g.npy, BHA_g.npy, counts.json")
    p.add_argument("--mode", choices=("split", "stack"), default="split")
    p.set_defaults(func=cmd_transfer)

    p = sub.add_parser("train-stage2", help="train stage 2 (crystalgan, crystalgan_nogeo) or the noise GAN (gan)")
    p.add_argument("--transfer", required=True, help="folder written by 'crystalgan transfer'")
    p.add_argument("--method", required=True, choices=("gan", "crystalgan_nogeo", "crystalgan"))
    p.add_argument("--geometry", type=_json, default={"d1": 1.8, "d2": 3.0, "form": "hinge"}, help="JSON: d1, d2, form")
    _add_training(p)
    p.set_defaults(func=cmd_train_stage2)

    p = sub.add_parser("generate", help="sample candidate structures from trained generators")
    p.add_argument("--model", required=True, help="folder with model.json and weights (stage1 or stage2)")
    p.add_argument("--inputs", required=True, help="folder with the generator inputs (encoded/ or transfer/)")
    p.add_argument("--meta", required=True, help="encoded/meta.json (element names)")
    p.add_argument("--method", required=True, choices=("gan", "discogan", "crystalgan_nogeo", "crystalgan"))
    p.add_argument("--out", required=True, help="output folder: candidates.npy, candidates.json, poscar/")
    p.add_argument("--samples", type=int, default=70)
    p.add_argument("--noise", type=float, default=0.05, help="input noise std after the first pass, data-scale units")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("baseline", help="candidates from a baseline: element substitution or pyxtal random crystals")
    p.add_argument("--method", required=True, choices=("substitution", "random"))
    p.add_argument("--encoded", required=True, help="folder written by 'crystalgan encode'")
    p.add_argument("--transfer", required=True, help="folder written by 'crystalgan transfer' (compositions, volumes)")
    p.add_argument("--out", required=True, help="output folder: candidates.npy, candidates.json, poscar/")
    p.add_argument("--samples", type=int, default=70)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("filter", help="judge candidates by nearest-neighbour geometry (pymatgen)")
    p.add_argument("--candidates", required=True, help="folder written by 'crystalgan generate'")
    p.add_argument("--curated", required=True, help="curated folder (training structures, for novelty)")
    p.add_argument("--transfer", help="transfer folder (stage-2 training structures, for novelty)")
    p.add_argument("--out", required=True, help="filtered.parquet to write")
    p.add_argument("--d1", type=float, default=1.8)
    p.add_argument("--d2", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=1, help="worker processes for the geometry verdicts")
    p.add_argument("--parts", nargs="*", default=[], help="verdict tables from 'crystalgan filter-part' to gather")
    p.set_defaults(func=cmd_filter)

    p = sub.add_parser("filter-part", help="geometry verdicts of one part of the candidates (scattered filter)")
    p.add_argument("--candidates", required=True, help="folder written by 'crystalgan generate'")
    p.add_argument("--curated", required=True, help="curated folder (element-aware bounds)")
    p.add_argument("--part", type=_part, required=True, metavar="K-of-N", help="which part, e.g. 2-of-8")
    p.add_argument("--out", required=True, help="verdict table to write (.parquet)")
    p.add_argument("--d1", type=float, default=1.8)
    p.add_argument("--d2", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=1, help="worker processes for the geometry verdicts")
    p.set_defaults(func=cmd_filter_part)

    p = sub.add_parser("report", help="Table 2, nearest-neighbour tables and plots from filtered tables")
    p.add_argument("--filtered", nargs="+", required=True, help="results/<system>/<method>/seed<k>/filtered.parquet")
    p.add_argument("--losses", nargs="*", default=[], help="losses.parquet files of the training runs (curves)")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--d1", type=float, default=1.8)
    p.add_argument("--d2", type=float, default=3.0)
    p.set_defaults(func=cmd_report)

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
        args.func(args)
    except Exception as exc:  # one clear line for the user; the traceback with -v
        if args.verbose:
            raise
        log.error("%s failed: %s", args.command, exc)
        return 1
    log.info("%s done: wall %.1f s, CPU %.1f s", args.command, time.perf_counter() - t0, cpu_seconds())
    return 0


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    sys.exit(main())
