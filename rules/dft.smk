# The DFT hand-off of a system: MPRelaxSet inputs (INCAR, KPOINTS, POSCAR, POTCAR.spec) of every
# distinct S.U.N. crystal of its campaign list, pooled over its runs' relaxed tables.
rule dft:
    input:
        relaxed=lambda w: expand(
            f"{RUN}/relaxed.parquet",
            system=w.system,
            method=config["methods"],
            seed=config["seeds"],
        ),
    output:
        directory("results/{system}/dft"),
    log:
        "logs/dft/{system}.log",
    benchmark:
        "logs/benchmarks/dft/{system}.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    shell:
        "crystalgan dft --relaxed {input.relaxed} --out {output} > {log} 2>&1"
