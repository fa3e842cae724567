import json
import shlex
from pathlib import Path

from snakemake.utils import validate

from crystalgan.config import check, is_candidate_file, training_gpus

validate(config, "../workflow/schemas/config.schema.yaml")
check(config)

SYSTEMS = {s["name"]: s for s in config["systems"]}
GAN_METHODS = ["gan", "discogan", "crystalgan_nogeo", "crystalgan"]
STAGE2_METHODS = [
    m for m in config["methods"] if m in ("gan", "crystalgan_nogeo", "crystalgan")
]
# With cache: true, curate, encode and train_stage1 are eligible for Snakemake's
# between-workflow cache (snakemake --cache, SNAKEMAKE_OUTPUT_CACHE); see rules/cache.smk.
CACHE = "omit-software" if config["cache"] else False
TRAINING_GPUS = training_gpus(config["training_gpus"])
FILTER_PARTS = config["filter"]["parts"]


wildcard_constraints:
    system="|".join(SYSTEMS),
    seed=r"\d+",
    method="|".join(config["methods"]),


def structure_files(folder):
    """The structure files curation reads from a folder (so an edited file re-runs it)."""
    return sorted(
        str(p) for p in Path(folder).iterdir() if p.is_file() and is_candidate_file(p)
    )


def system(wildcards):
    return SYSTEMS[wildcards.system]


def as_json(value):
    """A config section as one shell-quoted JSON argument."""
    return shlex.quote(json.dumps(value, sort_keys=True))


def stage1_options(train):
    """The train section without the stage-2 weights, so changing l5/l6 leaves stage 1 alone."""
    lambdas = {k: v for k, v in train["lambdas"].items() if k not in ("l5", "l6")}
    return {**train, "lambdas": lambdas}


def stage2_options(wildcards):
    """Settings of one stage-2 run: the geometric ones only where the method uses them."""
    if wildcards.method == "crystalgan":
        return as_json(config["train"])
    return as_json(stage1_options(config["train"]))


def stage2_geometry(wildcards):
    return as_json(config["geometry"] if wildcards.method == "crystalgan" else {})


def generator_model(wildcards):
    if wildcards.method == "discogan":
        return f"results/{wildcards.system}/seed{wildcards.seed}/stage1/model.json"
    return f"results/{wildcards.system}/{wildcards.method}/seed{wildcards.seed}/stage2/model.json"


def generator_inputs(wildcards):
    """Generator inputs (tensors, then counts): encoded binaries or stage-2 ternaries."""
    if wildcards.method == "discogan":
        folder, names = f"results/{wildcards.system}/encoded", ("AH", "BH")
    else:
        folder = f"results/{wildcards.system}/seed{wildcards.seed}/transfer"
        names = ("AHB_g", "BHA_g")
    return [f"{folder}/{n}{suffix}.npy" for suffix in ("", "_counts") for n in names]


def all_filtered(wildcards=None):
    return expand(
        "results/{system}/{method}/seed{seed}/filtered.parquet",
        system=SYSTEMS,
        method=config["methods"],
        seed=config["seeds"],
    )


def all_losses(wildcards=None):
    stage1 = expand(
        "results/{system}/seed{seed}/stage1/losses.parquet",
        system=SYSTEMS,
        seed=config["seeds"],
    )
    stage2 = expand(
        "results/{system}/{method}/seed{seed}/stage2/losses.parquet",
        system=SYSTEMS,
        method=STAGE2_METHODS,
        seed=config["seeds"],
    )
    return stage1 + stage2
