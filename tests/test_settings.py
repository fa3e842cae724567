"""Typed settings: one dataclass per config section, its fields the schema's keys, its
defaults the schema's."""

import dataclasses

import pytest

from crystalgan.config import defaults
from crystalgan.errors import InputError
from crystalgan.settings import Curate, Geometry, Relax, Section, Train


@pytest.mark.parametrize("cls", Section.__subclasses__(), ids=lambda c: c.SECTION)
def test_each_settings_class_has_exactly_the_keys_and_defaults_of_its_section(cls):
    schema = defaults()[cls.SECTION]
    settings = cls.of()
    assert {f.name for f in dataclasses.fields(cls)} == set(schema)
    assert settings.as_dict() == schema
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.__setattr__(dataclasses.fields(cls)[0].name, None)


def test_partial_values_keep_the_defaults_of_the_other_keys_and_unknown_keys_are_named():
    relax = Relax.of({"steps": 7}, fmax=0.05)
    assert (relax.steps, relax.fmax, relax.potential) == (7, 0.05, defaults()["relax"]["potential"])
    assert Relax.of(max_per_run="all").cap is None and Relax.of(max_per_run=4).cap == 4
    train = Train.of({"lambdas": {"l5": 2.0}})
    assert train.lambdas.l5 == 2.0 and train.lambdas.l2 == defaults()["train"]["lambdas"]["l2"]
    assert Geometry.of().distance.inter == defaults()["geometry"]["distance"]["inter"]
    with pytest.raises(InputError, match="curate: unknown key.*deduplicte"):
        Curate.of(deduplicte=False)
