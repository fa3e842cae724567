# With cache: true this rule is eligible for Snakemake's between-workflow cache. Snakemake
# allows no benchmark file there (a result taken from the cache has no run time), so that
# variant has none; its log keeps the timings.
if CACHE:

    rule hull:
        input:
            ah="results/{system}/curated/AH.parquet",
            bh="results/{system}/curated/BH.parquet",
        output:
            "results/{system}/hull/hull.parquet",
        log:
            "logs/hull/{system}.log",
        cache: "omit-software"
        conda:
            "../envs/relax.yaml"
        threads: 1
        resources:
            gpu=RELAX_GPUS,
            mem_mb=4000,
            runtime=60,
        params:
            a=lambda w: system(w)["A"],
            b=lambda w: system(w)["B"],
            options=relax_options("hull"),
        shell:
            "crystalgan hull --ah {input.ah} --bh {input.bh} --a {params.a} --b {params.b}"
            " --options {params.options}"
            " --out {output} --threads {threads} > {log} 2>&1"

else:

    rule hull:
        input:
            ah="results/{system}/curated/AH.parquet",
            bh="results/{system}/curated/BH.parquet",
        output:
            "results/{system}/hull/hull.parquet",
        log:
            "logs/hull/{system}.log",
        benchmark:
            "benchmarks/hull/{system}.tsv"
        conda:
            "../envs/relax.yaml"
        threads: 1
        resources:
            gpu=RELAX_GPUS,
            mem_mb=4000,
            runtime=60,
        params:
            a=lambda w: system(w)["A"],
            b=lambda w: system(w)["B"],
            options=relax_options("hull"),
        shell:
            "crystalgan hull --ah {input.ah} --bh {input.bh} --a {params.a} --b {params.b}"
            " --options {params.options}"
            " --out {output} --threads {threads} > {log} 2>&1"
