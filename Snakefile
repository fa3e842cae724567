# CrystalGAN workflow: wiring only; each stage is a rule file calling the crystalgan CLI.


configfile: "workflow/config.yaml"


scattergather:
    filter=config.get("filter", {}).get("parts", 1),


include: "rules/common.smk"
include: "rules/curate.smk"
include: "rules/encode.smk"
include: "rules/train_stage1.smk"
include: "rules/transfer.smk"
include: "rules/train_stage2.smk"
include: "rules/generate.smk"
include: "rules/filter.smk"
include: "rules/report.smk"
include: "rules/cache.smk"


rule all:
    default_target: True
    input:
        rules.report.output,
