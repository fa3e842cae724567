rule transfer:
    input:
        meta="results/{system}/encoded/meta.json",
        rec_a="results/{system}/seed{seed}/stage1/x_AHBA1.npy",
        rec_b="results/{system}/seed{seed}/stage1/y_BHAB1.npy",
        rec_a_counts="results/{system}/seed{seed}/stage1/x_AHBA1_counts.npy",
        rec_b_counts="results/{system}/seed{seed}/stage1/y_BHAB1_counts.npy",
    output:
        ahb="results/{system}/seed{seed}/transfer/AHB_g.npy",
        bha="results/{system}/seed{seed}/transfer/BHA_g.npy",
        ahb_counts="results/{system}/seed{seed}/transfer/AHB_g_counts.npy",
        bha_counts="results/{system}/seed{seed}/transfer/BHA_g_counts.npy",
        counts="results/{system}/seed{seed}/transfer/counts.json",
    log:
        "logs/transfer/{system}/seed{seed}.log",
    benchmark:
        "benchmarks/transfer/{system}/seed{seed}.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        mode=config["transfer"]["mode"],
    shell:
        "crystalgan transfer --encoded $(dirname {input.meta}) --stage1 $(dirname {input.rec_a})"
        " --out $(dirname {output.ahb}) --mode {params.mode} > {log} 2>&1"
