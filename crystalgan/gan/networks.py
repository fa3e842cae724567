"""CrystalGAN's networks (Keras 3 on TensorFlow) and the masks they share.

A structure is the tensor ``[4, 18, 3]`` (lattice, H, A, B) divided by a data scale, with
an atom mask from its counts. Generators and discriminators are MLPs over the whole
flattened structure plus the mask, so they can relate atoms to each other; padded rows are
zeroed in every output (and masked in every loss, :mod:`crystalgan.gan.losses`).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from crystalgan.core.artifacts import A_SLOT, B_SLOT, H_SLOT, LATTICE_SLOT, MAX_ATOMS, N_SLOTS, STRUCTURE_SHAPE

FLAT = int(np.prod(STRUCTURE_SHAPE))
MASK_ROWS = N_SLOTS * MAX_ATOMS
SWAP_SLOTS = [LATTICE_SLOT, H_SLOT, B_SLOT, A_SLOT]  # a structure with its metal slots exchanged
SWAP_COUNTS = [H_SLOT - 1, B_SLOT - 1, A_SLOT - 1]  # counts (n_H, n_A, n_B) likewise


# ---------------------------------------------------------------- masks and shapes


def row_mask(counts: tf.Tensor) -> tf.Tensor:
    """``[B, 4, 18]`` float mask: the 3 lattice rows and the real atom rows."""
    counts = tf.cast(counts, tf.int32)
    rows = tf.range(MAX_ATOMS)[None, None, :]
    lattice = tf.broadcast_to(tf.cast(rows[:, 0] < 3, tf.float32), (tf.shape(counts)[0], MAX_ATOMS))[:, None, :]
    atoms = tf.cast(rows < counts[:, :, None], tf.float32)
    return tf.concat([lattice, atoms], axis=1)


def swap_metals(x: tf.Tensor) -> tf.Tensor:
    """Exchange the A and B slots (axis 1 for tensors ``[B, 4, ...]``, last axis for counts ``[B, 3]``)."""
    if x.shape[-1] == 3 and len(x.shape) == 2:
        return tf.gather(x, SWAP_COUNTS, axis=1)
    return tf.gather(x, SWAP_SLOTS, axis=1)


# ---------------------------------------------------------------- networks


def mlp(out_dim: int, layers: int, units: int, name: str) -> keras.Sequential:
    return keras.Sequential(
        [keras.layers.Dense(units, activation="relu") for _ in range(layers)] + [keras.layers.Dense(out_dim)],
        name=name,
    )


class Generator(keras.Model):
    """Structure -> structure MLP. Residual: predicts a displacement of its (slot-mapped) input."""

    def __init__(self, layers: int, units: int, residual: bool, swap: bool, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(FLAT, layers, units, f"{self.name}_mlp")
        self.residual = residual
        self.swap = swap

    def call(self, x, counts):
        out_counts = swap_metals(counts) if self.swap else counts
        base = swap_metals(x) if self.swap else x
        mask = row_mask(out_counts)
        h = tf.concat([tf.reshape(x, (-1, FLAT)), tf.reshape(row_mask(counts), (-1, MASK_ROWS))], axis=-1)
        y = tf.reshape(self.net(h), (-1, *STRUCTURE_SHAPE))
        if self.residual:
            y = base + y
        return y * mask[..., None], out_counts


class NoiseGenerator(keras.Model):
    """Gaussian noise and atom counts -> structure (the plain GAN baseline)."""

    def __init__(self, layers: int, units: int, latent: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.latent = latent
        self.net = mlp(FLAT, layers, units, f"{self.name}_mlp")

    def call(self, z, counts):
        mask = row_mask(counts)
        h = tf.concat([z, tf.reshape(mask, (-1, MASK_ROWS))], axis=-1)
        return tf.reshape(self.net(h), (-1, *STRUCTURE_SHAPE)) * mask[..., None], counts


class Discriminator(keras.Model):
    """Structure and mask -> one logit per structure."""

    def __init__(self, layers: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.net = mlp(1, layers, units, f"{self.name}_mlp")

    def call(self, x, counts):
        h = tf.concat([tf.reshape(x, (-1, FLAT)), tf.reshape(row_mask(counts), (-1, MASK_ROWS))], axis=-1)
        return self.net(h)[:, 0]
