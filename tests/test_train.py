import copy

import numpy as np
import pytest
import tensorflow as tf

from conftest import GEOMETRY, TRAIN_OPTIONS, domain, encode_shipped
from crystalgan.core.artifacts import LOSSES, RUN_KEY, read_run, read_structures, read_table
from crystalgan.data.transfer import transfer
from crystalgan.gan.augment import augment
from crystalgan.gan.losses import box_loss, critic_loss, gradient_penalty
from crystalgan.gan.models import CrossDomainGAN, adam_pair, cross_domain_gan
from crystalgan.gan.networks import Discriminator, Generator, row_mask
from crystalgan.gan.stage1 import train_stage1
from crystalgan.gan.stage2 import train_stage2
from crystalgan.gan.train import PATH_FREE, TrainingError, fit, resume_key
from crystalgan.settings import Geometry, Train


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    return encode_shipped(tmp_path_factory.mktemp("enc"), "Pd", "Ni")


def _data(encoded):
    xa, ca = read_structures(encoded / "AH.npy")
    xb, cb = read_structures(encoded / "BH.npy")
    return xa / 4.0, ca, xb / 4.0, cb


def _stage1(encoded, out, checkpoints, options=TRAIN_OPTIONS, meta=None):
    train_stage1(
        domain(encoded, "AH"),
        domain(encoded, "BH"),
        out=out,
        checkpoints=checkpoints,
        train=Train.of(options),
        seed=0,
        threads=1,
        meta=meta,
    )


def _transfer(encoded, stage1, out):
    transfer(
        encoded / "meta.json",
        domain(encoded, "AH"),
        domain(encoded, "BH"),
        domain(stage1, "x_AHBA1"),
        domain(stage1, "y_BHAB1"),
        out,
        "split",
    )


def _stage2(transfer_dir, out, checkpoints, method, options=TRAIN_OPTIONS, geometry=GEOMETRY, encoded=None):
    """Stage 2 on ``transfer_dir``; with ``encoded``, given its curated binaries and meta.json."""
    cur = None if encoded is None else encoded.parent / "cur"
    curated = None if cur is None else (cur / "AH.parquet", cur / "BH.parquet")
    train_stage2(
        domain(transfer_dir, "AHB_g"),
        domain(transfer_dir, "BHA_g"),
        out=out,
        checkpoints=checkpoints,
        method=method,
        train=Train.of(options),
        geometry=Geometry.of(geometry),
        seed=0,
        threads=1,
        curated=curated,
        meta=None if encoded is None else encoded / "meta.json",
    )


def _weights(model):
    return [w.numpy() for w in model.weights]


def _train(encoded, ckpt, epochs, options=TRAIN_OPTIONS, data=None):
    tf.keras.utils.set_random_seed(0)
    train = Train.of(options, epochs=epochs)
    model = cross_domain_gan(train, 4.0, swap=True)
    model.compile(**adam_pair(train))
    losses = fit(model, *(data or _data(encoded)), train=train, seed=0, checkpoints=ckpt, stage="stage1")
    return model, losses


def test_generator_zeroes_padding_and_moves_the_metal():
    g = Generator(2, 16, residual=True, swap=True)
    x = np.random.default_rng(0).normal(size=(3, 4, 18, 3)).astype(np.float32)
    counts = np.array([[2, 4, 0], [18, 1, 0], [1, 18, 0]], np.int32)
    y, out_counts = g(x, counts)
    assert out_counts.numpy().tolist() == [[2, 0, 4], [18, 0, 1], [1, 0, 18]]
    mask = row_mask(out_counts).numpy()
    y = y.numpy()
    assert not y[mask == 0].any(), "padding rows must be exactly zero"
    assert np.abs(y[mask > 0]).min() > 0
    assert not y[:, 2].any()  # slot A is empty in a generated B-H


def test_same_seed_same_weights_and_resume_equals_uninterrupted(encoded, tmp_path):
    full, losses_full = _train(encoded, tmp_path / "a", 4)
    again, _ = _train(encoded, tmp_path / "b", 4)
    for u, v in zip(_weights(full), _weights(again)):
        np.testing.assert_array_equal(u, v)
    # "Crash" after the checkpoint at epoch 2, then rerun to 4 with a fresh model and process state.
    _train(encoded, tmp_path / "c", 2)
    resumed, losses_resumed = _train(encoded, tmp_path / "c", 4)
    for u, v in zip(_weights(full), _weights(resumed)):
        np.testing.assert_array_equal(u, v)
    pd_cols = ["epoch", "step", "term", "value"]
    assert losses_resumed[pd_cols].equals(losses_full[pd_cols])
    assert set(losses_full["term"]) >= {"L_GAN_A", "L_GAN_B", "L_R_A", "L_R_B", "L_G", "L_D"}


def _fewer(data, n=5):
    """The training data with the last ``n`` structures of the A side left out."""
    xa, ca, xb, cb = data
    return xa[:-n], ca[:-n], xb, cb


@pytest.mark.parametrize(
    "change",
    [
        {"lambdas": {**TRAIN_OPTIONS["lambdas"], "l2": 3.0}},  # a loss weight (as l5/l6 for stage 2)
        {"hidden_units": 16},  # another network: restoring it crashed
        {"data": _fewer},  # files removed from an input folder
    ],
    ids=["loss-weight", "hidden-units", "data"],
)
def test_a_checkpoint_of_other_options_or_data_is_not_resumed(encoded, tmp_path, caplog, change):
    """A run killed at epoch 2, rerun after a change: trains from epoch 0, as a fresh run with
    the change does, and logs why; never the old weights under the new settings."""
    change = dict(change)
    reshape = change.pop("data", None)
    options = {**TRAIN_OPTIONS, **change}
    data = reshape(_data(encoded)) if reshape else _data(encoded)
    _train(encoded, tmp_path / "ck", 2)
    with caplog.at_level("INFO", logger="crystalgan.gan.train"):
        rerun, losses = _train(encoded, tmp_path / "ck", 4, options, data)
    assert "not resuming from the checkpoints" in caplog.text and "resuming from epoch" not in caplog.text
    expected = "training data changed" if reshape else next(iter(change))
    assert expected in caplog.text
    fresh, fresh_losses = _train(encoded, tmp_path / "fresh", 4, options, data)
    for u, v in zip(_weights(fresh), _weights(rerun)):
        np.testing.assert_array_equal(u, v)
    assert losses["epoch"].min() == 0 and losses.equals(fresh_losses)


def test_other_seed_or_unknown_checkpoints_are_not_resumed(encoded, tmp_path, caplog):
    _train(encoded, tmp_path / "ck", 2)
    train = Train.of(TRAIN_OPTIONS, epochs=4)
    model = cross_domain_gan(train, 4.0, swap=True)
    model.compile(**adam_pair(train))
    with caplog.at_level("INFO", logger="crystalgan.gan.train"):
        fit(model, *_data(encoded), train=train, seed=1, checkpoints=tmp_path / "ck", stage="stage1")
    assert "seed (0 -> 1)" in caplog.text
    (tmp_path / "ck" / "resume.json").unlink()  # checkpoints of an older version, or copied from elsewhere
    caplog.clear()
    with caplog.at_level("INFO", logger="crystalgan.gan.train"):
        _train(encoded, tmp_path / "ck", 6)
    assert "resume.json is missing" in caplog.text


def test_finished_stages_remove_their_checkpoints_and_record_their_run(encoded, tmp_path):
    _stage1(encoded, tmp_path / "s1", tmp_path / "ck1", meta=encoded / "meta.json")
    assert (tmp_path / "s1" / "model.json").is_file() and not (tmp_path / "ck1").exists()
    run = {"system": "PdNiH", "A": "Pd", "B": "Ni", "seed": 0}
    assert read_run(tmp_path / "s1" / "losses.parquet") == {**run, "method": "stage1"}
    _transfer(encoded, tmp_path / "s1", tmp_path / "tr")
    _stage2(tmp_path / "tr", tmp_path / "s2", tmp_path / "ck2", "crystalgan", encoded=encoded)
    assert (tmp_path / "s2" / "model.json").is_file() and not (tmp_path / "ck2").exists()
    assert read_run(tmp_path / "s2" / "losses.parquet") == {**run, "method": "crystalgan"}


def test_resume_key_of_the_settings_is_that_of_the_config_section():
    """The key checkpoints were written with before the settings were typed: they still resume."""
    import json

    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3),)
    key = resume_key("stage1", 0, Train.of(TRAIN_OPTIONS), arrays, {"method": "x"})
    section = {k: v for k, v in TRAIN_OPTIONS.items() if k not in PATH_FREE}
    assert key["options"] == json.loads(json.dumps(section)) and key["identity"] == {"method": "x"}
    assert set(key) == {"stage", "seed", "options", "identity", "data"}


def test_a_gan_model_takes_its_networks_and_loss_weights(encoded):
    """As the Keras CycleGAN example: the networks and the loss weights are arguments."""
    import dataclasses

    from crystalgan.gan.models import GeometricLoss

    train = Train.of(TRAIN_OPTIONS)
    generators = (Generator(1, 8, True, True, name="G_AB"), Generator(1, 8, True, True, name="G_BA"))
    discriminators = (Discriminator(1, 8, name="D_A"), Discriminator(1, 8, name="D_B"))
    model = CrossDomainGAN(
        generators,
        discriminators,
        lambdas=dataclasses.replace(train.lambdas, volume=1.0),
        scale=4.0,
        reconstruction="l1",
        generator_steps=1,
        input_noise=0.0,
        geometry=GeometricLoss(settings=Geometry.of()),
        adversarial="bce",
        gradient_penalty=0.0,
        critic_steps=1,
        augment=(),
    )
    assert (model.g_ab, model.g_ba, model.d_a, model.d_b) == (*generators, *discriminators)
    assert {"L_geo1", "L_geo2", "L_volume", "L_abc"} <= set(model.loss_terms)
    assert "L_volume" not in cross_domain_gan(train, 4.0, swap=True).loss_terms


def test_nan_loss_stops_with_stage_epoch_term_and_keeps_checkpoint(encoded, tmp_path, monkeypatch):
    # the NaN comes with new data; the checkpoints are taken as this data's, to reach epoch 2
    monkeypatch.setattr("crystalgan.gan.train.resume_key", lambda *args: {"same": True})
    _train(encoded, tmp_path / "ck", 2)
    xa, ca, xb, cb = _data(encoded)
    xa = xa.copy()
    xa[:, 1, 0, 0] = np.nan
    with pytest.raises(TrainingError, match=r"stage1: loss \S+ became nan at epoch 2; .*ckpt-2"):
        _train(encoded, tmp_path / "ck", 4, data=(xa, ca, xb, cb))
    assert (tmp_path / "ck" / "ckpt-2.index").exists()


def test_stage1_learns_better_than_the_mean(encoded, tmp_path):
    options = {**TRAIN_OPTIONS, "hidden_units": 64}
    _stage1(encoded, tmp_path / "s1", tmp_path / "ck", {**options, "epochs": 40, "checkpoint_every": 40})
    xa, ca = read_structures(encoded / "AH.npy")
    rec, _ = read_structures(tmp_path / "s1" / "x_AHBA1.npy")
    mask = row_mask(ca).numpy() > 0
    err = np.abs(rec - xa)[mask].mean()
    mean = np.where(mask[..., None], xa, 0).sum(0) / np.maximum(mask.sum(0), 1)[..., None]
    assert err < 0.5 * np.abs(mean[None] - xa)[mask].mean()
    _fake, fake_counts = read_structures(tmp_path / "s1" / "x_AHB1.npy")
    assert (fake_counts[:, 1] == 0).all() and (fake_counts[:, 2] == ca[:, 1]).all()


@pytest.mark.parametrize("method", ["gan", "crystalgan_nogeo", "crystalgan"])
def test_stage2_methods_train_and_record_losses(encoded, tmp_path, method):
    _stage1(encoded, tmp_path / "s1", tmp_path / "ck1")
    _transfer(encoded, tmp_path / "s1", tmp_path / "tr")
    _stage2(tmp_path / "tr", tmp_path / "s2", tmp_path / "ck2", method, encoded=encoded)
    losses = read_table(tmp_path / "s2" / "losses.parquet", LOSSES)
    terms = set(losses["term"])
    assert ("L_geo1" in terms) == (method == "crystalgan")
    assert np.isfinite(losses["value"]).all()
    assert losses["epoch"].max() == TRAIN_OPTIONS["epochs"] - 1


def test_geometric_loss_trains_the_generators(encoded, tmp_path):
    """With only the geometric terms weighted, stage 2 lowers the geometric loss."""
    _stage1(encoded, tmp_path / "s1", tmp_path / "ck1")
    _transfer(encoded, tmp_path / "s1", tmp_path / "tr")
    options = copy.deepcopy(TRAIN_OPTIONS)
    options.update(epochs=60, checkpoint_every=60, learning_rate=1e-3, input_noise=0.0)
    options["lambdas"] = {"l1": 0.0, "l2": 0.0, "l3": 0.0, "l4": 0.0, "l5": 1.0, "l6": 1.0}
    _stage2(tmp_path / "tr", tmp_path / "s2", tmp_path / "ck2", "crystalgan", options, encoded=encoded)
    losses = read_table(tmp_path / "s2" / "losses.parquet", LOSSES)
    geo = losses[losses["term"] == "L_geo1"].set_index("epoch")["value"]
    assert geo.iloc[-5:].mean() < 0.5 * geo.iloc[:5].mean()


def test_sigkill_then_rerun_resumes_and_matches_uninterrupted(encoded, tmp_path):
    """A real SIGKILL of the training process mid-run; the rerun resumes and ends identical."""
    import json
    import signal
    import subprocess
    import sys
    import time

    import pyarrow.parquet as pq

    options = json.dumps({**TRAIN_OPTIONS, "epochs": 400, "checkpoint_every": 50})

    def cmd(out, meta=()):
        return [
            sys.executable,
            "-m",
            "crystalgan.cli",
            "train-stage1",
            "--ah",
            *map(str, domain(encoded, "AH")),
            "--bh",
            *map(str, domain(encoded, "BH")),
            "--out",
            str(tmp_path / out),
            "--checkpoints",
            str(tmp_path / f"ck_{out}"),
            "--options",
            options,
            *meta,
        ]

    subprocess.run(cmd("full", ("--meta", str(encoded / "meta.json"))), check=True, capture_output=True)
    proc = subprocess.Popen(cmd("killed"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list((tmp_path / "ck_killed").glob("ckpt-100.index")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "model.json").exists(), "killed before the end: no finished output"
    rerun = subprocess.run(cmd("killed"), check=True, capture_output=True, text=True)
    assert "resuming from epoch" in rerun.stderr
    for name in ("x_AHB1.npy", "y_BHAB1.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / "full" / name), np.load(tmp_path / "killed" / name))
    full = read_table(tmp_path / "full" / "losses.parquet", LOSSES)
    resumed = read_table(tmp_path / "killed" / "losses.parquet", LOSSES)
    assert full.equals(resumed)
    assert read_run(tmp_path / "full" / "losses.parquet")["method"] == "stage1"  # --meta given
    assert RUN_KEY not in pq.read_schema(tmp_path / "killed" / "losses.parquet").metadata  # --meta is optional


def test_gradient_penalty_measures_the_critics_gradient_norm():
    x = np.random.default_rng(0).normal(size=(5, 4, 18, 3)).astype(np.float32)
    fake = np.random.default_rng(1).normal(size=(5, 4, 18, 3)).astype(np.float32)
    counts = np.full((5, 3), 2, np.int32)
    w = np.random.default_rng(2).normal(size=(4, 18, 3)).astype(np.float32)
    seed = tf.constant([0, 0], tf.int64)
    unit = w / np.linalg.norm(w)
    for norm, expected in ((1.0, 0.0), (3.0, 4.0)):  # a linear critic's gradient is norm * unit everywhere

        def critic(y, c, norm=norm):
            return tf.reduce_sum(y * unit * norm, axis=[1, 2, 3])

        assert float(gradient_penalty(critic, x, fake, counts, seed)) == pytest.approx(expected, abs=1e-4)
    assert float(critic_loss(tf.constant([2.0, 4.0]), tf.constant([1.0, 1.0]))) == pytest.approx(-2.0)


def test_box_loss_is_zero_for_equal_cells_and_grows_with_their_difference(encoded):
    xa, _, _, _ = _data(encoded)
    vol, abc = box_loss(xa, xa)
    assert float(vol) == pytest.approx(0.0, abs=1e-6) and float(abc) == pytest.approx(0.0, abs=1e-6)
    stretched = xa.copy()
    stretched[::2, 0, :3] *= 1.5  # every other cell 1.5x longer, 3.4x the volume
    vol, abc = box_loss(xa, stretched)
    assert float(vol) > float(abc) > 1e-3


def test_augmentation_moves_the_tensor_but_keeps_each_crystal(encoded):
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from crystalgan.core.structures import decode_structure

    x, c = read_structures(encoded / "AH.npy")
    kinds = ("translate", "rotate", "permute")
    y = augment(tf.constant(x), tf.constant(c), kinds, tf.constant([3, 7], tf.int64)).numpy()
    again = augment(tf.constant(x), tf.constant(c), kinds, tf.constant([3, 7], tf.int64)).numpy()
    np.testing.assert_array_equal(y, again)  # drawn from the seed
    mask = row_mask(c).numpy() > 0
    assert not y[~mask].any(), "padding rows stay zero"
    matcher = StructureMatcher(primitive_cell=False, scale=False, attempt_supercell=False)
    moved = 0
    for k in range(len(x)):
        before, after = decode_structure(x[k], c[k], "Pd", "Ni"), decode_structure(y[k], c[k], "Pd", "Ni")
        assert matcher.fit(before, after), f"structure {k} changed"
        assert after.volume == pytest.approx(before.volume, rel=1e-4)
        moved += not np.allclose(x[k], y[k], atol=1e-3)
    assert moved == len(x)


# Every option off, whatever the defaults: the reference each option is compared with.
ALL_OFF = (
    {
        **TRAIN_OPTIONS,
        "adversarial": "bce",
        "augment": [],
        "lambdas": {**TRAIN_OPTIONS["lambdas"], "volume": 0.0, "abc": 0.0},
    },
    {**GEOMETRY, "target": "fixed", "distance": {"inter": 0.0, "intra": 0.0, "offset": 0.0}},
)
OPTIONS = {
    "wgan-gp": ({"adversarial": "wgan-gp", "critic_steps": 2}, {}),
    "augment": ({"augment": ["translate", "rotate", "permute"]}, {}),
    "box": ({"lambdas": {**ALL_OFF[0]["lambdas"], "volume": 12.5, "abc": 5.0}}, {}),
    "windows": ({}, {"target": "data"}),
    "distance": ({}, {"distance": {"inter": 3.5, "intra": 5.0, "offset": 0.0}}),
}


@pytest.fixture(scope="module")
def transferred(encoded, tmp_path_factory):
    root = tmp_path_factory.mktemp("tr")
    _stage1(encoded, root / "s1", root / "ck1")
    _transfer(encoded, root / "s1", root / "tr")
    return root / "tr"


@pytest.mark.parametrize("option", OPTIONS)
def test_each_stage2_option_trains_and_changes_the_model(encoded, transferred, tmp_path, option):
    """A tiny crystalgan run with one option: finite losses, its terms logged, other weights
    than the defaults give, and saved with the model."""
    import json

    train, geometry = OPTIONS[option]
    options, geometry = {**ALL_OFF[0], **train}, {**ALL_OFF[1], **geometry}
    _stage2(transferred, tmp_path / "ref", tmp_path / "ck0", "crystalgan", *ALL_OFF, encoded)
    _stage2(transferred, tmp_path / "s2", tmp_path / "ck", "crystalgan", options, geometry, encoded)
    losses = read_table(tmp_path / "s2" / "losses.parquet", LOSSES)
    assert np.isfinite(losses["value"]).all()
    terms = set(losses["term"])
    assert ("L_volume" in terms) == (option == "box") and ("L_dist_inter" in terms) == (option == "distance")
    model = json.loads((tmp_path / "s2" / "model.json").read_text())
    assert (model["geometry"]["windows"] is not None) == (option == "windows")
    assert (model["geometry"]["radii"] is not None) == (option == "distance")
    if option == "windows":
        windows = np.array(model["geometry"]["windows"])
        assert windows.shape == (4, 2) and (windows[:, 0] < windows[:, 1]).all()
    reference = read_table(tmp_path / "ref" / "losses.parquet", LOSSES)
    assert not np.allclose(losses[losses["term"] == "L_G"]["value"], reference[reference["term"] == "L_G"]["value"]), (
        f"{option} changed nothing"
    )


def test_geometry_from_data_needs_the_curated_binaries(transferred, tmp_path):
    with pytest.raises(ValueError, match="curated binaries and meta.json"):
        _stage2(transferred, tmp_path / "s2", tmp_path / "ck", "crystalgan", geometry={**GEOMETRY, "target": "data"})
