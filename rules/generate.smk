rule generate:
    input:
        model=generator_model,
        inputs=generator_inputs,
        meta="results/{system}/encoded/meta.json",
    output:
        candidates="results/{system}/{method}/seed{seed}/candidates.npy",
        counts="results/{system}/{method}/seed{seed}/candidates_counts.npy",
        info="results/{system}/{method}/seed{seed}/candidates.json",
        poscar=directory("results/{system}/{method}/seed{seed}/poscar"),
    log:
        "logs/generate/{system}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/generate/{system}/{method}/seed{seed}.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        samples=config["generate"]["samples"],
        noise=config["generate"]["noise"],
    shell:
        "crystalgan generate --model $(dirname {input.model}) --inputs $(dirname {input.inputs[0]})"
        " --meta {input.meta} --method {wildcards.method} --out $(dirname {output.candidates})"
        " --samples {params.samples} --noise {params.noise} --seed {wildcards.seed} > {log} 2>&1"


rule baseline:
    input:
        encoded=multiext("results/{system}/encoded/", "AH.npy", "BH.npy", "meta.json"),
        transfer=multiext(
            "results/{system}/seed{seed}/transfer/",
            "AHB_g.npy",
            "AHB_g_counts.npy",
            "BHA_g.npy",
            "BHA_g_counts.npy",
        ),
    output:
        candidates="results/{system}/{method}/seed{seed}/candidates.npy",
        counts="results/{system}/{method}/seed{seed}/candidates_counts.npy",
        info="results/{system}/{method}/seed{seed}/candidates.json",
        poscar=directory("results/{system}/{method}/seed{seed}/poscar"),
    log:
        "logs/baseline/{system}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/baseline/{system}/{method}/seed{seed}.tsv"
    wildcard_constraints:
        method="substitution|random",
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        samples=config["generate"]["samples"],
    shell:
        "crystalgan baseline --method {wildcards.method} --encoded $(dirname {input.encoded[0]})"
        " --transfer $(dirname {input.transfer[0]}) --out $(dirname {output.candidates})"
        " --samples {params.samples} --seed {wildcards.seed} > {log} 2>&1"
