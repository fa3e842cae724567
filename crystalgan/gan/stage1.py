"""Stage 1: the cross-domain GAN between binary A-H and B-H structures (DiscoGAN-like)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from crystalgan.core.artifacts import LOSSES, cpu_seconds, read_structures, write_structures, write_table
from crystalgan.gan.models import adam_pair, cross_domain_gan, data_scale
from crystalgan.gan.networks import row_mask
from crystalgan.gan.train import configure_runtime, discard_checkpoints, fit, run_metadata, save_model
from crystalgan.settings import Train

log = logging.getLogger(__name__)

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def train_stage1(
    ah: Domain,
    bh: Domain,
    *,
    out: Path,
    checkpoints: Path,
    train: Train,
    seed: int,
    threads: int,
    meta: Path | None = None,
) -> None:
    """Train stage 1 on the encoded domains ``ah`` and ``bh``; write weights, losses and the
    generated tensors (:func:`translate`) to ``out``, then remove the ``checkpoints``. With the
    encoding's ``meta`` (meta.json), the losses table carries its run (system, metals, seed,
    method ``stage1``) in its metadata."""
    configure_runtime(threads, seed)
    xa, ca = read_structures(*ah)
    xb, cb = read_structures(*bh)
    scale = data_scale(xa, xb, counts=(ca, cb))
    log.info("stage 1: %d A-H and %d B-H structures, data scale %.3f A", len(xa), len(xb), scale)
    model = cross_domain_gan(train, scale, swap=True)
    model.compile(**adam_pair(train))
    losses = fit(
        model, xa / scale, ca, xb / scale, cb, train=train, seed=seed, checkpoints=Path(checkpoints), stage="stage1"
    )
    out = Path(out)
    save_model(model, out, kind="stage1", train=train)
    run = run_metadata(meta, "stage1", seed)
    write_table(losses, out / "losses.parquet", LOSSES, run=run, cpu={"stage1": cpu_seconds()})
    generated = translate(model, xa, ca, xb, cb)
    for name, (x, c) in generated.items():
        write_structures(x, c, out / f"{name}.npy")
    log_cycle_error(xa, ca, generated["x_AHBA1"][0], "A-H")
    log_cycle_error(xb, cb, generated["y_BHAB1"][0], "B-H")
    discard_checkpoints(Path(checkpoints))


def translate(model, xa, ca, xb, cb) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """x_AHB1 = G_AB(x_AH), x_AHBA1 = G_BA(x_AHB1), y_BHA1 = G_BA(y_BH), y_BHAB1 = G_AB(y_BHA1), in A."""
    s = model.scale
    fake_b, cfb, rec_a, fake_a, cfa, rec_b = model((xa / s, ca, xb / s, cb))
    return {
        "x_AHB1": (fake_b.numpy() * s, cfb.numpy()),
        "x_AHBA1": (rec_a.numpy() * s, ca),
        "y_BHA1": (fake_a.numpy() * s, cfa.numpy()),
        "y_BHAB1": (rec_b.numpy() * s, cb),
    }


def log_cycle_error(x: np.ndarray, counts: np.ndarray, rec: np.ndarray, name: str) -> float:
    """Log the mean cycle error (A) next to that of predicting the dataset mean; return the former."""
    mask = row_mask(counts).numpy()[..., None] > 0
    err = float(np.abs(rec - x)[np.broadcast_to(mask, x.shape)].mean())
    mean = np.where(mask, x, 0).sum(0) / np.maximum(mask.sum(0), 1)
    base = float(np.abs(mean[None] - x)[np.broadcast_to(mask, x.shape)].mean())
    log.info("stage 1 %s cycle error %.3f A (predicting the mean: %.3f A)", name, err, base)
    return err
