rule train_stage2:
    input:
        ahb=domain(TRANSFER, "AHB_g"),
        bha=domain(TRANSFER, "BHA_g"),
        curated=multiext("results/{system}/curated/", "AH.parquet", "BH.parquet"),
        meta="results/{system}/encoded/meta.json",
    output:
        model=f"{RUN}/stage2/model.json",
        weights=f"{RUN}/stage2/weights.weights.h5",
        losses=f"{RUN}/stage2/losses.parquet",
    log:
        "logs/train_stage2/{system}/{method}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/train_stage2/{system}/{method}/seed{seed}.tsv"
    wildcard_constraints:
        method=one_of(STAGE2),
    conda:
        "../envs/crystalgan-gpu.yaml"
    threads: 1
    resources:
        gpu=TRAINING_GPUS,
        mem_mb=4000,
        runtime=60,
    params:
        options=stage2_options,
        geometry=stage2_geometry,
        checkpoints=f"{RUN}/checkpoints/stage2",
    shell:
        "crystalgan train-stage2 --ahb {input.ahb} --bha {input.bha} --method {wildcards.method}"
        " --out $(dirname {output.model}) --checkpoints {params.checkpoints}"
        " --options {params.options} --geometry {params.geometry}"
        " --curated {input.curated} --meta {input.meta}"
        " --seed {wildcards.seed} --threads {threads} > {log} 2>&1"
