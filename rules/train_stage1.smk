# Eligible for the between-workflow cache with cache: true, so without a benchmark file (as
# rules/curate.smk): the last line of its log gives its wall and CPU seconds and peak memory.
rule train_stage1:
    input:
        ah=domain("results/{system}/encoded", "AH"),
        bh=domain("results/{system}/encoded", "BH"),
        meta="results/{system}/encoded/meta.json",
    output:
        model="results/{system}/seed{seed}/stage1/model.json",
        weights="results/{system}/seed{seed}/stage1/weights.weights.h5",
        losses="results/{system}/seed{seed}/stage1/losses.parquet",
        x_ahb1="results/{system}/seed{seed}/stage1/x_AHB1.npy",
        x_ahba1="results/{system}/seed{seed}/stage1/x_AHBA1.npy",
        y_bha1="results/{system}/seed{seed}/stage1/y_BHA1.npy",
        y_bhab1="results/{system}/seed{seed}/stage1/y_BHAB1.npy",
        x_ahb1_counts="results/{system}/seed{seed}/stage1/x_AHB1_counts.npy",
        x_ahba1_counts="results/{system}/seed{seed}/stage1/x_AHBA1_counts.npy",
        y_bha1_counts="results/{system}/seed{seed}/stage1/y_BHA1_counts.npy",
        y_bhab1_counts="results/{system}/seed{seed}/stage1/y_BHAB1_counts.npy",
    log:
        "logs/train_stage1/{system}/seed{seed}.log",
    cache: CACHE_MODE
    conda:
        "../envs/crystalgan-gpu.yaml"
    threads: 1
    resources:
        gpu=TRAINING_GPUS,
        mem_mb=4000,
        runtime=60,
    params:
        options=as_json(stage1_options(config["train"])),
        checkpoints="results/{system}/seed{seed}/checkpoints/stage1",
        seed=lambda w: w.seed,
    shell:
        "crystalgan train-stage1 --ah {input.ah} --bh {input.bh} --meta {input.meta}"
        " --out $(dirname {output.model})"
        " --checkpoints {params.checkpoints} --options {params.options}"
        " --seed {params.seed} --threads {threads} > {log} 2>&1"
