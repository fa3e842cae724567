"""CrystalGAN's GAN models (Keras 3 on TensorFlow), as in the Keras CycleGAN example: each
model is given its networks (:mod:`crystalgan.gan.networks`) and loss weights and computes its
loss terms (:mod:`crystalgan.gan.losses`) in ``train_step``; :func:`cross_domain_gan` and
:func:`noise_gan` build one, networks included, from the ``train`` settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from crystalgan.core.artifacts import STRUCTURE_SHAPE
from crystalgan.gan.augment import augment
from crystalgan.gan.geometry import distance_loss, pair_squares, window_loss
from crystalgan.gan.losses import (
    adversarial_loss,
    box_loss,
    critic_generator_loss,
    critic_loss,
    discriminator_loss,
    gradient_penalty,
    reconstruction_loss,
)
from crystalgan.gan.networks import Discriminator, Generator, NoiseGenerator, row_mask
from crystalgan.settings import Geometry, Lambdas, Train, json_ready


@dataclass(frozen=True, kw_only=True)
class GeometricLoss:
    """Stage 2's geometric loss: the ``geometry`` settings, and what they need from the data
    (:func:`crystalgan.gan.stage2.resolve_geometry`): the ``windows`` of target ``data`` and
    the atomic ``radii`` of the distance loss (None where not asked for)."""

    settings: Geometry
    windows: tuple[tuple[float, float], ...] | None = None  # [4, 2]: H-H, A-A, B-B, A-B (A)
    radii: tuple[float, float, float] | None = None  # H, A, B (A)

    def as_dict(self) -> dict:
        """The settings with ``windows`` and ``radii``, as plain JSON values (model.json, resume key)."""
        return {**self.settings.as_dict(), "windows": json_ready(self.windows), "radii": json_ready(self.radii)}


# ---------------------------------------------------------------- GAN models


def _noisy(x, counts, std, seed):
    """x plus masked Gaussian noise of ``std`` (stateless, from ``seed``)."""
    if std <= 0:
        return x
    noise = tf.random.stateless_normal(tf.shape(x), seed=seed, stddev=std)
    return x + noise * row_mask(counts)[..., None]


class _GAN(keras.Model):
    """Two-player training as in the Keras CycleGAN example: generator and discriminator
    optimizers given to :meth:`compile`, ``train_step`` returning the step's loss terms, and
    every loss term a ``keras.metrics.Mean`` (:attr:`metrics`) that the training loop feeds
    with :meth:`record`. (Updated inside ``train_step``, the metrics change how TensorFlow
    arranges the step's ops: the noise GAN's weights then differ in the last bit from the
    same training without them, and the logged sums vary by one ulp from run to run.)"""

    loss_terms: tuple[str, ...] = ()  # train_step's metrics, in logging order

    def __init__(
        self, *, adversarial: str, gradient_penalty: float, critic_steps: int, augment: tuple[str, ...], **kwargs
    ):
        """``adversarial``: ``bce`` or ``wgan-gp`` (critic loss plus ``gradient_penalty`` times
        the penalty); ``critic_steps`` discriminator updates per step; ``augment``: the kinds of
        :func:`~crystalgan.gan.augment.augment` applied to every training batch."""
        super().__init__(**kwargs)
        self.trackers = [keras.metrics.Mean(name=term) for term in self.loss_terms]
        self.wasserstein = adversarial == "wgan-gp"
        self.penalty = gradient_penalty
        self.critic_steps = critic_steps
        self.augmentations = tuple(augment)

    def generator_adversarial(self, fake_logits: tf.Tensor) -> tf.Tensor:
        """The generator's adversarial term: L_GAN, or the Wasserstein one with ``wgan-gp``."""
        return critic_generator_loss(fake_logits) if self.wasserstein else adversarial_loss(fake_logits)

    def critic(self, d, real, real_counts, fake, fake_counts, seed) -> tf.Tensor:
        """The discriminator ``d``'s loss: binary cross-entropy, or with ``wgan-gp`` the critic
        loss plus the gradient penalty (weight ``gradient_penalty``)."""
        real_logits, fake_logits = d(real, real_counts), d(fake, fake_counts)
        if not self.wasserstein:
            return discriminator_loss(real_logits, fake_logits)
        return critic_loss(real_logits, fake_logits) + self.penalty * gradient_penalty(d, real, fake, fake_counts, seed)

    def augmented(self, x, counts, seed):
        """``x`` with the training ``augment`` kinds applied (:func:`augment`), drawn from ``seed``."""
        return augment(x, counts, self.augmentations, seed) if self.augmentations else x

    def compile(self, g_optimizer: keras.optimizers.Optimizer, d_optimizer: keras.optimizers.Optimizer, **kwargs):
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        return self.trackers

    def record(self, terms: dict) -> None:
        """Add one training step's loss ``terms`` to the loss-term metrics."""
        values = tf.stack([tf.cast(terms[tracker.name], tf.float32) for tracker in self.trackers])
        for k, tracker in enumerate(self.trackers):
            tracker.update_state(values[k])

    def _build_optimizers(self, generator_weights, discriminator_weights) -> None:
        """Create the optimizer slots (for a model that trains), so a checkpoint restores them."""
        if self.compiled:
            self.g_optimizer.build(generator_weights)
            self.d_optimizer.build(discriminator_weights)


def adam_pair(train: Train) -> dict:
    """Generator and discriminator optimizers of the ``train`` settings, for :meth:`_GAN.compile`."""
    settings = dict(learning_rate=train.learning_rate, beta_1=train.beta1)
    return {"g_optimizer": keras.optimizers.Adam(**settings), "d_optimizer": keras.optimizers.Adam(**settings)}


class CrossDomainGAN(_GAN):
    """Two generators A->B, B->A and two discriminators; the CrystalGAN stage 1 or stage 2.

    Stage 1 (generators with ``swap``): binary A-H <-> B-H, the metal moves from slot A to slot B.
    Stage 2 (without): ternary AHB_g <-> BHA_g, plus the geometric loss (l5, l6).
    Calling the model on ``(xa, ca, xb, cb)`` runs both cycles; ``train_step`` takes
    ``(xa, ca, xb, cb, seed)``, x in units of ``scale``.

    ``generators`` (G_AB, G_BA) and ``discriminators`` (D_A, D_B) are the networks;
    ``lambdas`` the loss weights (l1-l4 adversarial and cycle, l5, l6 geometric, volume and
    abc PGCGM's cell loss); ``reconstruction`` the cycle distance (``l1`` or ``l2``);
    ``generator_steps`` generator updates per step; ``input_noise`` the std of the noise added
    to the generators' inputs (units of ``scale``); ``geometry`` the geometric loss (stage 2)
    or None. :func:`cross_domain_gan` builds one from the ``train`` settings.
    """

    def __init__(
        self,
        generators: tuple[Generator, Generator],
        discriminators: tuple[Discriminator, Discriminator],
        *,
        lambdas: Lambdas,
        scale: float,
        reconstruction: str,
        generator_steps: int,
        input_noise: float,
        geometry: GeometricLoss | None = None,
        **kwargs,
    ):
        self.windows = None if geometry is None or geometry.windows is None else np.array(geometry.windows)
        # radii set: the distance loss is on
        self.radii = None if geometry is None or geometry.radii is None else np.array(geometry.radii)
        geo = ("L_geo1", "L_geo2") if geometry is not None else ()
        geo += ("L_dist_inter", "L_dist_intra") if self.radii is not None else ()
        box = ("L_volume", "L_abc") if lambdas.volume or lambdas.abc else ()
        self.loss_terms = ("L_GAN_B", "L_R_A", "L_GAN_A", "L_R_B") + geo + box + ("L_G", "L_D")
        super().__init__(**kwargs)
        self.g_ab, self.g_ba = generators
        self.d_a, self.d_b = discriminators
        self.lambdas = lambdas
        self.kind = reconstruction
        self.generator_steps = generator_steps
        self.input_noise = input_noise
        self.scale = float(scale)
        self.geometry = geometry

    def build(self, counts_a, counts_b) -> None:
        """Create every weight (and optimizer slot) from the atom counts of the two domains;
        also fixes the atom rows the geometric loss looks at: the largest count per species."""
        self.rows = tuple(int(n) for n in np.maximum(np.max(counts_a, 0), np.max(counts_b, 0)))
        xa = tf.zeros((1, *STRUCTURE_SHAPE))
        ca, cb = tf.constant(counts_a[:1]), tf.constant(counts_b[:1])
        fb, cfb = self.g_ab(xa, ca)
        self.g_ba(fb, cfb)
        self.d_a(xa, ca)
        self.d_b(xa, cb)
        self._build_optimizers(self.generator_weights, self.discriminator_weights)

    @property
    def generator_weights(self):
        return self.g_ab.trainable_weights + self.g_ba.trainable_weights

    @property
    def discriminator_weights(self):
        return self.d_a.trainable_weights + self.d_b.trainable_weights

    def call(self, inputs):
        """Both cycles: ``(fake_b, counts, rec_a, fake_a, counts, rec_b)`` of ``(xa, ca, xb, cb)``."""
        xa, ca, xb, cb = inputs
        fake_b, cfb = self.g_ab(xa, ca)
        rec_a, _ = self.g_ba(fake_b, cfb)
        fake_a, cfa = self.g_ba(xb, cb)
        rec_b, _ = self.g_ab(fake_a, cfa)
        return fake_b, cfb, rec_a, fake_a, cfa, rec_b

    def _generator_losses(self, xa, ca, xb, cb):
        fake_b, cfb, rec_a, fake_a, cfa, rec_b = self.call((xa, ca, xb, cb))
        lam = self.lambdas
        terms = {
            "L_GAN_B": self.generator_adversarial(self.d_b(fake_b, cfb)),
            "L_R_A": reconstruction_loss(xa, rec_a, row_mask(ca), self.kind),
            "L_GAN_A": self.generator_adversarial(self.d_a(fake_a, cfa)),
            "L_R_B": reconstruction_loss(xb, rec_b, row_mask(cb), self.kind),
        }
        total = lam.l1 * terms["L_GAN_B"] + lam.l2 * terms["L_R_A"]
        total += lam.l3 * terms["L_GAN_A"] + lam.l4 * terms["L_R_B"]
        if self.geometry is not None:
            total += self._geometry_losses(tf.concat([fake_b, fake_a], 0) * self.scale, tf.concat([cfb, cfa], 0), terms)
        if "L_volume" in self.loss_terms:
            vol_b, abc_b = box_loss(xb, fake_b)
            vol_a, abc_a = box_loss(xa, fake_a)
            terms["L_volume"], terms["L_abc"] = (vol_a + vol_b) / 2, (abc_a + abc_b) / 2
            total += lam.volume * terms["L_volume"] + lam.abc * terms["L_abc"]
        terms["L_G"] = total
        return terms

    def _geometry_losses(self, fakes, counts, terms: dict) -> tf.Tensor:
        """Add the geometric terms of generated structures ``fakes`` (in A) to ``terms``; return
        their weighted sum: the window loss (l5, l6) and PGCGM's distance loss."""
        g, lam = self.geometry.settings, self.lambdas
        square, mask, bad = pair_squares(fakes, counts, self.rows)
        geo1, geo2 = window_loss(square, mask, bad, g.d1, g.d2, g.form, self.rows, self.windows)
        terms["L_geo1"], terms["L_geo2"] = tf.reduce_mean(geo1), tf.reduce_mean(geo2)
        total = lam.l5 * terms["L_geo1"] + lam.l6 * terms["L_geo2"]
        if self.radii is not None:
            dist = g.distance
            inter, intra = distance_loss(square, self.radii, dist.offset, self.rows)
            terms["L_dist_inter"], terms["L_dist_intra"] = tf.reduce_mean(inter), tf.reduce_mean(intra)
            total += dist.inter * terms["L_dist_inter"] + dist.intra * terms["L_dist_intra"]
        return total

    def train_step(self, data):
        xa, ca, xb, cb, seed = data
        xa = self.augmented(xa, ca, seed + [20, 0])
        xb = self.augmented(xb, cb, seed + [21, 0])
        xa_in = _noisy(xa, ca, self.input_noise, seed)
        xb_in = _noisy(xb, cb, self.input_noise, seed + 1)
        fake_b, cfb, _, fake_a, cfa, _ = self.call((xa_in, ca, xb_in, cb))
        for k in range(self.critic_steps):
            with tf.GradientTape() as tape:
                loss_d = self.critic(self.d_a, xa, ca, fake_a, cfa, seed + [30 + 2 * k, 0])
                loss_d += self.critic(self.d_b, xb, cb, fake_b, cfb, seed + [31 + 2 * k, 0])
            grads = tape.gradient(loss_d, self.discriminator_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator_weights))
        for _ in range(self.generator_steps):
            with tf.GradientTape() as tape:
                terms = self._generator_losses(xa_in, ca, xb_in, cb)
            grads = tape.gradient(terms["L_G"], self.generator_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator_weights))
        terms["L_D"] = loss_d
        return terms


class NoiseGAN(_GAN):
    """Plain GAN baseline: a ``generator`` from Gaussian noise (conditioned on atom counts)
    against a ``discriminator``; :func:`noise_gan` builds one from the ``train`` settings."""

    loss_terms = ("L_G", "L_D")

    def __init__(self, generator: NoiseGenerator, discriminator: Discriminator, *, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.g = generator
        self.d = discriminator
        self.scale = float(scale)

    def build(self, counts_a, counts_b) -> None:
        """Create every weight (and optimizer slot) from the atom counts."""
        c = tf.constant(counts_a[:1])
        x, _ = self.g(tf.zeros((1, self.g.latent)), c)
        self.d(x, c)
        self._build_optimizers(self.g.trainable_weights, self.d.trainable_weights)

    def call(self, inputs):
        """Structures with ``counts`` from latents drawn from ``seed``: ``(counts, seed)``."""
        counts, seed = inputs
        return self.sample(counts, seed)

    def sample(self, counts, seed):
        z = tf.random.stateless_normal((tf.shape(counts)[0], self.g.latent), seed=seed)
        return self.g(z, counts)

    def train_step(self, data):
        xa, ca, xb, cb, seed = data
        x, counts = tf.concat([xa, xb], 0), tf.concat([ca, cb], 0)
        x = self.augmented(x, counts, seed + [20, 0])
        fake, _ = self.sample(counts, seed)
        for k in range(self.critic_steps):
            with tf.GradientTape() as tape:
                loss_d = self.critic(self.d, x, counts, fake, counts, seed + [30 + k, 0])
            grads = tape.gradient(loss_d, self.d.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.d.trainable_weights))
        with tf.GradientTape() as tape:
            fake, _ = self.sample(counts, seed + 1)
            loss_g = self.generator_adversarial(self.d(fake, counts))
        grads = tape.gradient(loss_g, self.g.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.g.trainable_weights))
        return {"L_G": loss_g, "L_D": loss_d}


def _adversary(train: Train) -> dict:
    """The :class:`_GAN` arguments of the ``train`` settings."""
    return dict(
        adversarial=train.adversarial,
        gradient_penalty=train.gradient_penalty,
        critic_steps=train.critic_steps,
        augment=train.augment,
    )


def cross_domain_gan(
    train: Train, scale: float, *, swap: bool, geometry: GeometricLoss | None = None
) -> CrossDomainGAN:
    """The cross-domain GAN of the ``train`` settings, its networks MLPs of ``hidden_layers``
    x ``hidden_units``: stage 1 with ``swap`` (the generators move the metal between the A
    and B slots), stage 2 without, with the ``geometry`` loss where given."""
    layers, units = train.hidden_layers, train.hidden_units
    generators = tuple(Generator(layers, units, train.residual, swap, name=name) for name in ("G_AB", "G_BA"))
    discriminators = tuple(Discriminator(layers, units, name=name) for name in ("D_A", "D_B"))
    return CrossDomainGAN(
        generators,
        discriminators,
        lambdas=train.lambdas,
        scale=scale,
        reconstruction=train.reconstruction,
        generator_steps=train.generator_steps,
        input_noise=train.input_noise,
        geometry=geometry,
        **_adversary(train),
    )


def noise_gan(train: Train, scale: float) -> NoiseGAN:
    """The noise-input GAN of the ``train`` settings."""
    layers, units = train.hidden_layers, train.hidden_units
    generator, discriminator = NoiseGenerator(layers, units, name="G"), Discriminator(layers, units, name="D")
    return NoiseGAN(generator, discriminator, scale=scale, **_adversary(train))


def data_scale(*arrays: np.ndarray, counts: tuple[np.ndarray, ...]) -> float:
    """Root-mean-square of the real rows (lattice and atoms) of encoded domains, in A."""
    values = []
    for x, c in zip(arrays, counts):
        mask = row_mask(tf.constant(c)).numpy() > 0
        values.append(x[mask].reshape(-1))
    v = np.concatenate(values)
    return float(np.sqrt(np.mean(v**2))) or 1.0
