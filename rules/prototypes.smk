# The prototype library of a metal that a system names without a folder of its binaries,
# relaxed with the potential when relaxation is enabled. Eligible for the between-workflow
# cache with cache: true, so without a benchmark file (as rules/curate.smk): the last line
# of its log gives its wall and CPU seconds and peak memory. The metal is a param for the
# cache's key (CACHE_MODE, rules/common.smk).
rule prototypes:
    output:
        directory("results/prototypes/{metal}H"),
    log:
        "logs/prototypes/{metal}.log",
    cache: CACHE_MODE
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS if RELAX else 0,
        mem_mb=4000,
        runtime=60,
    params:
        metal=lambda w: w.metal,
        relax=prototype_relaxation(),
    shell:
        "crystalgan prototypes --metal {params.metal} --out $(dirname {output})"
        " {params.relax} --threads {threads} > {log} 2>&1"
