rule transfer:
    input:
        meta="results/{system}/encoded/meta.json",
        ah=domain("results/{system}/encoded", "AH"),
        bh=domain("results/{system}/encoded", "BH"),
        rec_a=domain("results/{system}/seed{seed}/stage1", "x_AHBA1"),
        rec_b=domain("results/{system}/seed{seed}/stage1", "y_BHAB1"),
    output:
        ahb=domain(TRANSFER, "AHB_g"),
        bha=domain(TRANSFER, "BHA_g"),
        counts=f"{TRANSFER}/counts.json",
    log:
        "logs/transfer/{system}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/transfer/{system}/seed{seed}.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        mode=config["transfer"]["mode"],
        ternaries=transfer_ternaries(),
    shell:
        "crystalgan transfer --meta {input.meta} --ah {input.ah} --bh {input.bh}"
        " --rec-a {input.rec_a} --rec-b {input.rec_b} --out $(dirname {output.counts})"
        " --mode {params.mode} {params.ternaries} > {log} 2>&1"
