rule report:
    input:
        filtered=all_runs(f"{RUN}/filtered.parquet"),
        neighbours=all_runs(f"{RUN}/neighbours.parquet"),
        losses=all_losses,
        relaxed=all_runs(f"{RUN}/relaxed.parquet") if RELAX else [],
        hulls=(
            expand("results/{system}/hull/hull.parquet", system=SYSTEMS)
            if RELAX
            else []
        ),
        confirmed=all_runs(f"{RUN}/confirmed.parquet") if RELAX and CHECK else [],
    output:
        table=report(
            "results/report/table2.csv",
            caption="../workflow/report/table2.rst",
            category="Table 2",
        ),
        markdown="results/report/table2.md",
        runs="results/report/runs.csv",
        candidates=report(
            "results/report/candidates.csv",
            caption="../workflow/report/candidates.rst",
            category="Valid candidates",
        ),
        neighbours=report(
            "results/report/nearest_neighbours.csv",
            caption="../workflow/report/neighbours.rst",
            category="Valid candidates",
        ),
        distribution=report(
            "results/report/pair_distribution.png",
            caption="../workflow/report/distribution.rst",
            category="Valid candidates",
        ),
        losses=report(
            "results/report/losses.png",
            caption="../workflow/report/losses.rst",
            category="Training",
        ),
        summary=report(
            "results/report/summary.md",
            caption="../workflow/report/summary.rst",
            category="Table 2",
        ),
        discoveries=report(
            "results/report/discoveries.csv",
            caption="../workflow/report/discoveries.rst",
            category="Relaxation",
        ),
        relaxation=report(
            directory("results/report/relaxation"),
            patterns=["{name}.png"],
            caption="../workflow/report/relaxation.rst",
            category="Relaxation",
        ),
    log:
        "logs/report/report.log",
    benchmark:
        "logs/benchmarks/report/report.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        d1=config["filter"]["d1"],
        d2=config["filter"]["d2"],
        relax=relax_options("report"),
    shell:
        "crystalgan report --filtered {input.filtered} --neighbours {input.neighbours}"
        " --losses {input.losses} --relaxed {input.relaxed} --hulls {input.hulls} --confirmed {input.confirmed}"
        " --relax-options {params.relax} --out $(dirname {output.table})"
        " --d1 {params.d1} --d2 {params.d2} > {log} 2>&1"
