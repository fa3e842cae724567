rule filter_part:
    input:
        candidates="results/{system}/{method}/seed{seed}/candidates.npy",
        counts="results/{system}/{method}/seed{seed}/candidates_counts.npy",
        info="results/{system}/{method}/seed{seed}/candidates.json",
        curated=multiext("results/{system}/curated/", "AH.parquet", "BH.parquet"),
    output:
        temp("results/{system}/{method}/seed{seed}/filter_parts/{scatteritem}.parquet"),
    log:
        "logs/filter_part/{system}/{method}/seed{seed}/{scatteritem}.log",
    benchmark:
        "benchmarks/filter_part/{system}/{method}/seed{seed}/{scatteritem}.tsv"
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
        "crystalgan filter-part --candidates $(dirname {input.candidates}) --curated $(dirname {input.curated[0]})"
        " --part {wildcards.scatteritem} --out {output} --d1 {params.d1} --d2 {params.d2}"
        " --threads {threads} > {log} 2>&1"


rule filter:
    input:
        # With filter.parts = 1 the filter judges every candidate itself (no filter_part job).
        parts=(
            gather.filter(
                "results/{{system}}/{{method}}/seed{{seed}}/filter_parts/{scatteritem}.parquet"
            )
            if FILTER_PARTS > 1
            else []
        ),
        candidates="results/{system}/{method}/seed{seed}/candidates.npy",
        curated=multiext("results/{system}/curated/", "AH.parquet", "BH.parquet"),
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
    threads: 1 if FILTER_PARTS > 1 else 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        d1=config["filter"]["d1"],
        d2=config["filter"]["d2"],
    shell:
        "crystalgan filter --candidates $(dirname {input.candidates}) --curated $(dirname {input.curated[0]})"
        " --transfer $(dirname {input.transfer[0]}) --parts {input.parts} --out {output}"
        " --d1 {params.d1} --d2 {params.d2} --threads {threads} > {log} 2>&1"
