"""CrystalGAN's loss terms, pure functions of logits and structures (TensorFlow): the
adversarial ones (binary cross-entropy or Wasserstein with gradient penalty), the cycle
reconstruction and PGCGM's cell loss. The geometric losses are in :mod:`crystalgan.gan.geometry`."""

from __future__ import annotations

import keras
import tensorflow as tf

_bce = keras.losses.BinaryCrossentropy(from_logits=True)


def adversarial_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Generator's L_GAN = -E log D(G(x))."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy: real structures are 1, generated ones 0."""
    return _bce(tf.ones_like(real_logits), real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


def critic_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Wasserstein critic loss E D(fake) - E D(real) (WGAN; the critic has no sigmoid)."""
    return tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)


def critic_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Wasserstein generator loss -E D(G(x))."""
    return -tf.reduce_mean(fake_logits)


def gradient_penalty(critic, real: tf.Tensor, fake: tf.Tensor, counts: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """WGAN-GP's E (|grad D(x_mix)| - 1)^2 on random mixtures of ``real`` and ``fake``
    structures (``counts``: the fakes'), mixing weights drawn from ``seed``."""
    eps = tf.random.stateless_uniform((tf.shape(real)[0], 1, 1, 1), seed=seed)
    mixed = eps * real + (1.0 - eps) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        logits = critic(mixed, counts)
    grad = tape.gradient(logits, mixed)
    norm = tf.sqrt(tf.reduce_sum(tf.square(grad), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean(tf.square(norm - 1.0))


def cosine_distance(u: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
    """1 - cosine similarity of two tensors flattened."""
    u, v = tf.reshape(u, [-1]), tf.reshape(v, [-1])
    return 1.0 - tf.reduce_sum(u * v) / tf.maximum(tf.norm(u) * tf.norm(v), 1e-12)


def box_loss(real: tf.Tensor, fake: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """PGCGM's cell loss of a minibatch: cosine distance between the real and generated cell
    volumes, and between their lengths a, b, c (structures ``[B, 4, 18, 3]``, equal batches)."""
    lat_r, lat_f = real[:, 0, :3], fake[:, 0, :3]
    vol_r = tf.abs(tf.linalg.det(lat_r))
    vol_f = tf.abs(tf.linalg.det(lat_f))
    return cosine_distance(vol_r, vol_f), cosine_distance(tf.norm(lat_r, axis=-1), tf.norm(lat_f, axis=-1))


def reconstruction_loss(x: tf.Tensor, x_rec: tf.Tensor, mask: tf.Tensor, kind: str = "l1") -> tf.Tensor:
    """Cycle loss L_R: mean L1 (or L2) distance over the real rows of two structures."""
    err = tf.abs(x - x_rec) if kind == "l1" else tf.square(x - x_rec)
    per_row = tf.reduce_sum(err, -1) * mask
    return tf.reduce_sum(per_row) / tf.maximum(tf.reduce_sum(mask) * 3.0, 1.0)
