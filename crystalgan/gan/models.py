"""CrystalGAN networks and losses (Keras 3 on TensorFlow).

A structure is the tensor ``[4, 18, 3]`` (lattice, H, A, B) divided by a data scale, with
an atom mask from its counts. Generators and discriminators are MLPs over the whole
flattened structure plus the mask, so they can relate atoms to each other; padded rows are
zeroed in every output and masked in every loss.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from crystalgan.core.artifacts import A_SLOT, B_SLOT, H_SLOT, LATTICE_SLOT, MAX_ATOMS, N_SLOTS, STRUCTURE_SHAPE
from crystalgan.gan.geometry import distance_loss, inverse, pair_squares, window_loss

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


# ---------------------------------------------------------------- losses (pure functions)

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


# ---------------------------------------------------------------- augmentation


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

    def __init__(self, options: dict, **kwargs):
        super().__init__(**kwargs)
        self.trackers = [keras.metrics.Mean(name=term) for term in self.loss_terms]
        self.wasserstein = options["adversarial"] == "wgan-gp"
        self.penalty = options["gradient_penalty"]
        self.critic_steps = options["critic_steps"]
        self.augmentations = tuple(options["augment"])

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


def adam_pair(options: dict) -> dict:
    """Generator and discriminator optimizers of the ``train`` options, for :meth:`_GAN.compile`."""
    settings = dict(learning_rate=options["learning_rate"], beta_1=options["beta1"])
    return {"g_optimizer": keras.optimizers.Adam(**settings), "d_optimizer": keras.optimizers.Adam(**settings)}


class CrossDomainGAN(_GAN):
    """Two generators A->B, B->A and two discriminators; the CrystalGAN stage 1 or stage 2.

    Stage 1 (``swap=True``): binary A-H <-> B-H, the metal moves from slot A to slot B.
    Stage 2 (``swap=False``): ternary AHB_g <-> BHA_g, plus the geometric loss (l5, l6).
    Calling the model on ``(xa, ca, xb, cb)`` runs both cycles; ``train_step`` takes
    ``(xa, ca, xb, cb, seed)``, x in units of ``scale``.
    """

    def __init__(self, options: dict, scale: float, swap: bool, geometry: dict | None = None, **kwargs):
        lam, g = options["lambdas"], geometry or {}
        self.windows = None if g.get("windows") is None else np.array(g["windows"])
        self.radii = None if g.get("radii") is None else np.array(g["radii"])  # set: the distance loss is on
        geo = ("L_geo1", "L_geo2") if geometry is not None else ()
        geo += ("L_dist_inter", "L_dist_intra") if self.radii is not None else ()
        box = ("L_volume", "L_abc") if lam["volume"] or lam["abc"] else ()
        self.loss_terms = ("L_GAN_B", "L_R_A", "L_GAN_A", "L_R_B") + geo + box + ("L_G", "L_D")
        super().__init__(options, **kwargs)
        layers, units, residual = options["hidden_layers"], options["hidden_units"], options["residual"]
        self.g_ab = Generator(layers, units, residual, swap, name="G_AB")
        self.g_ba = Generator(layers, units, residual, swap, name="G_BA")
        self.d_a = Discriminator(layers, units, name="D_A")
        self.d_b = Discriminator(layers, units, name="D_B")
        self.lambdas = dict(options["lambdas"])
        self.kind = options["reconstruction"]
        self.generator_steps = options["generator_steps"]
        self.input_noise = options["input_noise"]
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
        total = lam["l1"] * terms["L_GAN_B"] + lam["l2"] * terms["L_R_A"]
        total += lam["l3"] * terms["L_GAN_A"] + lam["l4"] * terms["L_R_B"]
        if self.geometry is not None:
            total += self._geometry_losses(tf.concat([fake_b, fake_a], 0) * self.scale, tf.concat([cfb, cfa], 0), terms)
        if "L_volume" in self.loss_terms:
            vol_b, abc_b = box_loss(xb, fake_b)
            vol_a, abc_a = box_loss(xa, fake_a)
            terms["L_volume"], terms["L_abc"] = (vol_a + vol_b) / 2, (abc_a + abc_b) / 2
            total += lam["volume"] * terms["L_volume"] + lam["abc"] * terms["L_abc"]
        terms["L_G"] = total
        return terms

    def _geometry_losses(self, fakes, counts, terms: dict) -> tf.Tensor:
        """Add the geometric terms of generated structures ``fakes`` (in A) to ``terms``; return
        their weighted sum: the window loss (l5, l6) and PGCGM's distance loss."""
        g, lam = self.geometry, self.lambdas
        square, mask, bad = pair_squares(fakes, counts, self.rows)
        geo1, geo2 = window_loss(square, mask, bad, g["d1"], g["d2"], g["form"], self.rows, self.windows)
        terms["L_geo1"], terms["L_geo2"] = tf.reduce_mean(geo1), tf.reduce_mean(geo2)
        total = lam["l5"] * terms["L_geo1"] + lam["l6"] * terms["L_geo2"]
        if self.radii is not None:
            dist = g["distance"]
            inter, intra = distance_loss(square, self.radii, dist["offset"], self.rows)
            terms["L_dist_inter"], terms["L_dist_intra"] = tf.reduce_mean(inter), tf.reduce_mean(intra)
            total += dist["inter"] * terms["L_dist_inter"] + dist["intra"] * terms["L_dist_intra"]
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
    """Plain GAN baseline: a generator from Gaussian noise (conditioned on atom counts)."""

    loss_terms = ("L_G", "L_D")

    def __init__(self, options: dict, scale: float, **kwargs):
        super().__init__(options, **kwargs)
        self.g = NoiseGenerator(options["hidden_layers"], options["hidden_units"], name="G")
        self.d = Discriminator(options["hidden_layers"], options["hidden_units"], name="D")
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


def data_scale(*arrays: np.ndarray, counts: tuple[np.ndarray, ...]) -> float:
    """Root-mean-square of the real rows (lattice and atoms) of encoded domains, in A."""
    values = []
    for x, c in zip(arrays, counts):
        mask = row_mask(tf.constant(c)).numpy() > 0
        values.append(x[mask].reshape(-1))
    v = np.concatenate(values)
    return float(np.sqrt(np.mean(v**2))) or 1.0
