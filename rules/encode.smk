# Eligible for the between-workflow cache with cache: true, so without a benchmark file (as
# rules/curate.smk): the last line of its log gives its wall and CPU seconds and peak memory.
rule encode:
    input:
        ah="results/{system}/curated/AH.parquet",
        bh="results/{system}/curated/BH.parquet",
        pairs="results/{system}/curated/pairs.parquet",
    output:
        ah="results/{system}/encoded/AH.npy",
        bh="results/{system}/encoded/BH.npy",
        ah_counts="results/{system}/encoded/AH_counts.npy",
        bh_counts="results/{system}/encoded/BH_counts.npy",
        ah_long="results/{system}/encoded/AH.parquet",
        bh_long="results/{system}/encoded/BH.parquet",
        meta="results/{system}/encoded/meta.json",
    log:
        "logs/encode/{system}.log",
    cache: CACHE_MODE
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        system=lambda w: w.system,
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
    shell:
        "crystalgan encode --ah {input.ah} --bh {input.bh} --pairs {input.pairs}"
        " --out $(dirname {output.ah}) --system {params.system} --a {params.a} --b {params.b}"
        " > {log} 2>&1"
