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
    benchmark:
        "benchmarks/encode/{system}.tsv"
    cache: CACHE
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
    shell:
        "crystalgan encode --curated $(dirname {input.ah}) --out $(dirname {output.ah})"
        " --system {wildcards.system} --a {params.a} --b {params.b} > {log} 2>&1"
