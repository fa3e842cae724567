"""Stage 2: the models of the stage-2 methods of the registry (:mod:`crystalgan.methods`),
trained on the ternary sets AHB_g and BHA_g: the cross-domain GAN with or without the
geometric loss, or the noise-input GAN."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from crystalgan.core.artifacts import LOSSES, cpu_seconds, read_json, read_structures, write_table
from crystalgan.errors import InputError
from crystalgan.gan.models import GeometricLoss, adam_pair, cross_domain_gan, data_scale, noise_gan
from crystalgan.gan.train import configure_runtime, discard_checkpoints, fit, run_metadata, save_model
from crystalgan.methods import method as registered
from crystalgan.settings import Geometry, Train

log = logging.getLogger(__name__)

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def train_stage2(
    ahb: Domain,
    bha: Domain,
    *,
    out: Path,
    checkpoints: Path,
    method: str,
    train: Train,
    geometry: Geometry,
    seed: int,
    threads: int,
    curated: tuple[Path, Path] | None = None,
    meta: Path | None = None,
) -> None:
    """Train ``method`` on the stage-2 sets ``ahb`` and ``bha``; write weights and losses to
    ``out``, then remove the ``checkpoints``. The ``curated`` binaries and the encoding's
    ``meta`` give the element-aware windows and the atomic radii where ``geometry`` asks for
    them; with ``meta``, the losses table carries its run (system, metals, method, seed) in its
    metadata."""
    spec = registered(method)
    if not spec.trains_stage2:
        raise InputError(f"method {method!r} trains no stage-2 model")
    configure_runtime(threads, seed)
    xa, ca = read_structures(*ahb)
    xb, cb = read_structures(*bha)
    if len(xa) == 0 or len(xb) == 0:
        raise InputError(f"{ahb[0]}, {bha[0]}: empty stage-2 training set (AHB_g {len(xa)}, BHA_g {len(xb)})")
    scale = data_scale(xa, xb, counts=(ca, cb))
    if not spec.geometric:
        train = train.replace(lambdas=dataclasses.replace(train.lambdas, l5=0.0, l6=0.0))
    loss = resolve_geometry(geometry, curated, meta) if spec.geometric else None
    if spec.network == "noise":
        model = noise_gan(train, scale)
    else:
        model = cross_domain_gan(train, scale, swap=False, geometry=loss)
    model.compile(**adam_pair(train))
    log.info("stage 2 (%s): %d AHB_g and %d BHA_g structures, scale %.3f A", method, len(xa), len(xb), scale)
    identity = {"method": method, "geometry": loss.as_dict() if loss is not None else {}}
    stage = f"stage2-{method}"
    losses = fit(
        model,
        xa / scale,
        ca,
        xb / scale,
        cb,
        train=train,
        seed=seed,
        checkpoints=Path(checkpoints),
        stage=stage,
        identity=identity,
    )
    kind = "gan" if spec.network == "noise" else "stage2"
    save_model(model, Path(out), kind=kind, train=train, extra=identity)
    run = run_metadata(meta, method, seed)
    write_table(losses, Path(out) / "losses.parquet", LOSSES, run=run, cpu={"stage2": cpu_seconds()})
    discard_checkpoints(Path(checkpoints))


def resolve_geometry(geometry: Geometry, curated: tuple[Path, Path] | None, meta: Path | None) -> GeometricLoss:
    """The geometric loss of the ``geometry`` settings, with what it needs from the data:
    ``windows`` ([4, 2], HH, AA, BB, AB) of the training binaries for ``target: data`` (a pair
    kind they lack keeps [d1, d2]) and ``radii`` (H, A, B; pymatgen's atomic radii, A) for the
    distance loss."""
    from pymatgen.core import Element

    from crystalgan.evaluation.filter import binary_structures, element_windows

    uses_distance = bool(geometry.distance.inter or geometry.distance.intra)
    if geometry.target == "fixed" and not uses_distance:
        return GeometricLoss(settings=geometry)
    if curated is None or meta is None:
        raise InputError("geometry: target 'data' and the distance loss need the curated binaries and meta.json")
    info = read_json(meta)
    windows = radii = None
    if geometry.target == "data":
        found = element_windows(binary_structures(list(curated)), info["A"], info["B"])
        fixed = np.broadcast_to([geometry.d1, geometry.d2], found.shape)
        windows = tuple(map(tuple, np.where(np.isfinite(found), found, fixed).tolist()))
    if uses_distance:
        radii = tuple(float(Element(e).atomic_radius) for e in ("H", info["A"], info["B"]))
        log.info("distance loss: atomic radii (A) H, %s, %s = %s", info["A"], info["B"], list(radii))
    return GeometricLoss(settings=geometry, windows=windows, radii=radii)
