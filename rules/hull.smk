# Eligible for the between-workflow cache with cache: true, so without a benchmark file (as
# rules/curate.smk): the last line of its log gives its wall and CPU seconds and peak memory.
# The system's phases beyond its training binaries (the A-B intermetallic structure types and
# the curated known phases, where the system names a known: folder), relaxed apart from the
# hull so that they relax while the GANs train. Both rules serve two hulls: results/<system>/hull/
# of relax.potential, and with relax.check results/<system>/check/ of the second potential.
rule phases:
    input:
        known=known_table,
    output:
        "results/{system}/{hull}/phases.parquet",
    log:
        "logs/phases/{system}/{hull}.log",
    cache: CACHE_MODE
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS,
        mem_mb=4000,
        runtime=60,
    params:
        system=lambda w: w.system,
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
        known=lambda w, input: f"--known {input.known}" if input.known else "",
        options=lambda w: hull_options("phases", w.hull),
    shell:
        "crystalgan phases --system {params.system} --a {params.a} --b {params.b} {params.known}"
        " --options {params.options} --out {output} --threads {threads} > {log} 2>&1"


rule hull:
    input:
        ah="results/{system}/curated/AH.parquet",
        bh="results/{system}/curated/BH.parquet",
        phases="results/{system}/{hull}/phases.parquet",
    output:
        "results/{system}/{hull}/hull.parquet",
    log:
        "logs/hull/{system}/{hull}.log",
    cache: CACHE_MODE
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS,
        mem_mb=4000,
        runtime=60,
    params:
        system=lambda w: w.system,
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
        options=lambda w: hull_options("hull", w.hull),
    shell:
        "crystalgan hull --ah {input.ah} --bh {input.bh} --phases {input.phases} --system {params.system}"
        " --a {params.a} --b {params.b} --options {params.options}"
        " --out {output} --threads {threads} > {log} 2>&1"
