rule train_stage2:
    input:
        ahb="results/{system}/seed{seed}/transfer/AHB_g.npy",
        bha="results/{system}/seed{seed}/transfer/BHA_g.npy",
    output:
        model="results/{system}/{method}/seed{seed}/stage2/model.json",
        weights="results/{system}/{method}/seed{seed}/stage2/weights.weights.h5",
        losses="results/{system}/{method}/seed{seed}/stage2/losses.parquet",
    wildcard_constraints:
        method="gan|crystalgan_nogeo|crystalgan",
    params:
        options=as_json(config["train"]),
        geometry=as_json(config["geometry"]),
        checkpoints="results/{system}/{method}/seed{seed}/checkpoints/stage2",
    log:
        "logs/train_stage2/{system}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/train_stage2/{system}/{method}/seed{seed}.tsv"
    threads: 2
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/crystalgan-gpu.yaml"
    shell:
        "crystalgan train-stage2 --transfer $(dirname {input.ahb}) --method {wildcards.method}"
        " --out $(dirname {output.model}) --checkpoints {params.checkpoints}"
        " --options {params.options} --geometry {params.geometry}"
        " --seed {wildcards.seed} --threads {threads} > {log} 2>&1"
