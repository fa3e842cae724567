# With relax.parts > 1 a run's relaxation is scattered: shortlist, then one relax_part job per
# part, gathered by relax (as filter_part and filter); with one part, relax does it all.
rule shortlist:
    input:
        filtered=f"{RUN}/filtered.parquet",
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        hull="results/{system}/hull/hull.parquet",
    output:
        f"{RUN}/shortlist.parquet",
    log:
        "logs/shortlist/{system}/{method}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/shortlist/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS,
        mem_mb=4000,
        runtime=60,
    params:
        options=relax_options("shortlist"),
    shell:
        "crystalgan shortlist --filtered {input.filtered} --candidates {input.candidates} --counts {input.counts}"
        " --info {input.info} --hull {input.hull} --out {output} --options {params.options}"
        " --threads {threads} > {log} 2>&1"


rule relax_part:
    input:
        shortlist=f"{RUN}/shortlist.parquet",
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        hull="results/{system}/hull/hull.parquet",
    output:
        temp(directory(f"{RUN}/relax_parts/{{scatteritem}}")),
    log:
        "logs/relax_part/{system}/{method}/seed{seed}/{scatteritem}.log",
    benchmark:
        "logs/benchmarks/relax_part/{system}/{method}/seed{seed}/{scatteritem}.tsv"
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS,
        mem_mb=4000,
        runtime=120,
    params:
        options=relax_options("relax_part"),
    shell:
        "crystalgan relax-part --shortlist {input.shortlist} --candidates {input.candidates}"
        " --counts {input.counts} --info {input.info} --hull {input.hull} --part {wildcards.scatteritem}"
        " --out {output} --options {params.options} --threads {threads} > {log} 2>&1"


rule relax:
    input:
        shortlist=f"{RUN}/shortlist.parquet" if RELAX_PARTS > 1 else [],
        parts=(
            gather.relax(
                "results/{{system}}/{{method}}/seed{{seed}}/relax_parts/{scatteritem}"
            )
            if RELAX_PARTS > 1
            else []
        ),
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
        "logs/benchmarks/relax/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS,
        mem_mb=4000,
        runtime=120,
    params:
        options=relax_options("gather" if RELAX_PARTS > 1 else "relax"),
    shell:
        "crystalgan relax --filtered {input.filtered} --candidates {input.candidates} --counts {input.counts}"
        " --info {input.info} --hull {input.hull} --shortlist {input.shortlist} --parts {input.parts}"
        " --out {output.relaxed} --structures {output.structures}"
        " --options {params.options} --threads {threads} > {log} 2>&1"


# With relax.check: a run's S.U.N. crystals re-relaxed with the second potential against its hull.
rule confirm:
    input:
        relaxed=f"{RUN}/relaxed.parquet",
        hull="results/{system}/check/hull.parquet",
    output:
        f"{RUN}/confirmed.parquet",
    log:
        "logs/confirm/{system}/{method}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/confirm/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/relax.yaml"
    threads: 1
    resources:
        gpu=RELAX_GPUS,
        mem_mb=4000,
        runtime=60,
    params:
        options=relax_options("confirm"),
    shell:
        "crystalgan confirm --relaxed {input.relaxed} --hull {input.hull} --out {output}"
        " --options {params.options} --threads {threads} > {log} 2>&1"
