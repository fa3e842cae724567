rule curate:
    input:
        ah=lambda w: structure_files(system(w)["AH"]),
        bh=lambda w: structure_files(system(w)["BH"]),
    output:
        ah="results/{system}/curated/AH.parquet",
        bh="results/{system}/curated/BH.parquet",
        rejected="results/{system}/curated/rejected.parquet",
        pairs="results/{system}/curated/pairs.parquet",
    log:
        "logs/curate/{system}.log",
    benchmark:
        "benchmarks/curate/{system}.tsv"
    cache: CACHE
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        ah=lambda w: system(w)["AH"],
        bh=lambda w: system(w)["BH"],
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
        options=as_json(config["curate"]),
    shell:
        "crystalgan curate --ah {params.ah:q} --bh {params.bh:q} --a {params.a} --b {params.b}"
        " --out $(dirname {output.ah}) --options {params.options} > {log} 2>&1"
