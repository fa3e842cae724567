"""Training loop shared by stage 1, stage 2 and the noise-GAN baseline.

Deterministic by construction: batch order is drawn from ``(seed, epoch)``, input noise
from ``(seed, step)`` with stateless RNGs, weights from the seeded initialisers and
TensorFlow's deterministic ops. Checkpoints every ``checkpoint_every`` epochs (weights,
optimizer state, epoch and the loss history) let a killed run resume to the same result.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crystalgan.artifacts import LOSSES, atomic_path, read_table, write_json, write_table

log = logging.getLogger(__name__)


class TrainingError(RuntimeError):
    """Training cannot go on (a loss became NaN or Inf)."""


def configure_runtime(threads: int, seed: int) -> str:
    """Seed everything, make ops deterministic, set thread pools; return the device used."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, min(threads, 2)))
    except RuntimeError:  # already initialised (e.g. several stages in one process)
        pass
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    try:
        gpus = tf.config.list_physical_devices("GPU")
    except Exception:  # a broken CUDA set-up (e.g. a fake GPU device) means CPU
        gpus = []
    device = f"GPU ({gpus[0].name})" if gpus else "CPU"
    log.info("TensorFlow %s on %s, %d thread(s), seed %d", tf.__version__, device, threads, seed)
    return device


def fit(model, xa, ca, xb, cb, options: dict, seed: int, checkpoints: Path, stage: str) -> pd.DataFrame:
    """Train ``model`` on domains (xa, ca) and (xb, cb) (scaled); return the loss table.

    Resumes from the newest checkpoint in ``checkpoints`` when there is one.
    """
    import tensorflow as tf

    epochs, every = options["epochs"], options["checkpoint_every"]
    batch = min(options["batch_size"], len(xa), len(xb))
    steps = math.ceil(max(len(xa), len(xb)) / batch)
    model.build_all(ca, cb)
    epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
    ckpt = tf.train.Checkpoint(model=model, g_optimizer=model.g_optimizer, d_optimizer=model.d_optimizer, epoch=epoch_var)
    manager = tf.train.CheckpointManager(ckpt, str(checkpoints), max_to_keep=2)
    history: list[pd.DataFrame] = []
    start = 0
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        start = int(epoch_var.numpy())
        history.append(read_table(Path(checkpoints) / f"losses-{start}.parquet", LOSSES))
        log.info("%s: resuming from epoch %d (checkpoint %s)", stage, start, manager.latest_checkpoint)
    if start >= epochs:
        log.info("%s: checkpoint is already at epoch %d of %d", stage, start, epochs)
    step_fn = tf.function(model.train_step)
    progress = _Progress(stage, epochs, start)
    arrays = [np.asarray(a) for a in (xa, ca, xb, cb)]
    rows: list[tuple] = []
    for epoch in range(start, epochs):
        rng = np.random.default_rng([seed, epoch])
        order_a = np.resize(rng.permutation(len(xa)), steps * batch)  # cycles to fill the last batch
        order_b = np.resize(rng.permutation(len(xb)), steps * batch)
        for s in range(steps):
            ia, ib = order_a[s * batch : (s + 1) * batch], order_b[s * batch : (s + 1) * batch]
            step = epoch * steps + s
            data = (arrays[0][ia], arrays[1][ia], arrays[2][ib], arrays[3][ib], tf.constant([seed, step], tf.int64))
            terms = step_fn(data)
            rows += [(stage, epoch, step, k, float(v)) for k, v in terms.items()]
        bad = [(r[3], r[4]) for r in rows[-len(terms) * steps :] if not math.isfinite(r[4])]
        if bad:
            kept = manager.latest_checkpoint or "none"
            raise TrainingError(
                f"{stage}: loss {bad[0][0]} became {bad[0][1]} at epoch {epoch}; "
                f"training stopped, last good checkpoint kept: {kept}"
            )
        done = epoch + 1
        progress.update(done, {k: float(v) for k, v in terms.items()})
        if done % every == 0 or done == epochs:
            epoch_var.assign(done)
            table = pd.concat(history + [pd.DataFrame(rows, columns=LOSSES.names)], ignore_index=True)
            write_table(table, Path(checkpoints) / f"losses-{done}.parquet", LOSSES)
            manager.save(checkpoint_number=done)
            _prune_losses(Path(checkpoints), manager)
    progress.close()
    return pd.concat(history + [pd.DataFrame(rows, columns=LOSSES.names)], ignore_index=True).astype(
        {"epoch": "int32", "step": "int64"}
    )


def _prune_losses(folder: Path, manager) -> None:
    keep = {int(p.rsplit("-", 1)[1]) for p in manager.checkpoints}
    for path in folder.glob("losses-*.parquet"):
        if int(path.stem.split("-")[1]) not in keep:
            path.unlink()


class _Progress:
    """A progress bar on a terminal, otherwise a log line every 10% of the epochs."""

    def __init__(self, stage: str, epochs: int, start: int):
        self.stage, self.epochs, self.t0 = stage, epochs, time.time()
        self.bar = None
        if sys.stderr.isatty():
            import keras

            self.bar = keras.utils.Progbar(epochs, unit_name="epoch", stateful_metrics=None)
            self.bar.update(start)
        self.every = max(1, epochs // 10)

    def update(self, epoch: int, losses: dict) -> None:
        if self.bar is not None:
            self.bar.update(epoch, values=[(k, v) for k, v in losses.items() if k in ("L_G", "L_D")])
        elif epoch % self.every == 0 or epoch == self.epochs:
            shown = " ".join(f"{k}={v:.4g}" for k, v in losses.items())
            log.info("%s epoch %d/%d (%.1f s): %s", self.stage, epoch, self.epochs, time.time() - self.t0, shown)

    def close(self) -> None:
        log.info("%s: %d epochs done in %.1f s", self.stage, self.epochs, time.time() - self.t0)


def save_model(model, folder: Path, kind: str, options: dict, extra: dict | None = None) -> None:
    """Weights (``weights.weights.h5``) and ``model.json`` (kind, scale, options) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "weights.weights.h5") as tmp:
        path = tmp.with_name(tmp.name + ".weights.h5")
        model.save_weights(path)
        os.replace(path, tmp)
    write_json({"kind": kind, "scale": model.scale, "options": options, **(extra or {})}, folder / "model.json")


def load_model(folder: Path, counts_a: np.ndarray, counts_b: np.ndarray):
    """Rebuild a model saved by :func:`save_model`."""
    from crystalgan.models import CrossDomainGAN, NoiseGAN

    meta = json.loads((Path(folder) / "model.json").read_text())
    if meta["kind"] == "gan":
        model = NoiseGAN(meta["options"], meta["scale"])
    else:
        model = CrossDomainGAN(meta["options"], meta["scale"], swap=meta["kind"] == "stage1")
    model.build_all(counts_a, counts_b)
    model.load_weights(str(Path(folder) / "weights.weights.h5"))
    return model, meta
