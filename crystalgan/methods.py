"""The registry of methods: every name a config, a rule, the CLI or the report accepts.

A method is either a trained generator or a baseline. A trained generator is the stage-1
model (``discogan``) or a model trained by the stage-2 rule on the ternary training sets
(``network``: the cross-domain GAN, or the noise-input GAN), with or without the geometric
loss. A baseline is a function of the training data (``crystalgan.data.baselines``). Adding a
method means adding an entry here and, where it is new, its model or baseline function.
"""

from __future__ import annotations

from dataclasses import dataclass

from crystalgan.errors import InputError


@dataclass(frozen=True)
class Method:
    """How one method trains and generates."""

    description: str
    model: str  # "stage1" | "stage2" (generators) | "baseline"
    network: str = ""  # stage 2: "cross_domain" or "noise"
    geometric: bool = False  # stage 2 trains with the geometric loss (l5, l6)
    baseline: str = ""  # baselines: function name in crystalgan.data.baselines
    compositions: bool = False  # baselines: draws its formula units from generate.compositions

    @property
    def trains_stage2(self) -> bool:
        return self.model == "stage2"

    @property
    def inputs(self) -> str:
        """Which tensors a generator translates: the encoded binaries or the stage-2 ternaries."""
        return "encoded" if self.model == "stage1" else "transfer"


METHODS: dict[str, Method] = {
    "gan": Method("a plain GAN from Gaussian noise, trained on the stage-2 data", "stage2", "noise"),
    "discogan": Method("stage 1 only (its outputs are binaries)", "stage1"),
    "crystalgan_nogeo": Method("stage 2 without the geometric loss (l5 = l6 = 0)", "stage2", "cross_domain"),
    "crystalgan": Method("stage 2 with the geometric loss", "stage2", "cross_domain", geometric=True),
    "substitution": Method(
        "baseline: some metal sites of each training binary given to the other metal",
        "baseline",
        baseline="substitution",
    ),
    "random": Method(
        "baseline: pyxtal random symmetric crystals of the compositions generate.compositions lists, "
        "cells of the metals' atomic volumes plus 2.9 A^3 per H",
        "baseline",
        baseline="random_crystals",
        compositions=True,
    ),
    "prototype": Method(
        "baseline: known ternary hydride structure types decorated with the two metals, both orders",
        "baseline",
        baseline="prototype_decorations",
    ),
}

GENERATORS = tuple(name for name, m in METHODS.items() if m.model != "baseline")
STAGE2 = tuple(name for name, m in METHODS.items() if m.trains_stage2)
BASELINES = tuple(name for name, m in METHODS.items() if m.model == "baseline")


def method(name: str) -> Method:
    """The registered method ``name``; ValueError naming the known ones otherwise."""
    try:
        return METHODS[name]
    except KeyError:
        raise InputError(f"unknown method {name!r} (one of {', '.join(METHODS)})") from None
