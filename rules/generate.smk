rule generate:
    input:
        unpack(generator_model),
        unpack(generator_inputs),
        meta="results/{system}/encoded/meta.json",
    output:
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        poscar=directory(f"{RUN}/poscar"),
    log:
        "logs/generate/{system}/{method}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/generate/{system}/{method}/seed{seed}.tsv"
    wildcard_constraints:
        method=one_of(GENERATORS),
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        samples=config["generate"]["samples"],
        noise=config["generate"]["noise"],
        merge=config["generate"]["merge"],
    shell:
        "crystalgan generate --model {input.model} --weights {input.weights}"
        " --input-a {input.a} --input-b {input.b} --meta {input.meta} --method {wildcards.method}"
        " --out $(dirname {output.candidates}) --samples {params.samples} --noise {params.noise}"
        " --merge {params.merge} --seed {wildcards.seed} > {log} 2>&1"


rule baseline:
    input:
        meta="results/{system}/encoded/meta.json",
        ah=domain("results/{system}/encoded", "AH"),
        bh=domain("results/{system}/encoded", "BH"),
    output:
        candidates=f"{RUN}/candidates.npy",
        counts=f"{RUN}/candidates_counts.npy",
        info=f"{RUN}/candidates.json",
        poscar=directory(f"{RUN}/poscar"),
    log:
        "logs/baseline/{system}/{method}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/baseline/{system}/{method}/seed{seed}.tsv"
    wildcard_constraints:
        method=one_of(BASELINES),
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        samples=config["generate"]["samples"],
        compositions=baseline_compositions,
    shell:
        "crystalgan baseline --method {wildcards.method} --meta {input.meta} --ah {input.ah} --bh {input.bh}"
        " --out $(dirname {output.candidates}) --samples {params.samples} {params.compositions}"
        " --seed {wildcards.seed} > {log} 2>&1"
