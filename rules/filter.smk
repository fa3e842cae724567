# The filter reads the run's candidates as tensors (candidates.npy and its counts), never the
# POSCAR files of its poscar/ folder: the poscar column of filtered.parquet names each
# candidate's file there (poscar/cand_<k>.vasp beside candidates.npy, written by generate or
# baseline) as a path only, so the folder is no input of these rules.
rule filter_part:
    input:
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        curated=multiext("results/{system}/curated/", "AH.parquet", "BH.parquet"),
    output:
        temp(f"{RUN}/filter_parts/{{scatteritem}}.parquet"),
    log:
        "logs/filter_part/{system}/{method}/seed{seed}/{scatteritem}.log",
    benchmark:
        "logs/benchmarks/filter_part/{system}/{method}/seed{seed}/{scatteritem}.tsv"
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
        "crystalgan filter-part --candidates {input.candidates} --counts {input.counts} --info {input.info}"
        " --curated {input.curated} --part {wildcards.scatteritem} --out {output}"
        " --d1 {params.d1} --d2 {params.d2} --threads {threads} > {log} 2>&1"


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
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        curated=multiext("results/{system}/curated/", "AH.parquet", "BH.parquet"),
        ahb=domain(TRANSFER, "AHB_g"),
        bha=domain(TRANSFER, "BHA_g"),
    output:
        filtered=f"{RUN}/filtered.parquet",
        neighbours=f"{RUN}/neighbours.parquet",
    log:
        "logs/filter/{system}/{method}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/filter/{system}/{method}/seed{seed}.tsv"
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
        "crystalgan filter --candidates {input.candidates} --counts {input.counts} --info {input.info}"
        " --curated {input.curated} --ahb {input.ahb} --bha {input.bha} --parts {input.parts}"
        " --out {output.filtered} --neighbours {output.neighbours}"
        " --d1 {params.d1} --d2 {params.d2} --threads {threads} > {log} 2>&1"
