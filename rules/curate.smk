# The rule declares the readable files of a system's folders as inputs, so that an edited file
# reruns curation, and passes the folders themselves (or the prototype library the workflow
# builds), so that their other entries named like structure files (folders, broken links)
# become rows of rejected.parquet.
#
# With cache: true in the config this rule is eligible for Snakemake's between-workflow cache.
# Snakemake allows no benchmark file on such a rule (a result taken from the cache has no run
# time), so it has none either way: the last line of its log gives the wall and CPU seconds
# and the peak memory of the job.
rule curate:
    input:
        ah=system_files("AH"),
        bh=system_files("BH"),
    output:
        ah="results/{system}/curated/AH.parquet",
        bh="results/{system}/curated/BH.parquet",
        rejected="results/{system}/curated/rejected.parquet",
        pairs="results/{system}/curated/pairs.parquet",
    log:
        "logs/curate/{system}.log",
    cache: CACHE_MODE
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        ah=lambda w: system(w).get("AH", f"results/prototypes/{system(w)['A']}H"),
        bh=lambda w: system(w).get("BH", f"results/prototypes/{system(w)['B']}H"),
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
        options=as_json(config["curate"]),
    shell:
        "crystalgan curate --ah {params.ah:q} --bh {params.bh:q} --a {params.a} --b {params.b}"
        " --out $(dirname {output.ah}) --options {params.options} > {log} 2>&1"


# The known phases of a system (its known: folder of structure files of the chemical system:
# binaries, intermetallics, ternaries), read like the binaries, with their own rejections.
rule known:
    input:
        system_files("known"),
    output:
        known="results/{system}/known/known.parquet",
        rejected="results/{system}/known/rejected.parquet",
    log:
        "logs/known/{system}.log",
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        folder=lambda w: system(w)["known"],
        a=lambda w: system(w)["A"],
        b=lambda w: system(w)["B"],
        options=as_json(config["curate"]),
    shell:
        "crystalgan known --folder {params.folder:q} --a {params.a} --b {params.b}"
        " --out $(dirname {output.known}) --options {params.options} > {log} 2>&1"
