rule report:
    input:
        filtered=all_filtered,
        losses=all_losses,
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
        summary="results/report/summary.md",
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        "../envs/crystalgan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        d1=config["filter"]["d1"],
        d2=config["filter"]["d2"],
    shell:
        "crystalgan report --filtered {input.filtered} --losses {input.losses}"
        " --out $(dirname {output.table}) --d1 {params.d1} --d2 {params.d2} > {log} 2>&1"
