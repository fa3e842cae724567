"""The config check: one line naming the key for every value the schema or check rejects,
before any job; defaults filled in as Snakemake's validate fills them."""

from __future__ import annotations

import copy

import pytest
from pymatgen.core.periodic_table import Element
from snakemake.utils import validate as snakemake_validate

from crystalgan.config import SCHEMA, ConfigError, check, fill_defaults, metal_problem, validate
from test_workflow import small_config, snakemake

PROTOTYPE_SYSTEM = {"name": "S", "A": "Mg", "B": "Ti"}  # no folders: nothing to read


def config_with(**sections) -> dict:
    """A config of one prototype system with ``sections`` (nested dicts merged one level deep)."""
    config = {"systems": [PROTOTYPE_SYSTEM]}
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


def test_validate_fills_the_defaults_snakemake_validate_fills():
    config = config_with(train={"epochs": 3, "lambdas": {"l5": 2.0}}, relax={"enabled": False})
    ours, theirs = copy.deepcopy(config), copy.deepcopy(config)
    snakemake_validate(theirs, str(SCHEMA))
    assert validate(ours) is ours
    assert ours == theirs
    assert ours["train"]["lambdas"] == {**theirs["train"]["lambdas"], "l5": 2.0}
    assert ours["geometry"]["distance"]["inter"] == 0.0


@pytest.mark.parametrize(
    "sections,message",
    [
        ({"seed": [1]}, "config: seed: unknown key (did you mean 'seeds'?)"),
        ({"train": {"epoch": 3}}, "config: train.epoch: unknown key (did you mean 'epochs'?)"),
        (
            {"train": {"lambdas": {"volumne": 1.0}}},
            "config: train.lambdas.volumne: unknown key (did you mean 'volume'?)",
        ),
        (
            {"transfer": {"moed": "split", "xyz": 1}},
            "config: transfer.moed: unknown key (did you mean 'mode'?)",
        ),
        ({"transfer": {"xyz": 1}}, "config: transfer.xyz: unknown key (valid keys: mode, ternaries)"),
        (
            {"systems": [{**PROTOTYPE_SYSTEM, "Ah": "folder"}]},
            "config: systems[0].Ah: unknown key (did you mean 'AH'?)",
        ),
        ({"systems": [{"name": "S", "A": "Mg"}]}, "config: systems[0]: 'B' is a required property"),
        ({"train": {"epochs": "many"}}, "config: train.epochs: 'many' is not of type 'integer'"),
        ({"train": {"epochs": 3.0}}, "config: train.epochs: 3.0 is not of type 'integer'"),
        ({"generate": {"samples": 12.0}}, "config: generate.samples: 12.0 is not of type 'integer'"),
        ({"filter": {"parts": 2.0}}, "config: filter.parts: 2.0 is not of type 'integer'"),
        ({"train": {"residual": 1}}, "config: train.residual: 1 is not of type 'boolean'"),
        ({"generate": {"samples": 0}}, "config: generate.samples: 0 is less than the minimum of 1"),
        ({"generate": {"samples": -3}}, "config: generate.samples: -3 is less than the minimum of 1"),
        ({"train": {"batch_size": 0}}, "config: train.batch_size: 0 is less than the minimum of 1"),
        ({"filter": {"parts": 0}}, "config: filter.parts: 0 is less than the minimum of 1"),
        ({"relax": {"parts": 0}}, "config: relax.parts: 0 is less than the minimum of 1"),
        ({"relax": {"max_per_run": 0}}, "config: relax.max_per_run: 0 is not an integer >= 1 or 'all'"),
        ({"relax": {"max_per_run": "every"}}, "config: relax.max_per_run: 'every' is not an integer >= 1 or 'all'"),
        ({"training_gpus": 1.5}, "config: training_gpus: 1.5 is not an integer >= 0 or 'auto'"),
        ({"train": {"lambdas": {"l5": -1}}}, "config: train.lambdas.l5: -1 is less than the minimum of 0"),
        ({"curate": {"min_structures": 0}}, "config: curate.min_structures: 0 is less than the minimum of 1"),
        ({"seeds": [0, -1]}, "config: seeds[1]: -1 is less than the minimum of 0"),
        ({"seeds": [0, 2**32]}, "config: seeds[1]: 4294967296 is greater than the maximum of 4294967295"),
        ({"seeds": []}, "config: seeds: [] should be non-empty"),
        (
            {"train": {"augment": ["rotation"]}},
            "config: train.augment[0]: 'rotation' is not one of ['translate', 'rotate', 'permute'] "
            "(did you mean 'rotate'?)",
        ),
        ({"geometry": {"target": "median"}}, "config: geometry.target: 'median' is not one of ['fixed', 'data']"),
    ],
)
def test_a_schema_violation_is_one_line_naming_the_key(sections, message):
    with pytest.raises(ConfigError) as raised:
        validate(config_with(**sections))
    assert str(raised.value) == message


def test_the_largest_seed_numpy_and_tensorflow_take_passes():
    validate(config_with(seeds=[0, 2**32 - 1]))


@pytest.mark.parametrize("metal", ["Fr", "Cm", "Bk", "Cf", "Es"])
def test_a_metal_without_atomic_radius_is_rejected_when_the_distance_loss_is_on(metal):
    config = fill_defaults(config_with(systems=[{"name": "S", "A": "Pd", "B": metal}]))
    check(config)  # the distance loss is off by default
    config["geometry"]["distance"]["intra"] = 5.0
    with pytest.raises(ConfigError) as raised:
        check(config)
    assert str(raised.value) == (
        f"systems[0].B: system 'S': the distance loss (geometry.distance) needs the atomic radius of {metal}, "
        "which pymatgen does not know; set geometry.distance.inter and intra to 0 or choose another metal"
    )
    config["methods"] = ["gan", "discogan", "crystalgan_nogeo"]  # no method trains with the geometric loss
    check(config)


def test_every_metal_with_an_atomic_radius_passes_with_the_distance_loss():
    metals = [e.symbol for e in Element if not metal_problem(e.symbol) and e.atomic_radius is not None]
    assert len(metals) > 60
    for metal in metals:
        system = {"name": "S", "A": metal, "B": "Pb" if metal == "Sn" else "Sn"}
        check(fill_defaults(config_with(systems=[system], geometry={"distance": {"inter": 3.5}})))


@pytest.mark.parametrize(
    "sections,message",
    [
        ({"seed": [1]}, "config: seed: unknown key (did you mean 'seeds'?)"),
        ({"train": {"epoch": 3}}, "config: train.epoch: unknown key (did you mean 'epochs'?)"),
        ({"train": {"epochs": "many"}}, "config: train.epochs: 'many' is not of type 'integer'"),
        ({"train": {"epochs": 3.0}}, "config: train.epochs: 3.0 is not of type 'integer'"),
        ({"relax": {"max_per_run": "every"}}, "config: relax.max_per_run: 'every' is not an integer >= 1 or 'all'"),
        ({"seeds": [0, 4294967296]}, "config: seeds[1]: 4294967296 is greater than the maximum of 4294967295"),
        ({"transfer": {"ternaries": ["spinel"]}}, "transfer.ternaries: ternary structure types ['spinel'] are not in"),
        (
            {"systems": [{"name": "PdCmH", "A": "Pd", "B": "Cm"}], "geometry": {"distance": {"inter": 3.5}}},
            "systems[0].B: system 'PdCmH': the distance loss (geometry.distance) needs the atomic radius of Cm",
        ),
    ],
)
def test_snakemake_stops_with_one_short_message_before_any_job(tmp_path, sections, message):
    done = snakemake(tmp_path, "-n", check=False, config=small_config(tmp_path, **sections))
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert message in output
    assert len(output.strip().splitlines()) < 15, output
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "compositions,message",
    [
        (["A2BH6", "A2XH6"], "generate.compositions[1]: 'A2XH6' is not a formula unit such as 'A2BH6' (A, B and H"),
        (["Mg2FeH6"], "generate.compositions[0]: 'Mg2FeH6' is not a formula unit such as 'A2BH6'"),
        (["A19BH"], "generate.compositions[0]: 'A19BH' is not a formula unit such as 'A2BH6'"),
        ([], "generate.compositions: no formula unit; list some, such as A2BH6, or give enumerated"),
        ("all", "config: generate.compositions: 'all' is not 'enumerated' or an array"),
    ],
)
def test_bad_compositions_are_refused_in_one_line_naming_the_key(compositions, message):
    with pytest.raises(ConfigError) as raised:
        check(validate(config_with(generate={"compositions": compositions})))
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_compositions_default_to_the_enumeration_and_take_formula_units():
    assert validate(config_with())["generate"]["compositions"] == "enumerated"
    check(validate(config_with(generate={"compositions": ["A2BH6", "AB2H4", "ABH3"]})))


@pytest.mark.parametrize(
    "ternaries,message",
    [
        (["perovskite", "spinel"], "transfer.ternaries: ternary structure types ['spinel'] are not in ternary_types"),
        ("every", "config: transfer.ternaries: 'every' is not 'all' or an array"),
    ],
)
def test_bad_ternary_types_are_refused_in_one_line_naming_the_key(ternaries, message):
    from crystalgan.data.ternary_types import check_selection

    with pytest.raises(ConfigError) as raised:
        config = validate(config_with(transfer={"ternaries": ternaries}))
        check_selection(config["transfer"]["ternaries"], "transfer.ternaries")
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_ternary_types_default_to_none_and_take_names_or_all():
    from crystalgan.data.ternary_types import check_selection

    assert validate(config_with())["transfer"]["ternaries"] == []
    for chosen in (["perovskite", "NaAlH4"], "all", []):
        check_selection(validate(config_with(transfer={"ternaries": chosen}))["transfer"]["ternaries"], "t")
