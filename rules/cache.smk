# Snakemake refuses benchmark files on rules eligible for its between-workflow cache (a
# result taken from the cache has no run time), so with cache: true the cached rules drop
# theirs; their logs still give the run time.
if config["cache"]:
    for cached in (rules.curate, rules.encode, rules.train_stage1):
        cached.rule._benchmark = None
