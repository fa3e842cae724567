import json
import shlex

from crystalgan.config import (
    RELAX_KEYS,
    STAGE2_LAMBDAS,
    check,
    prototype_metals,
    structure_files,
    training_gpus,
    validate,
)
from crystalgan.core.compositions import ENUMERATION
from crystalgan.data.ternary_types import check_selection
from crystalgan.methods import BASELINES, GENERATORS, METHODS, STAGE2

validate(config)
check(config)
check_selection(config["transfer"]["ternaries"], "transfer.ternaries")

SYSTEMS = {s["name"]: s for s in config["systems"]}
RUN_STAGE2 = [m for m in config["methods"] if m in STAGE2]
# The cache directive of prototypes, curate, encode, train_stage1 and hull: with cache: true
# they are eligible for Snakemake's between-workflow cache (snakemake --cache,
# SNAKEMAKE_OUTPUT_CACHE), their hashes leaving out the software environment. The hash covers a
# rule's shell command before its wildcards are filled in, its params and its inputs, not the
# wildcards: every value a cacheable job takes from a wildcard is passed as a param.
CACHE_MODE = "omit-software" if config["cache"] else False
TRAINING_GPUS = training_gpus(config["training_gpus"])
FILTER_PARTS = config["filter"]["parts"]
RELAX = config["relax"]["enabled"]
RELAX_PARTS = config["relax"]["parts"]
# the second potential, which re-relaxes every S.U.N. crystal (None: no check)
CHECK = config["relax"]["check"]
RELAX_GPUS = 0 if config["relax"]["device"] == "cpu" else TRAINING_GPUS
RUN = "results/{system}/{method}/seed{seed}"
TRANSFER = "results/{system}/seed{seed}/transfer"


PROTOTYPE_METALS = prototype_metals(config)


wildcard_constraints:
    system="|".join(SYSTEMS),
    metal="|".join(PROTOTYPE_METALS) or "^$",
    seed=r"\d+",
    method="|".join(config["methods"]),
    hull="hull|check" if config["relax"]["check"] else "hull",


def one_of(names):
    """A wildcard constraint matching exactly these method names."""
    return "|".join(names) or "^$"


def domain(folder, name):
    """The tensor and counts files of an encoded domain, in the order the CLI takes them."""
    return [f"{folder}/{name}.npy", f"{folder}/{name}_counts.npy"]


def system(wildcards):
    return SYSTEMS[wildcards.system]


def system_files(key):
    """The structure files of a system's folder ``key`` (AH or BH), so that an edited file
    re-runs curation; without the folder, the prototype library the workflow builds."""

    def files(wildcards):
        s = system(wildcards)
        if key not in s:
            return f"results/prototypes/{s[key[0]]}H"
        return [str(p) for p in structure_files(s[key])]

    return files


def known_table(wildcards):
    """The curated known phases of a system that names a known: folder (none otherwise)."""
    if "known" in system(wildcards):
        return f"results/{wildcards.system}/known/known.parquet"
    return []


def prototype_relaxation():
    """The prototypes' relaxation arguments: the relax keys the job reads, or none where
    relaxation is disabled."""
    return f"--relax --options {relax_options('prototypes')}" if RELAX else ""


def as_json(value):
    """A config section as one shell-quoted JSON argument."""
    return shlex.quote(json.dumps(value, sort_keys=True))


def relax_options(job, **changes):
    """The relax keys ``job`` reads (crystalgan.config.RELAX_KEYS), with ``changes``, as one
    JSON argument."""
    return as_json(
        {**{key: config["relax"][key] for key in RELAX_KEYS[job]}, **changes}
    )


def hull_options(job, hull):
    """The relax keys of the hull or phases ``job`` of one ``hull``: "hull", relaxed with
    relax.potential, or "check", with relax.check."""
    if hull == "check":
        return relax_options(job, potential=CHECK)
    return relax_options(job)


def baseline_compositions(wildcards):
    """--compositions of a baseline that draws from generate.compositions, where the config
    lists them (the enumeration is the CLI's default); none for the other baselines."""
    chosen = config["generate"]["compositions"]
    if not METHODS[wildcards.method].compositions or chosen == ENUMERATION:
        return ""
    return "--compositions " + " ".join(chosen)


def transfer_ternaries():
    """--ternaries of the transfer job: the library types transfer.ternaries names, if any."""
    chosen = config["transfer"]["ternaries"]
    if not chosen:
        return ""
    return "--ternaries " + (chosen if isinstance(chosen, str) else " ".join(chosen))


def stage1_options(train):
    """The train section without the stage-2 weights, so changing them leaves stage 1 alone."""
    lambdas = {k: v for k, v in train["lambdas"].items() if k not in STAGE2_LAMBDAS}
    return {**train, "lambdas": lambdas}


def stage2_options(wildcards):
    """Settings of one stage-2 run: the geometric ones only where the method uses them."""
    if METHODS[wildcards.method].geometric:
        return as_json(config["train"])
    return as_json(stage1_options(config["train"]))


def stage2_geometry(wildcards):
    return as_json(config["geometry"] if METHODS[wildcards.method].geometric else {})


def generator_model(wildcards):
    """model.json and weights of the model that generates a method's candidates."""
    if METHODS[wildcards.method].model == "stage1":
        folder = f"results/{wildcards.system}/seed{wildcards.seed}/stage1"
    else:
        folder = f"{RUN}/stage2".format(**wildcards)
    return {"model": f"{folder}/model.json", "weights": f"{folder}/weights.weights.h5"}


def generator_inputs(wildcards):
    """Generator inputs, A side then B side: encoded binaries or stage-2 ternaries."""
    if METHODS[wildcards.method].inputs == "encoded":
        folder, names = f"results/{wildcards.system}/encoded", ("AH", "BH")
    else:
        folder, names = TRANSFER.format(**wildcards), ("AHB_g", "BHA_g")
    return {"a": domain(folder, names[0]), "b": domain(folder, names[1])}


def all_runs(pattern):
    return expand(
        pattern, system=SYSTEMS, method=config["methods"], seed=config["seeds"]
    )


def all_losses(wildcards=None):
    stage1 = expand(
        "results/{system}/seed{seed}/stage1/losses.parquet",
        system=SYSTEMS,
        seed=config["seeds"],
    )
    stage2 = expand(
        f"{RUN}/stage2/losses.parquet",
        system=SYSTEMS,
        method=RUN_STAGE2,
        seed=config["seeds"],
    )
    return stage1 + stage2
