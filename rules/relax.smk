rule relax:
    input:
        filtered=f"{RUN}/filtered.parquet",
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        hull="results/{system}/hull/hull.parquet",
    output:
        relaxed=f"{RUN}/relaxed.parquet",
        structures=directory(f"{RUN}/relaxed"),
    log:
        "logs/relax/{system}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/relax/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=TRAINING_GPUS,
        mem_mb=4000,
        runtime=120,
    params:
        options=as_json(config["relax"]),
    shell:
        "crystalgan relax --filtered {input.filtered} --candidates {input.candidates} --counts {input.counts}"
        " --info {input.info} --hull {input.hull} --out {output.relaxed} --structures {output.structures}"
        " --options {params.options} --threads {threads} > {log} 2>&1"
