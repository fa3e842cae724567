rule train_stage2:
    input:
        ahb="results/{system}/seed{seed}/transfer/AHB_g.npy",
        bha="results/{system}/seed{seed}/transfer/BHA_g.npy",
        ahb_counts="results/{system}/seed{seed}/transfer/AHB_g_counts.npy",
        bha_counts="results/{system}/seed{seed}/transfer/BHA_g_counts.npy",
    output:
        model="results/{system}/{method}/seed{seed}/stage2/model.json",
        weights="results/{system}/{method}/seed{seed}/stage2/weights.weights.h5",
        losses="results/{system}/{method}/seed{seed}/stage2/losses.parquet",
    log:
        "logs/train_stage2/{system}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/train_stage2/{system}/{method}/seed{seed}.tsv"
    wildcard_constraints:
        method="gan|crystalgan_nogeo|crystalgan",
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
        checkpoints="results/{system}/{method}/seed{seed}/checkpoints/stage2",
    shell:
        "crystalgan train-stage2 --transfer $(dirname {input.ahb}) --method {wildcards.method}"
        " --out $(dirname {output.model}) --checkpoints {params.checkpoints}"
        " --options {params.options} --geometry {params.geometry}"
        " --seed {wildcards.seed} --threads {threads} > {log} 2>&1"
