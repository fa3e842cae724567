"""Training-set augmentation: moves of a structure's tensor that leave its crystal unchanged."""

from __future__ import annotations

import tensorflow as tf

from crystalgan.core.artifacts import MAX_ATOMS, N_SLOTS
from crystalgan.gan.geometry import inverse
from crystalgan.gan.networks import row_mask


def augment(x: tf.Tensor, counts: tf.Tensor, kinds: tuple[str, ...], seed: tf.Tensor) -> tf.Tensor:
    """Structures ``[B, 4, 18, 3]`` (Cartesian, lattice rows first) moved by ``kinds``, each
    drawn per structure from ``seed``: translate (every atom by one random fraction of the
    cell, wrapped back into it), rotate (lattice and atoms by one random rotation), permute
    (the real rows of each species in a random order). None changes the crystal."""
    mask = row_mask(counts)[..., None]
    batch = tf.shape(x)[0]
    if "translate" in kinds:
        lattice = x[:, 0, :3]
        shift = tf.random.stateless_uniform((batch, 1, 1, 3), seed=seed + [11, 0])
        frac = tf.einsum("bsrk,bkl->bsrl", x[:, 1:], inverse(lattice)) + shift
        atoms = tf.einsum("bsrk,bkl->bsrl", frac - tf.floor(frac), lattice)
        x = tf.concat([x[:, :1], atoms], axis=1) * mask
    if "rotate" in kinds:
        q, r = tf.linalg.qr(tf.random.stateless_normal((batch, 3, 3), seed=seed + [12, 0]))
        q = q * tf.sign(tf.linalg.diag_part(r))[:, None, :]  # uniform over O(3)
        q = q * tf.concat([tf.sign(tf.linalg.det(q))[:, None], tf.ones((batch, 2))], 1)[:, None, :]  # SO(3)
        x = tf.einsum("bsrk,bkl->bsrl", x, q)
    if "permute" in kinds:
        rows = tf.range(MAX_ATOMS, dtype=tf.float32)[None, None, :]
        keys = tf.random.stateless_uniform((batch, N_SLOTS - 1, MAX_ATOMS), seed=seed + [13, 0])
        keys = tf.where(mask[:, 1:, :, 0] > 0, keys, 2.0 + rows)  # padding stays last, in order
        order = tf.argsort(keys, axis=-1)
        x = tf.concat([x[:, :1], tf.gather(x[:, 1:], order, axis=2, batch_dims=2)], axis=1)
    return x
