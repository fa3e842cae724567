"""The workflow as users run it: config validation, lint, format, a small end-to-end run,
single-stage reruns (dry-run job lists) and the HTML report."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pymatgen.core import Structure

from conftest import ROOT, SHIPPED

BIN = Path(sys.executable).parent
SNAKEMAKE = [str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile")]
# Local runs need no cluster: without this, the slurm plugin's start-up probe
# ('scontrol show config') waits 10 s wherever a SLURM client is installed but no
# controller answers (e.g. after the SLURM test stopped its cluster).
LOCAL_ENV = {**os.environ, "SLURM_CONF": os.devnull}
CACHEABLE = ("curate", "encode", "train_stage1", "hull", "prototypes")  # rules without a benchmark file
DONE_LINE = re.compile(r"done: wall [\d.]+ s, CPU [\d.]+ s, peak memory \d+ MB")


def small_config(folder: Path, **sections) -> Path:
    config = {
        "systems": [{"name": "MgTiH", "A": "Mg", "B": "Ti", "AH": str(SHIPPED / "MgH"), "BH": str(SHIPPED / "TiH")}],
        "methods": ["gan", "discogan", "crystalgan_nogeo", "crystalgan"],
        "train": {"epochs": 3, "checkpoint_every": 1, "hidden_layers": 2, "hidden_units": 32},
        "generate": {"samples": 12},
        "relax": {"enabled": False},  # the relaxation test below turns it on, on a few structures
    }
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(workdir: Path, *args, check=True, config: Path | None = None) -> subprocess.CompletedProcess:
    cmd = SNAKEMAKE + ["-d", str(workdir), "--configfile", str(config or workdir / "config.yaml"), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=LOCAL_ENV)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done


def results(table2: Path) -> pd.DataFrame:
    """A Table 2 without what a run cost (CPU time differs between identical runs)."""
    table = pd.read_csv(table2)
    return table[[c for c in table.columns if "cpu" not in c]]


def planned_jobs(workdir: Path, *args, config: Path | None = None) -> dict[str, int]:
    """Job counts per rule of a dry run."""
    out = snakemake(workdir, "-n", "--quiet", "rules", *args, config=config).stdout
    jobs = {}
    for line in out.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m.group(1) not in ("total", "job", "count"):
            jobs[m.group(1)] = int(m.group(2))
    return jobs


def dry_run_commands(workdir: Path, config: Path) -> str:
    """The shell commands of a dry run."""
    done = snakemake(workdir, "-n", "--printshellcmds", config=config)
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "section,value,message",
    [
        ({"methods": ["crystalgan", "vae"]}, None, "methods[1]: 'vae' is not a method (one of gan, discogan"),
        ({"geometry": {"d1": 3.0, "d2": 1.8}}, None, "geometry: d1 = 3.0 must be smaller than d2 = 1.8"),
        ({"filter": {"d1": 2.0, "d2": 2.0}}, None, "filter: d1 = 2.0 must be smaller than d2 = 2.0"),
        ({"train": {"epochs": -5}}, None, "-5"),
        (
            {"systems": [{"name": "S", "A": "Pd", "B": "Ni", "AH": "/no/such/folder", "BH": str(SHIPPED / "NiH")}]},
            None,
            "systems[0].AH: folder '/no/such/folder' does not exist",
        ),
        (
            {"systems": [{"name": "S", "A": "Qq", "B": "Ni", "AH": str(SHIPPED / "PdH"), "BH": str(SHIPPED / "NiH")}]},
            None,
            "systems[0].A: 'Qq' is not an element symbol",
        ),
        ({"systems": [{"name": "S", "A": "Ar", "B": "Ni"}]}, None, "systems[0].A: Ar is a noble gas, not a metal"),
        ({"systems": [{"name": "S", "A": "Pd", "B": "H"}]}, None, "systems[0].B: H is the hydrogen of every system"),
        ({"systems": [{"name": "S", "A": "Fe", "B": "Fe"}]}, None, "systems[0]: A and B are both Fe"),
        ({"systems": [{"name": "S", "A": "Si", "B": "Fe"}]}, None, "systems[0].A: Si is not a metal"),
        ({"train": {"augment": ["shear"]}}, None, "shear"),
        ({"geometry": {"target": "median"}}, None, "median"),
        ({"relax": {"check": "chgnet"}}, None, "relax.check: chgnet is relax.potential already"),
        ({"relax": {"potential": "mace"}}, None, "relax.potential: 'mace' is not one of ['chgnet', '7net-0'"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, section, value, message):
    config = small_config(tmp_path, **section)
    done = snakemake(tmp_path, "-n", check=False, config=config)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()


def test_every_registered_method_is_wired_through_the_registry(tmp_path):
    from crystalgan.methods import BASELINES, GENERATORS, METHODS, STAGE2

    config = small_config(tmp_path, methods=list(METHODS))
    jobs = planned_jobs(tmp_path, config=config)
    assert jobs["train_stage2"] == len(STAGE2) == 3
    assert jobs["generate"] == len(GENERATORS) and jobs["baseline"] == len(BASELINES) == 3
    assert jobs["filter"] == len(METHODS)
    listed = subprocess.run([str(BIN / "crystalgan"), "methods"], capture_output=True, text=True, check=True).stdout
    assert [line.split()[0] for line in listed.splitlines()] == list(METHODS)


def test_defaults_come_from_the_schema_alone():
    from crystalgan.cli import build_parser
    from crystalgan.config import SCHEMA, defaults

    schema = yaml.safe_load(SCHEMA.read_text())
    assert SCHEMA.resolve() == (ROOT / "workflow" / "schemas" / "config.schema.yaml").resolve()
    d = defaults()
    assert d["filter"]["d1"] == schema["properties"]["filter"]["properties"]["d1"]["default"]
    assert (
        d["train"]["lambdas"]["l5"]
        == schema["properties"]["train"]["properties"]["lambdas"]["properties"]["l5"]["default"]
    )
    parser = build_parser()
    args = parser.parse_args(
        [
            "generate",
            "--model",
            "m",
            "--weights",
            "w",
            "--input-a",
            "a",
            "b",
            "--input-b",
            "c",
            "d",
            "--meta",
            "m",
            "--method",
            "crystalgan",
            "--out",
            "o",
        ]
    )
    assert (args.samples, args.noise) == (d["generate"]["samples"], d["generate"]["noise"])
    args = parser.parse_args(
        [
            "train-stage2",
            "--ahb",
            "a",
            "b",
            "--bha",
            "c",
            "d",
            "--method",
            "crystalgan",
            "--out",
            "o",
            "--checkpoints",
            "k",
            "--options",
            "{}",
        ]
    )
    assert args.geometry == d["geometry"]


def test_lint_and_format_are_clean():
    lint = subprocess.run(SNAKEMAKE + ["--lint"], capture_output=True, text=True, cwd=ROOT, env=LOCAL_ENV)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    fmt = subprocess.run([str(BIN / "snakefmt"), "--check", "."], capture_output=True, text=True, cwd=ROOT)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("run")
    small_config(workdir)
    snakemake(workdir, "--cores", "2", "--resources", "gpu=1")
    return workdir


@pytest.mark.slow
def test_end_to_end_run_produces_table_poscars_and_plots(finished_run):
    report = finished_run / "results" / "report"
    table = pd.read_csv(report / "table2.csv")
    assert table["method"].tolist() == ["gan", "discogan", "crystalgan_nogeo", "crystalgan"]
    assert (table["n_candidates_mean"] == 12).all()
    assert table.loc[table["method"] == "discogan", "n_ternary_mean"].item() == 0
    assert table.loc[table["method"] == "crystalgan", "paper_n_valid"].item() == 8  # Mg-Ti-H
    poscars = list((finished_run / "results" / "MgTiH" / "crystalgan" / "seed0" / "poscar").glob("*.vasp"))
    assert len(poscars) == 12
    for name in ("pair_distribution.png", "losses.png", "nearest_neighbours.csv", "table2.md"):
        assert (report / name).stat().st_size > 0
    for rule in ("curate", "encode", "train_stage1", "transfer", "train_stage2", "generate", "filter", "report"):
        logs = list((finished_run / "logs" / rule).rglob("*.log"))
        assert logs, f"no log for {rule}"
        if rule in CACHEABLE:  # no benchmark file on a cacheable rule: its log's last line times it
            assert DONE_LINE.search(logs[0].read_text()), f"no timing in {logs[0]}"
        else:
            assert list((finished_run / "logs" / "benchmarks" / rule).rglob("*.tsv")), f"no benchmark for {rule}"
    log = (finished_run / "logs" / "train_stage1" / "MgTiH" / "seed0.log").read_text()
    assert "on CPU" in log and "epoch 3/3" in log
    for path in (finished_run / "logs").rglob("*.log"):  # no TensorFlow start-up noise (cuInit "errors")
        assert not re.search(r"^[IWE]\d{4} |cuInit|absl::InitializeLog", path.read_text(), re.M), path
    assert re.search(r"train-stage1 done: wall [\d.]+ s, CPU [\d.]+ s", log)  # read by paper_table2.py


@pytest.mark.slow
def test_single_stage_reruns(finished_run, tmp_path):
    assert planned_jobs(finished_run) == {}, "nothing changed: nothing to run"
    changed = small_config(tmp_path, filter={"d1": 1.7})
    assert planned_jobs(finished_run, config=changed) == {"filter": 4, "report": 1, "all": 1}
    changed = small_config(tmp_path, geometry={"d2": 3.2})
    assert planned_jobs(finished_run, config=changed) == {
        "train_stage2": 1,
        "generate": 1,
        "filter": 1,
        "report": 1,
        "all": 1,
    }
    changed = small_config(tmp_path, train={"lambdas": {"l5": 2.0}})
    assert planned_jobs(finished_run, config=changed) == {
        "train_stage2": 1,
        "generate": 1,
        "filter": 1,
        "report": 1,
        "all": 1,
    }
    # stage 1 and discogan's candidates stay; every filter judges novelty against the stage-2 sets
    changed = small_config(tmp_path, transfer={"ternaries": ["perovskite"]})
    assert planned_jobs(finished_run, config=changed) == {
        "transfer": 1,
        "train_stage2": 3,
        "generate": 3,
        "filter": 4,
        "report": 1,
        "all": 1,
    }
    assert planned_jobs(finished_run, "--forcerun", "generate") == {"generate": 4, "filter": 4, "report": 1, "all": 1}
    changed = small_config(tmp_path, filter={"parts": 3})  # scatter the filter: 3 parts per run
    assert planned_jobs(finished_run, config=changed) == {"filter_part": 12, "filter": 4, "report": 1, "all": 1}


def declared_job(workdir: Path, target: str) -> tuple[str, list[str]]:
    """The rule and the declared input files of the job that makes ``target``, from a forced dry run."""
    out = snakemake(workdir, "-n", "-f", target).stdout
    job = re.search(r"^rule (\w+):\n((?:\s+\S.*\n)+)", out, re.M)
    inputs = re.search(r"^\s+input: (.*)$", job.group(2), re.M).group(1)
    return job.group(1), [p.strip() for p in inputs.split(",")]


@pytest.mark.slow
@pytest.mark.parametrize(
    "target",
    [
        "results/MgTiH/seed0/transfer/counts.json",
        "results/MgTiH/crystalgan/seed0/candidates.npy",
        "results/MgTiH/discogan/seed0/candidates.npy",
        "results/MgTiH/crystalgan/seed0/filtered.parquet",
        "results/report/table2.csv",
    ],
)
def test_a_job_runs_with_nothing_but_its_declared_inputs(finished_run, tmp_path, target):
    """Data flows one way through declared files: a job's command, run in a folder holding only
    the inputs its rule declares, writes the same outputs as in the full run."""
    rule, inputs = declared_job(finished_run, target)
    bare = tmp_path / "bare"
    for name in inputs:
        assert not (finished_run / name).is_dir(), f"{rule} declares a folder: {name}"
        (bare / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(finished_run / name, bare / name)
    shutil.copy(finished_run / "config.yaml", bare / "config.yaml")
    snakemake(bare, "--cores", "1", target, "--allowed-rules", rule)
    produced = sorted(p.relative_to(bare) for p in (bare / "results").rglob("*") if p.is_file())
    assert Path(target) in produced
    if target.endswith(".parquet") or target.endswith(".csv"):
        read = pd.read_parquet if target.endswith(".parquet") else pd.read_csv
        pd.testing.assert_frame_equal(read(bare / target), read(finished_run / target))


def test_relaxation_is_in_the_dag_only_when_enabled(tmp_path):
    off = planned_jobs(tmp_path, config=small_config(tmp_path))
    assert "hull" not in off and "relax" not in off
    on = planned_jobs(tmp_path, config=small_config(tmp_path, relax={"enabled": True}))
    assert on["hull"] == 1 and on["relax"] == 4 and on["filter"] == 4
    assert on["phases"] == 1 and on["dft"] == 1 and "known" not in on
    known = {"name": "MgFeH", "A": "Mg", "B": "Fe", "known": str(ROOT / "benchmarks" / "known" / "MgFeH")}
    with_known = planned_jobs(tmp_path, config=small_config(tmp_path, systems=[known], relax={"enabled": True}))
    assert with_known["known"] == 1 and with_known["phases"] == 1 and with_known["prototypes"] == 2
    checked = small_config(tmp_path, relax={"enabled": True, "check": "7net-0"})
    assert planned_jobs(tmp_path, config=checked) == {**on, "phases": 2, "hull": 2, "confirm": 4}
    shell = dry_run_commands(tmp_path, checked)
    assert re.search(r"crystalgan hull .*--out results/MgTiH/check/hull.parquet", shell)
    for hull, potential in (("hull", "chgnet"), ("check", "7net-0")):
        (command,) = [c for c in shell.splitlines() if f"results/MgTiH/{hull}/phases.parquet" in c and " phases " in c]
        assert f'"potential": "{potential}"' in command, command


@pytest.mark.slow
def test_a_pair_without_folders_builds_relaxes_and_reports_its_prototypes(tmp_path):
    """Fe-Ti-H (not shipped) from one config line, relaxation on: the prototype libraries
    relaxed with the potential, the hull per system, relaxed.parquet per run, Table 2 with the
    physical columns and S.U.N. per CPU minute, and the relaxation plots."""
    pytest.importorskip("chgnet", reason="the relax extra is not installed: pip install -e '.[relax]'")
    from crystalgan.core.structures import spacegroup
    from crystalgan.data.prototypes import PROTOTYPES

    config = small_config(
        tmp_path,
        systems=[{"name": "FeTiH", "A": "Fe", "B": "Ti"}],
        methods=["crystalgan", "substitution"],
        relax={"enabled": True, "max_per_run": 2, "steps": 10, "check": "7net-0"},
    )
    snakemake(tmp_path, "--cores", "2", "--resources", "gpu=1", config=config)
    library = {f"{i:02d}_{p.name}.vasp": p for i, p in enumerate(PROTOTYPES)}
    for metal in ("Fe", "Ti"):
        folder = tmp_path / "results" / "prototypes" / f"{metal}H"
        files = sorted(folder.glob("*.vasp"))
        assert len(files) >= 30 and {f.name for f in files} <= set(library)
        for f in files[:5]:
            relaxed = Structure.from_file(f)
            assert "relaxed with chgnet" in f.read_text().splitlines()[0]
            assert spacegroup(relaxed) == spacegroup(library[f.name].structure(metal)), f.name
    curated = pd.read_parquet(tmp_path / "results" / "FeTiH" / "curated" / "AH.parquet")
    assert len(curated) >= 30
    hull = pd.read_parquet(tmp_path / "results" / "FeTiH" / "hull" / "hull.parquet")
    assert (hull["kind"] == "binary").sum() >= 60 and hull["energy_per_atom"].notna().all()
    # the binaries arrive relaxed: the hull's second relaxation of them has little left to do
    assert hull.loc[hull["kind"] == "binary", "steps"].median() <= 2
    for method in ("crystalgan", "substitution"):
        relaxed = pd.read_parquet(tmp_path / "results" / "FeTiH" / method / "seed0" / "relaxed.parquet")
        filtered = pd.read_parquet(tmp_path / "results" / "FeTiH" / method / "seed0" / "filtered.parquet")
        assert len(relaxed) == min(2, int((filtered["valid"] & filtered["unique"]).sum()))
        assert set(relaxed["candidate"]) <= set(filtered.loc[filtered["valid"] & filtered["unique"], "candidate"])
    table = pd.read_csv(tmp_path / "results" / "report" / "table2.csv")
    for column in ("n_relaxed_mean", "n_stable_mean", "n_sun_mean", "n_not_p1_mean", "median_e_above_hull_mean"):
        assert column in table
    # every run's cost is known, and a learning method pays for its training
    assert (table["cpu_min_mean"] > 0).all() and table["n_sun_per_cpu_min"].notna().all()
    cost = table.set_index("method")["cpu_min_mean"]
    assert cost["crystalgan"] > cost["substitution"]
    plots = tmp_path / "results" / "report" / "relaxation"
    for name in ("e_above_hull.png", "phase_diagram_FeTiH.png", "best_sun.png", "discovery_FeTiH.png"):
        assert (plots / name).stat().st_size > 0
    # the hull knows the Fe-Ti intermetallics; the campaign list and its DFT inputs are written
    assert (hull["kind"] == "intermetallic").sum() == 21
    found = pd.read_csv(tmp_path / "results" / "report" / "discoveries.csv")
    assert {"crystal", "methods", "seeds", "e_above_hull", "wt_h", "dh_kj_per_mol_h2", "release"} <= set(found)
    # relax.check: the second potential's own hull, and a verdict on every S.U.N. crystal
    check = pd.read_parquet(tmp_path / "results" / "FeTiH" / "check" / "hull.parquet")
    pairs = hull.merge(check, on=["id", "formula"], suffixes=("", "_check"))  # binary ids repeat per metal
    assert (check["kind"] == "intermetallic").sum() == 21 and len(pairs) == len(hull) == len(check)
    assert not np.allclose(pairs["energy_per_atom"], pairs["energy_per_atom_check"])  # another potential
    for method in ("crystalgan", "substitution"):
        run = tmp_path / "results" / "FeTiH" / method / "seed0"
        relaxed, confirmed = pd.read_parquet(run / "relaxed.parquet"), pd.read_parquet(run / "confirmed.parquet")
        assert sorted(confirmed["candidate"]) == sorted(relaxed.loc[relaxed["sun"], "candidate"])
    assert found["confirmed"].isin([True, False]).all() and "n_sun_confirmed_mean" in table
    index = pd.read_csv(tmp_path / "results" / "FeTiH" / "dft" / "index.csv")
    assert len(index) == len(found) and all(
        (tmp_path / "results" / "FeTiH" / "dft" / f / "INCAR").is_file() for f in index["folder"]
    )
    assert list((tmp_path / "logs" / "prototypes").glob("*.log"))
    assert DONE_LINE.search((tmp_path / "logs" / "hull" / "FeTiH" / "hull.log").read_text())
    assert_structure_files_read_back(tmp_path / "results")
    # reruns: a key only the report reads reruns no relaxation; the filter's window reruns the
    # filter, the relaxation of its (possibly other) valid unique candidates and the report
    for section, key, value, expected in (
        ("relax", "strict", 0.01, {}),
        ("relax", "stable", 0.2, {"relax": 2, "confirm": 2, "dft": 1}),
        ("filter", "d1", 1.7, {"filter": 2, "relax": 2, "confirm": 2, "dft": 1}),
        ("relax", "check", "7net-l3i5", {"phases": 1, "hull": 1, "confirm": 2}),
    ):
        changed = edited(config, tmp_path / "changed.yaml", section, key, value)
        assert planned_jobs(tmp_path, config=changed) == {**expected, "report": 1, "all": 1}, key


def edited(config: Path, out: Path, section: str, key: str, value) -> Path:
    """A copy of the config file ``config`` with ``section.key`` set to ``value``."""
    values = yaml.safe_load(config.read_text())
    values.setdefault(section, {})[key] = value
    out.write_text(yaml.safe_dump(values))
    return out


def assert_structure_files_read_back(results: Path) -> None:
    """Every POSCAR and CIF of a run reads back as the structure of the table it belongs to:
    candidates as encoded, relaxed structures as in relaxed.parquet."""
    from crystalgan.core.artifacts import read_structures
    from crystalgan.core.structures import decode_structure, same_structure, structure_from_row

    checked = 0
    for info in results.rglob("candidates.json"):
        run = json.loads(info.read_text())
        x, counts = read_structures(info.with_name("candidates.npy"))
        for path in sorted((info.parent / "poscar").glob("cand_*.vasp")):
            k = int(path.stem.split("_")[1])
            written = decode_structure(x[k], counts[k], run["A"], run["B"])
            back = Structure.from_file(path)
            assert back.composition == written.composition and same_structure(written, back), path
            checked += 1
        relaxed = info.with_name("relaxed.parquet")
        if relaxed.exists():
            for _, row in pd.read_parquet(relaxed).iterrows():
                if row["relaxed"]:
                    written = structure_from_row(row)
                    for path in (results.parent / row["cif"], results.parent / row["poscar"]):
                        back = Structure.from_file(path)
                        assert same_structure(written, back), f"{path} reads back as {back.composition}"
                        checked += 1
    assert checked


@pytest.mark.slow
def test_html_report_contains_table2(finished_run):
    html = finished_run / "report.html"
    snakemake(finished_run, "--report", str(html))
    text = html.read_text(errors="replace")
    assert "table2.csv" in text and "pair_distribution.png" in text


@pytest.mark.slow
def test_between_workflow_cache_reuses_curation_encoding_and_stage1(tmp_path):
    env = {**LOCAL_ENV, "SNAKEMAKE_OUTPUT_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    outputs = []
    for name in ("first", "second"):
        workdir = tmp_path / name
        workdir.mkdir()
        config = small_config(workdir, methods=["discogan"], cache=True)
        cmd = SNAKEMAKE + ["-d", str(workdir), "--configfile", str(config), "--cores", "2", "--cache"]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(done.stderr)
    assert "to cache" in outputs[0]
    assert "to cache" not in outputs[1] and outputs[1].count("from cache") >= 3
    model = tmp_path / "second" / "results" / "MgTiH" / "seed0" / "stage1" / "model.json"
    assert model.is_symlink() and Path(os.readlink(model)).parent == tmp_path / "cache"
    first, second = (results(tmp_path / n / "results/report/table2.csv") for n in ("first", "second"))
    pd.testing.assert_frame_equal(first, second)
    # The cache's hash covers params, not wildcards: each metal's prototype library is its own,
    # and a system of another name does not take the first one's encoding (meta.json names it).
    workdir = tmp_path / "third"
    workdir.mkdir()
    renamed = {"name": "TiMgH", "A": "Mg", "B": "Ti", "AH": str(SHIPPED / "MgH"), "BH": str(SHIPPED / "TiH")}
    systems = [{"name": "FeTiH", "A": "Fe", "B": "Ti"}, renamed]
    config = small_config(workdir, systems=systems, methods=["discogan"], cache=True)
    cmd = SNAKEMAKE + ["-d", str(workdir), "--configfile", str(config), "--cores", "2", "--cache"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for metal in ("Fe", "Ti"):
        folder = workdir / "results" / "prototypes" / f"{metal}H"
        assert {str(e) for f in folder.glob("*.vasp") for e in Structure.from_file(f).composition} == {metal, "H"}
    assert json.loads((workdir / "results/TiMgH/encoded/meta.json").read_text())["system"] == "TiMgH"


def test_conda_envs_pin_the_same_versions_as_pyproject():
    import tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {Requirement(r).name: str(Requirement(r).specifier) for r in project["project"]["dependencies"]}
    gan, relax = (
        {Requirement(r).name: str(Requirement(r).specifier) for r in project["project"]["optional-dependencies"][x]}
        for x in ("gan", "relax")
    )
    orchestration = {"snakemake", "snakemake-executor-plugin-slurm", "pygments"}  # the env runs jobs, not Snakemake
    for env, extra in (("crystalgan.yaml", gan), ("crystalgan-gpu.yaml", gan), ("relax.yaml", relax)):
        spec = yaml.safe_load((ROOT / "envs" / env).read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        pinned = {Requirement(r).name: str(Requirement(r).specifier) for r in pip if not r.startswith("-e")}
        assert "-e .." in pip, f"{env} must install the crystalgan package itself"
        for name, specifier in {**wanted, **extra}.items():
            if name in orchestration:
                continue
            assert pinned.get(name) == specifier, f"{env}: {name} {pinned.get(name)} != pyproject {specifier}"
    assert "torch" not in (ROOT / "envs" / "crystalgan-gpu.yaml").read_text(), "torch stays out of the training env"
    for name in gan:  # TensorFlow and torch never share a process, nor an environment
        assert name not in (ROOT / "envs" / "relax.yaml").read_text(), f"{name} stays out of the relax env"


def test_training_jobs_claim_a_gpu_only_where_nvidia_smi_lists_one(tmp_path, monkeypatch):
    from crystalgan.config import training_gpus

    assert training_gpus(2) == 2 and training_gpus(0) == 0
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi at all
    assert training_gpus("auto") == 0
    fake = tmp_path / "nvidia-smi"
    for script, expected in (("echo 'GPU 0: NVIDIA H100 (UUID: GPU-1)'", 1), ("echo 'No devices found'; exit 6", 0)):
        fake.write_text(f"#!/bin/sh\n{script}\n")
        fake.chmod(0o755)
        assert training_gpus("auto") == expected


@pytest.mark.slow
def test_every_pgcgm_option_at_once_runs_through_the_workflow(tmp_path):
    """wgan-gp, augmentation, the cell and distance losses, data windows and merging, wired
    from the config through the rules to the models and candidates."""
    config = small_config(
        tmp_path,
        methods=["gan", "crystalgan"],
        train={
            "adversarial": "wgan-gp",
            "critic_steps": 2,
            "augment": ["translate", "rotate", "permute"],
            "lambdas": {"volume": 12.5, "abc": 5.0},
        },
        geometry={"target": "data", "distance": {"inter": 3.5, "intra": 5.0}},
        generate={"merge": 1.0},
    )
    snakemake(tmp_path, "--cores", "2", config=config)
    run = tmp_path / "results" / "MgTiH" / "crystalgan" / "seed0"
    model = json.loads((run / "stage2" / "model.json").read_text())
    assert model["options"]["adversarial"] == "wgan-gp" and model["options"]["lambdas"]["volume"] == 12.5
    assert len(model["geometry"]["windows"]) == 4 and len(model["geometry"]["radii"]) == 3
    stage1 = json.loads((tmp_path / "results" / "MgTiH" / "seed0" / "stage1" / "model.json").read_text())
    assert stage1["options"]["augment"] == ["translate", "rotate", "permute"]
    assert stage1["options"]["lambdas"]["volume"] == 0.0  # a stage-2 weight leaves stage 1 alone
    info = json.loads((run / "candidates.json").read_text())
    assert info["merge"] == 1.0 and len(info["merged"]) == 12
    assert len(pd.read_csv(tmp_path / "results" / "report" / "table2.csv")) == 2


def test_relax_device_cpu_keeps_the_potential_jobs_off_the_gpu(tmp_path):
    def claims(device: str) -> dict[str, set[str]]:
        config = small_config(tmp_path, training_gpus=1, relax={"enabled": True, "device": device})
        out = snakemake(tmp_path, "-n", config=config).stdout
        found: dict[str, set[str]] = {}
        for line in out.splitlines():
            if m := re.match(r"(?:local)?rule (\w+):", line):
                rule = m.group(1)
            elif m := re.search(r"resources:.*\bgpu=(\d+)", line):
                found.setdefault(rule, set()).add(m.group(1))
        return found

    on_cpu, auto = claims("cpu"), claims("auto")
    for rule in ("hull", "relax"):
        assert on_cpu[rule] == {"0"} and auto[rule] == {"1"}, (rule, on_cpu, auto)
    assert on_cpu["train_stage1"] == auto["train_stage1"] == {"1"}


@pytest.mark.paper
def test_paper_table2_on_the_real_data(real_data, tmp_path):
    """The paper's Table 2 at its budget (70 candidates, 1000 epochs) on two untuned seeds:
    CrystalGAN >= 9 valid unique ternaries and well above the run without geometric loss;
    GAN and DiscoGAN far below it. Opt-in (pytest -m paper), about 2 minutes on 2 cores."""
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "paper_table2.py"),
        str(real_data),
        "--seeds",
        "2",
        "--first-seed",
        "20",
        "--methods",
        "gan",
        "discogan",
        "crystalgan_nogeo",
        "crystalgan",
        "--workdir",
        str(tmp_path / "run"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env=LOCAL_ENV)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = pd.read_csv(tmp_path / "run" / "results" / "report" / "table2.csv").set_index("method")
    unique = table["n_valid_unique_mean"]
    assert unique["crystalgan"] >= 9 and unique["crystalgan"] >= 1.5 * unique["crystalgan_nogeo"], unique
    assert unique["gan"] <= 0.2 * unique["crystalgan"] and unique["discogan"] <= 2, unique  # 5.5 and 0 on seeds 20-21
