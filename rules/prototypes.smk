# The prototype library of a metal that a system names without a folder of its binaries,
# relaxed with the potential when relaxation is enabled. With cache: true this rule is
# eligible for Snakemake's between-workflow cache (then without a benchmark file, as in
# rules/curate.smk).
if CACHE:

    rule prototypes:
        output:
            directory("results/prototypes/{metal}H"),
        log:
            "logs/prototypes/{metal}.log",
        cache: "omit-software"
        conda:
            "../envs/relax.yaml"
        threads: 1
        resources:
            gpu=RELAX_GPUS if RELAX else 0,
            mem_mb=4000,
            runtime=60,
        params:
            relax=prototype_relaxation(),
        shell:
            "crystalgan prototypes --metal {wildcards.metal} --out $(dirname {output})"
            " {params.relax} --threads {threads} > {log} 2>&1"

else:

    rule prototypes:
        output:
            directory("results/prototypes/{metal}H"),
        log:
            "logs/prototypes/{metal}.log",
        benchmark:
            "benchmarks/prototypes/{metal}.tsv"
        conda:
            "../envs/relax.yaml"
        threads: 1
        resources:
            gpu=RELAX_GPUS if RELAX else 0,
            mem_mb=4000,
            runtime=60,
        params:
            relax=prototype_relaxation(),
        shell:
            "crystalgan prototypes --metal {wildcards.metal} --out $(dirname {output})"
            " {params.relax} --threads {threads} > {log} 2>&1"
