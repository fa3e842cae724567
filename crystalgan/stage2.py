"""Stage 2: the cross-domain GAN between AHB_g and BHA_g with the geometric loss; and the
noise-input GAN baseline trained on the same data."""

from __future__ import annotations

import logging
from pathlib import Path

from crystalgan.artifacts import LOSSES, read_structures, write_table
from crystalgan.models import CrossDomainGAN, NoiseGAN, data_scale
from crystalgan.train import configure_runtime, fit, save_model

log = logging.getLogger(__name__)

METHODS = ("gan", "crystalgan_nogeo", "crystalgan")


def train_stage2(
    transfer: Path, out: Path, checkpoints: Path, method: str, options: dict, geometry: dict, seed: int, threads: int
) -> None:
    """Train ``method`` on ``transfer/{AHB_g,BHA_g}.npy``; write weights and losses to ``out``."""
    if method not in METHODS:
        raise ValueError(f"stage 2 trains one of {METHODS}, not {method!r}")
    configure_runtime(threads, seed)
    xa, ca = read_structures(Path(transfer) / "AHB_g.npy")
    xb, cb = read_structures(Path(transfer) / "BHA_g.npy")
    if len(xa) == 0 or len(xb) == 0:
        raise ValueError(f"{transfer}: empty stage-2 training set (AHB_g {len(xa)}, BHA_g {len(xb)})")
    scale = data_scale(xa, xb, counts=(ca, cb))
    options = dict(options, lambdas={"l5": 0.0, "l6": 0.0, **options["lambdas"]})
    if method == "gan":
        model = NoiseGAN(options, scale)
    elif method == "crystalgan_nogeo":
        options["lambdas"].update(l5=0.0, l6=0.0)
        model = CrossDomainGAN(options, scale, swap=False)
    else:
        model = CrossDomainGAN(options, scale, swap=False, geometry=geometry)
    log.info("stage 2 (%s): %d AHB_g and %d BHA_g structures, scale %.3f A", method, len(xa), len(xb), scale)
    losses = fit(model, xa / scale, ca, xb / scale, cb, options, seed, Path(checkpoints), f"stage2-{method}")
    kind = "gan" if method == "gan" else "stage2"
    save_model(model, Path(out), kind, options, {"method": method, "geometry": geometry})
    write_table(losses, Path(out) / "losses.parquet", LOSSES)
