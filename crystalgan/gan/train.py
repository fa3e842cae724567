"""Training loop shared by stage 1, stage 2 and the noise-GAN baseline.

The models are Keras models with a ``train_step`` (compiled with their two optimizers, loss
terms as metrics), but ``keras.Model.fit`` is not used: epochs run in chunks, each chunk one
``tf.function`` call (a graph loop over its epochs and steps) that ends at every checkpoint
and progress report. That keeps the Python overhead off the ~2 ms steps of these small
networks (half the wall time of a step-per-call loop) and makes every checkpoint a point
from which a killed run resumes to bit-identical weights.

Deterministic by construction: batch order is drawn from ``(seed, epoch)``, input noise
from ``(seed, step)`` with stateless RNGs, weights from the seeded initialisers and
TensorFlow's deterministic ops. Checkpoints every ``checkpoint_every`` epochs (weights,
optimizer state, epoch and the loss history) let a killed run resume to the same result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crystalgan.core.artifacts import LOSSES, RUN_FIELDS, atomic_path, read_json, read_table, write_json, write_table
from crystalgan.errors import CrystalganError
from crystalgan.settings import Train

log = logging.getLogger(__name__)


class TrainingError(CrystalganError, RuntimeError):
    """Training cannot go on (a loss became NaN or Inf)."""


# TensorFlow's C++ side writes to stderr, on import and on its first device search, absl's
# start-up notice, info lines ("I0000 ...": oneDNN, CPU features, missing CUDA drivers, each
# maybe continued on the next lines) and the cuInit error of a machine without a GPU. None of
# them is the user's concern (the training log says the device found); other lines pass.
_NATIVE_LINE = re.compile(r"[IWEF]\d{4} ")
_NATIVE_NOISE = re.compile(r"WARNING: All log messages before absl::InitializeLog|[IW]\d{4} |E\d{4} .*cuInit")


def import_tensorflow() -> None:
    """Import TensorFlow and list its GPUs with its start-up noise (:data:`_NATIVE_NOISE`) kept
    out of stderr; CrystalganError naming the install command where TensorFlow is missing."""
    import importlib.util

    missing = [name for name in ("tensorflow", "keras") if importlib.util.find_spec(name) is None]
    if missing:
        raise CrystalganError(
            f"{', '.join(missing)} not installed: the GAN commands need pip install -e '.[gan]' "
            "(or snakemake --sdm conda, envs/crystalgan.yaml)"
        )
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            with contextlib.suppress(Exception):  # a broken CUDA set-up: configure_runtime says CPU
                tf.config.list_physical_devices("GPU")
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            noise = False
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if _NATIVE_LINE.match(line) or _NATIVE_NOISE.match(line):
                    noise = bool(_NATIVE_NOISE.match(line))
                if not noise:
                    sys.stderr.write(line)


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


RESUME_FILE = "resume.json"  # in a checkpoint folder: what the checkpoints were trained from
PATH_FREE = ("epochs", "checkpoint_every")  # train settings that say where training stops and saves, not its path


def resume_key(stage: str, seed: int, train: Train, arrays, identity: dict | None) -> dict:
    """What a checkpoint must have been trained from to be resumed: the stage, the seed, the
    ``train`` settings (but ``PATH_FREE``), what else defines the model (``identity``) and the
    sha256 of the training data ``arrays``."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    kept = {k: v for k, v in train.as_dict().items() if k not in PATH_FREE}
    return json.loads(
        json.dumps(
            {"stage": stage, "seed": seed, "options": kept, "identity": identity or {}, "data": digest.hexdigest()},
            sort_keys=True,
        )
    )


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two resume keys."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}" + (f" ({a} -> {b})" if key != "data" else " (the training data changed)"))
    return out


def stale_reason(checkpoints: Path, key: dict, epochs: int) -> str:
    """Why the checkpoints in ``checkpoints`` cannot be resumed for a run of ``key`` to
    ``epochs`` ("" where they can, or where there are none)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(checkpoints))
    if latest is None:
        return ""
    path = Path(checkpoints) / RESUME_FILE
    if not path.is_file():
        return f"{path} is missing, so what they were trained from is unknown"
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return f"{path} is unreadable ({exc})"
    if changed := _differences(saved, key):
        return "they were trained with other " + "; ".join(changed)
    epoch = int(latest.rsplit("-", 1)[1])
    if epoch > epochs:
        return f"the newest is at epoch {epoch}, beyond the {epochs} epochs asked for"
    return ""


def discard_checkpoints(checkpoints: Path) -> None:
    """Remove a checkpoint folder: the job it served has written its outputs."""
    shutil.rmtree(checkpoints, ignore_errors=True)


def fit(
    model,
    xa,
    ca,
    xb,
    cb,
    *,
    train: Train,
    seed: int,
    checkpoints: Path,
    stage: str,
    identity: dict | None = None,
) -> pd.DataFrame:
    """Train the compiled ``model`` on domains (xa, ca) and (xb, cb) (scaled) for
    ``train.epochs``; return the loss table (per epoch, the mean of every loss term). Resumes
    from the newest checkpoint in ``checkpoints`` only where it was written from the same
    data, seed, ``train`` settings and ``identity`` (what else defines the model, e.g. stage
    2's geometry); other checkpoints are removed and training starts from epoch 0, the log
    saying why."""
    import tensorflow as tf

    if not model.compiled:
        raise ValueError(f"{stage}: compile the model with its optimizers before training")
    epochs, every = train.epochs, train.checkpoint_every
    batch = min(train.batch_size, len(xa), len(xb))
    steps = math.ceil(max(len(xa), len(xb)) / batch)
    model.build(ca, cb)
    checkpoints = Path(checkpoints)
    key = resume_key(stage, seed, train, (xa, ca, xb, cb), identity)
    if reason := stale_reason(checkpoints, key, epochs):
        log.warning(
            "%s: not resuming from the checkpoints in %s: %s; training from epoch 0", stage, checkpoints, reason
        )
        discard_checkpoints(checkpoints)
    checkpoints.mkdir(parents=True, exist_ok=True)
    epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
    ckpt = tf.train.Checkpoint(
        model=model, g_optimizer=model.g_optimizer, d_optimizer=model.d_optimizer, epoch=epoch_var
    )
    manager = tf.train.CheckpointManager(ckpt, str(checkpoints), max_to_keep=2)
    history: list[pd.DataFrame] = []
    start = 0
    if manager.latest_checkpoint:
        try:
            ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError) as exc:
            raise TrainingError(
                f"{stage}: checkpoint {manager.latest_checkpoint} cannot be restored ({type(exc).__name__}); "
                f"delete {checkpoints} to train from epoch 0"
            ) from exc
        start = int(epoch_var.numpy())
        history.append(read_table(checkpoints / f"losses-{start}.parquet", LOSSES))
        log.info("%s: resuming from epoch %d (checkpoint %s)", stage, start, manager.latest_checkpoint)
    else:
        write_json(key, checkpoints / RESUME_FILE)
    data = [tf.constant(np.asarray(a)) for a in (xa, ca, xb, cb)]
    rows = tf.TensorSpec([None, steps, batch], tf.int32)
    run = tf.function(
        lambda ia, ib, first: run_epochs(model, data, seed, ia, ib, first),
        input_signature=[rows, rows, tf.TensorSpec([], tf.int64)],
    )
    progress = _Progress(stage, epochs, start)
    epoch = start
    while epoch < epochs:
        stop = min(epochs, _next_multiple(epoch, every), _next_multiple(epoch, progress.every))
        ia, ib = batch_indices(seed, range(epoch, stop), len(xa), len(xb), steps, batch)
        shape = (stop - epoch, steps, batch)
        values = run(ia.reshape(shape), ib.reshape(shape), tf.constant(epoch, tf.int64)).numpy()  # [epochs, terms]
        bad = np.argwhere(~np.isfinite(values))
        if len(bad):
            row, term = bad[0]
            kept = manager.latest_checkpoint or "none"
            raise TrainingError(
                f"{stage}: loss {model.loss_terms[term]} became {values[row, term]} at epoch "
                f"{epoch + row}; training stopped, last good checkpoint kept: {kept}"
            )
        history.append(_loss_rows(stage, values, model.loss_terms, epoch, steps))
        progress.update(stop, dict(zip(model.loss_terms, values[-1].tolist())))
        epoch = stop
        if epoch % every == 0 or epoch == epochs:
            epoch_var.assign(epoch)
            write_table(pd.concat(history, ignore_index=True), checkpoints / f"losses-{epoch}.parquet", LOSSES)
            manager.save(checkpoint_number=epoch)
            _prune_losses(checkpoints, manager)
    progress.close()
    table = pd.concat(history, ignore_index=True) if history else pd.DataFrame(columns=LOSSES.names)
    return table.astype({"epoch": "int32", "step": "int64"})


def run_epochs(model, data, seed: int, ia, ib, first_epoch):
    """Epochs of training steps on the index rows ``ia``, ``ib`` ([epochs, steps, batch]) in
    one graph loop, numbered from ``first_epoch``; returns the epoch means of the loss terms
    (the model's metrics) ``[epochs, len(model.loss_terms)]``."""
    import tensorflow as tf

    xa, ca, xb, cb = data
    epochs, steps = tf.shape(ia)[0], tf.shape(ia)[1]
    values = tf.TensorArray(tf.float32, size=epochs)
    for e in tf.range(epochs):
        model.reset_metrics()
        for s in tf.range(steps):
            step = (first_epoch + tf.cast(e, tf.int64)) * tf.cast(steps, tf.int64) + tf.cast(s, tf.int64)
            rows_a, rows_b = ia[e, s], ib[e, s]
            batch = (tf.gather(xa, rows_a), tf.gather(ca, rows_a), tf.gather(xb, rows_b), tf.gather(cb, rows_b))
            model.record(model.train_step((*batch, tf.stack([tf.constant(seed, tf.int64), step]))))
        values = values.write(e, tf.stack([tf.cast(m.result(), tf.float32) for m in model.metrics]))
    return values.stack()


def batch_indices(
    seed: int, epochs: range, n_a: int, n_b: int, steps: int, batch: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``[len(epochs) * steps, batch]`` of each step: a permutation per domain drawn
    from ``(seed, epoch)``, cycled to fill the last batch."""
    rows_a, rows_b = [], []
    for epoch in epochs:
        rng = np.random.default_rng([seed, epoch])
        rows_a.append(np.resize(rng.permutation(n_a), steps * batch).reshape(steps, batch))
        rows_b.append(np.resize(rng.permutation(n_b), steps * batch).reshape(steps, batch))
    return np.concatenate(rows_a).astype(np.int32), np.concatenate(rows_b).astype(np.int32)


def _next_multiple(value: int, every: int) -> int:
    return (value // every + 1) * every


def _loss_rows(stage: str, values: np.ndarray, terms: tuple, first_epoch: int, steps: int) -> pd.DataFrame:
    """Long loss table (stage, epoch, step, term, value) of a chunk of epochs: per epoch the
    mean of each term, and in ``step`` the steps trained by the end of that epoch."""
    n, k = values.shape
    epoch = first_epoch + np.repeat(np.arange(n), k)
    return pd.DataFrame(
        {
            "stage": stage,
            "epoch": epoch.astype(np.int32),
            "step": ((epoch + 1) * steps).astype(np.int64),
            "term": np.tile(np.array(terms, dtype=object), n),
            "value": values.reshape(-1).astype(np.float64),
        }
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


def save_model(model, folder: Path, *, kind: str, train: Train, extra: dict | None = None) -> None:
    """Weights (``weights.weights.h5``) and ``model.json`` (kind, scale, the ``train`` settings
    as ``options``, and ``extra``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "weights.weights.h5") as tmp:
        path = tmp.with_name(tmp.name + ".weights.h5")
        model.save_weights(path)
        os.replace(path, tmp)
    write_json({"kind": kind, "scale": model.scale, "options": train.as_dict(), **(extra or {})}, folder / "model.json")


def load_model(model_json: Path, weights: Path, counts_a: np.ndarray, counts_b: np.ndarray):
    """Rebuild a model saved by :func:`save_model` from its ``model.json`` and weights."""
    from crystalgan.gan.models import cross_domain_gan, noise_gan

    meta = json.loads(Path(model_json).read_text())
    train = Train.of(meta["options"])  # the schema's defaults for options added since
    if meta["kind"] == "gan":
        model = noise_gan(train, meta["scale"])
    else:
        model = cross_domain_gan(train, meta["scale"], swap=meta["kind"] == "stage1")
    model.build(counts_a, counts_b)
    model.load_weights(str(weights))
    return model, meta


def run_metadata(meta: Path | None, method: str, seed: int) -> dict | None:
    """The run (:data:`~crystalgan.core.artifacts.RUN_FIELDS`) a losses table belongs to:
    ``method`` (``stage1`` for stage 1) and ``seed``, the system and metals from the
    encoding's ``meta`` (meta.json); None without one."""
    if meta is None:
        return None
    info = read_json(meta)
    run = {"system": info["system"], "method": method, "seed": seed, "A": info["A"], "B": info["B"]}
    return {key: run[key] for key in RUN_FIELDS}
