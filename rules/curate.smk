# The rule declares the readable files of a system's folders as inputs, so that an edited file
# reruns curation, and passes the folders themselves (or the prototype library the workflow
# builds), so that their other entries named like structure files (folders, broken links)
# become rows of rejected.parquet.
#
# With cache: true this rule is eligible for Snakemake's between-workflow cache. Snakemake
# allows no benchmark file there (a result taken from the cache has no run time), so that
# variant has none; its log keeps the timings.
if CACHE:

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
        cache: "omit-software"
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

else:

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
        benchmark:
            "benchmarks/curate/{system}.tsv"
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
