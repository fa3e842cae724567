rule filter:
    input:
        candidates="results/{system}/{method}/seed{seed}/candidates.npy",
        info="results/{system}/{method}/seed{seed}/candidates.json",
        counts="results/{system}/{method}/seed{seed}/candidates_counts.npy",
        curated="results/{system}/curated/AH.parquet",
        curated_bh="results/{system}/curated/BH.parquet",
        transfer=multiext(
            "results/{system}/seed{seed}/transfer/",
            "AHB_g.npy",
            "AHB_g_counts.npy",
            "BHA_g.npy",
            "BHA_g_counts.npy",
        ),
    output:
        "results/{system}/{method}/seed{seed}/filtered.parquet",
    log:
        "logs/filter/{system}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/filter/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        d1=config["filter"]["d1"],
        d2=config["filter"]["d2"],
    shell:
        "crystalgan filter --candidates $(dirname {input.candidates}) --curated $(dirname {input.curated})"
        " --transfer $(dirname {input.transfer[0]}) --out {output} --d1 {params.d1} --d2 {params.d2}"
        " --threads {threads} > {log} 2>&1"
