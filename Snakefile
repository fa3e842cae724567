# CrystalGAN workflow: wiring only; each stage is a rule file calling the crystalgan CLI.
from snakemake.utils import min_version

# 9.20.0: the first release whose between-workflow cache takes rules with several named
# outputs (curate, encode, train_stage1); pyproject.toml states the same floor.
min_version("9.20.0")


configfile: "workflow/config.yaml"


include: "rules/common.smk"


scattergather:
    filter=FILTER_PARTS,
    relax=RELAX_PARTS,


include: "rules/prototypes.smk"
include: "rules/curate.smk"
include: "rules/encode.smk"
include: "rules/train_stage1.smk"
include: "rules/transfer.smk"
include: "rules/train_stage2.smk"
include: "rules/generate.smk"
include: "rules/filter.smk"


if config["relax"]["enabled"]:

    include: "rules/hull.smk"
    include: "rules/relax.smk"
    include: "rules/dft.smk"


include: "rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output,
        expand("results/{system}/dft", system=SYSTEMS) if RELAX else [],
