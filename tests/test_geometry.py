import numpy as np
import pytest
import tensorflow as tf
from pymatgen.core import Lattice, Structure

from conftest import SHIPPED
from crystalgan.core.structures import encode_structure
from crystalgan.gan.geometry import geometric_loss, nearest_neighbour


def pymatgen_nn(s: Structure, metal_a: str) -> np.ndarray:
    """Per-atom nearest constrained-neighbour distance with get_neighbor_list, in H, A, B order."""
    c, p, _, d = s.get_neighbor_list(r=8.0)
    sp = np.array([0 if x.specie.symbol == "H" else (1 if x.specie.symbol == metal_a else 2) for x in s])
    ok = (sp[c] == sp[p]) | ((sp[c] > 0) & (sp[p] > 0))
    nn = np.full(len(s), np.inf)
    np.minimum.at(nn, c[ok], d[ok])
    return nn[np.argsort(sp, kind="stable")]


def skewed(s: Structure, rng) -> Structure:
    """The same crystal in a random unimodular (skewed) basis."""
    m = np.eye(3, dtype=int)
    for i, j, k in ((0, 1, 3), (2, 0, 3), (1, 2, 2)):
        shear = np.eye(3, dtype=int)
        shear[i, j] = rng.integers(-k, k + 1)
        m = shear @ m  # a product of shears: determinant 1
    return Structure(Lattice(m @ s.lattice.matrix), s.species, s.cart_coords, coords_are_cartesian=True)


def _check(structures, metal_a, metal_b):
    enc = [encode_structure(s, metal_a, metal_b) for s in structures]
    nn, mask = nearest_neighbour(np.stack([e[0] for e in enc]), np.stack([e[1] for e in enc]))
    nn, mask = nn.numpy(), mask.numpy()
    worst = 0.0
    for k, s in enumerate(structures):
        got = nn[k][mask[k] > 0]
        worst = max(worst, float(np.abs(got - pymatgen_nn(s, metal_a)).max()))
    assert worst < 1e-4, worst


def _real(folder):
    return [s for s in (Structure.from_file(p) for p in sorted(folder.iterdir()))]


def test_tf_distances_equal_pymatgen_on_real_structures(real_data):
    rng = np.random.default_rng(1)
    structures = _real(real_data / "PdH") + _real(real_data / "NiH")
    assert len(structures) == 70
    _check(structures, "Pd", "Ni")
    _check([skewed(s, rng) for s in structures], "Pd", "Ni")


def test_tf_distances_equal_pymatgen_on_shipped_skewed():
    rng = np.random.default_rng(2)
    structures = _real(SHIPPED / "MgH") + _real(SHIPPED / "TiH")
    _check([skewed(s, rng) for s in structures], "Mg", "Ti")


def test_ternary_pairs_and_periodic_self_image():
    # Pd at the origin, Ni at the body centre of a 2.6 A cube, H far off on a face.
    s = Structure(Lattice.cubic(2.6), ["Pd", "Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0]])
    _check([s], "Pd", "Ni")
    x, c = encode_structure(s, "Pd", "Ni")
    nn, _ = nearest_neighbour(x[None], c[None])
    assert nn.numpy()[0, 0] == pytest.approx(2.6, abs=1e-5)  # H-H: its own periodic image
    assert nn.numpy()[0, 18] == pytest.approx(2.6 * np.sqrt(3) / 2, abs=1e-5)  # Pd-Ni


def test_degenerate_cells_give_finite_loss_and_gradient():
    x, c = encode_structure(
        Structure(Lattice.cubic(3.0), ["Pd", "Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0.5]]), "Pd", "Ni"
    )
    batch = np.stack([x, x, x, x])
    batch[1, 0, 2] = batch[1, 0, 1]  # collapsed cell (two equal lattice vectors)
    batch[2, 0, :3] = 0.0  # zero cell
    batch[3, 2, 0] = np.nan  # NaN coordinate
    var = tf.Variable(batch)
    with tf.GradientTape() as tape:
        low, high = geometric_loss(var, np.stack([c] * 4), 1.8, 3.0)
        total = tf.reduce_sum(low + high)
    grad = tape.gradient(total, var)
    assert np.isfinite(low.numpy()).all() and np.isfinite(high.numpy()).all()
    assert np.isfinite(grad.numpy()).all()
    assert low.numpy()[1] == pytest.approx(1.8**2) and low.numpy()[2] == pytest.approx(1.8**2)


def test_hinge_loss_is_zero_inside_window_and_pushes_outwards():
    inside = Structure(Lattice.cubic(2.5), ["Pd", "Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]])
    x, c = encode_structure(inside, "Pd", "Ni")
    low, high = geometric_loss(x[None], c[None], 1.8, 3.0)
    assert float(low[0]) == 0.0 and float(high[0]) == 0.0
    # Shrinking the cell puts H-H (its image, 1.6 A) below d1: the gradient grows the cell.
    var = tf.Variable(x[None] * 0.64)
    with tf.GradientTape() as tape:
        low, _ = geometric_loss(var, c[None], 1.8, 3.0)
    assert float(low[0]) > 0
    grad = tape.gradient(low, var).numpy()
    assert (np.diag(grad[0, 0, :3]) < 0).all()


def test_paper_form_is_the_papers_formula_and_what_the_paper_preset_trains_with():
    """The paper preset's L_geo1 = min_s (d1 - s)^2 and L_geo2 = -min_s (d2 - s)^2, s over the
    per-atom nearest constrained-neighbour distances (pymatgen's here), with a gradient."""
    import yaml

    from conftest import ROOT

    preset = yaml.safe_load((ROOT / "workflow" / "presets" / "paper.yaml").read_text())
    assert preset["geometry"]["form"] == "paper"
    s = Structure(Lattice.cubic(2.6), ["Pd", "Ni", "H", "H"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0, 0, 0.4]])
    x, c = encode_structure(s, "Pd", "Ni")
    nn = pymatgen_nn(s, "Pd")
    var = tf.Variable(x[None])
    with tf.GradientTape() as tape:
        low, high = geometric_loss(var, c[None], 1.8, 3.0, "paper")
    assert float(low[0]) == pytest.approx(np.min((1.8 - nn) ** 2), rel=1e-4)
    assert float(high[0]) == pytest.approx(-np.min((3.0 - nn) ** 2), rel=1e-4)
    grad = tape.gradient(low, var).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0
    hinge_low, _ = geometric_loss(x[None], c[None], 1.8, 3.0, "hinge")
    assert float(hinge_low[0]) != pytest.approx(float(low[0]))
    with pytest.raises(ValueError, match="unknown geometric loss form 'cubic'"):
        geometric_loss(x[None], c[None], 1.8, 3.0, "cubic")


def _ternary():
    """Pd-Ni-H in a 4 A cube: H at the centre, Pd at the origin, Ni at (2.5, 0, 0) A."""
    s = Structure(Lattice.cubic(4.0), ["H", "Pd", "Ni"], [[2, 2, 2], [0, 0, 0], [2.5, 0, 0]], coords_are_cartesian=True)
    x, c = encode_structure(s, "Pd", "Ni")
    return x[None], c[None]


def test_data_windows_take_the_window_of_each_atoms_nearest_pair_kind():
    x, c = _ternary()
    # nearest constrained neighbours: H-H 4.0 (its own image), Pd-Ni 1.5 and Ni-Pd 1.5 (A-B)
    low, high = geometric_loss(x, c, 1.8, 3.0)
    np.testing.assert_allclose([low[0], high[0]], [2 * 0.3**2 / 3, 1.0**2 / 3], rtol=1e-4)
    windows = np.array([[1.0, 4.5], [2.0, 3.0], [2.0, 3.0], [1.2, 2.0]])  # HH, AA, BB, AB
    low, high = geometric_loss(x, c, 1.8, 3.0, windows=windows)
    np.testing.assert_allclose([low[0], high[0]], [0.0, 0.0], atol=1e-6)
    windows[3] = [1.6, 2.0]  # A-B now too short by 0.1 A, for the two metal atoms
    low, _ = geometric_loss(x, c, 1.8, 3.0, windows=windows)
    np.testing.assert_allclose(low[0], 2 * 0.1**2 / 3, rtol=1e-3)


def test_distance_loss_pushes_overlapping_atoms_apart_and_ignores_distant_ones():
    from crystalgan.gan.geometry import distance_loss, pair_squares

    x, c = _ternary()
    radii = np.array([0.25, 1.4, 1.35])  # H, Pd, Ni
    rows = (1, 1, 1)
    square, _, _ = pair_squares(x, c, rows)
    inter, intra = distance_loss(square, radii, 0.0, rows)
    # different elements: Pd-Ni 1.5 A (reach 2.75) and Pd-H, Ni-H at 2*sqrt(3) and sqrt(8.25) (reach 1.65, 1.6)
    np.testing.assert_allclose(inter[0], np.tanh(1.25), rtol=1e-4)
    # same element: each atom with its own image 4 A away; reach 0.5, 2.8, 2.7 -> nothing overlaps
    assert float(intra[0]) == 0.0
    var = tf.Variable(x)
    with tf.GradientTape() as tape:
        square, _, _ = pair_squares(var, c, rows)
        inter, _ = distance_loss(square, radii, 0.0, rows)
    grad = tape.gradient(inter, var).numpy()
    # the closest Pd-Ni pair is Ni and Pd's image at x = 4 A: descending moves Pd right and Ni left
    assert grad[0, 2, 0, 0] < 0 and grad[0, 3, 0, 0] > 0
    _, intra = distance_loss(square, radii, 1.5, rows)  # offset: Pd and Ni images now overlap
    assert float(intra[0]) > 0
