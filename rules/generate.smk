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
