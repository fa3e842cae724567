"""The workflow on a real (one-node) SLURM cluster through the slurm executor plugin."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from test_workflow import SNAKEMAKE, results, small_config, snakemake

START = ROOT.parent / "shared" / "tools" / "local-slurm" / "start.sh"
STOP = START.with_name("stop.sh")

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def cluster():
    if not START.exists():
        pytest.skip(f"{START} not found: no local SLURM cluster to test on")
    if os.geteuid() != 0:
        pytest.skip("starting the local SLURM cluster needs root")
    done = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"local SLURM cluster did not start:\n{done.stderr[-3000:]}")
    yield done.stdout.strip()
    subprocess.run(["bash", str(STOP)], capture_output=True, timeout=120)


@pytest.mark.slow
def test_slurm_run_goes_through_sbatch_and_equals_a_local_run(cluster, tmp_path):
    on_slurm, local = tmp_path / "slurm", tmp_path / "local"
    for folder in (on_slurm, local):
        folder.mkdir()
        # scattered filter and relaxation
        relax = {"enabled": True, "parts": 2, "max_per_run": 3, "steps": 10}
        small_config(folder, methods=["crystalgan"], filter={"parts": 2}, relax=relax)
    profile = ROOT / "workflow" / "profiles" / "slurm"
    cmd = (
        ["timeout", "-k", "10", "900"]
        + SNAKEMAKE
        + [
            "-d",
            str(on_slurm),
            "--configfile",
            str(on_slurm / "config.yaml"),
            "--profile",
            str(profile),
            "--default-resources",
            f"slurm_partition={cluster}",
            "runtime=10",
            "mem_mb=1000",
            "--slurm-keep-successful-logs",
            "--slurm-logdir",
            str(tmp_path / "slurm_logs"),
        ]
    )
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    # Every rule's job went through sbatch: the plugin's per-job logs are named by SLURM job id.
    logs = [p.relative_to(tmp_path / "slurm_logs") for p in (tmp_path / "slurm_logs").rglob("*.log")]
    rules = {p.parts[0] for p in logs}
    assert rules >= {
        f"rule_{r}"
        for r in (
            "curate",
            "encode",
            "train_stage1",
            "transfer",
            "train_stage2",
            "generate",
            "filter_part",
            "filter",
            "hull",
            "shortlist",
            "relax_part",
            "relax",
            "report",
        )
    }, logs
    ids = sorted({p.stem for p in logs if p.stem.isdigit()})
    states = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i %T", "-j", ",".join(ids)], capture_output=True, text=True
    ).stdout
    assert states.count("COMPLETED") == len(ids) >= 10, states
    log = (on_slurm / "logs" / "train_stage2" / "MgTiH" / "crystalgan" / "seed0.log").read_text()
    assert "on CPU" in log  # the fake GPU gres gives CUDA_VISIBLE_DEVICES=0: clean CPU fallback

    snakemake(local, "--cores", "2", "--resources", "gpu=1")
    run = "results/MgTiH/crystalgan/seed0"
    np.testing.assert_array_equal(np.load(on_slurm / run / "candidates.npy"), np.load(local / run / "candidates.npy"))
    pd.testing.assert_frame_equal(
        pd.read_parquet(on_slurm / run / "filtered.parquet").drop(columns="poscar"),
        pd.read_parquet(local / run / "filtered.parquet").drop(columns="poscar"),
    )
    varies = ["cpu_s", "cif", "poscar"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(on_slurm / run / "relaxed.parquet").drop(columns=varies),
        pd.read_parquet(local / run / "relaxed.parquet").drop(columns=varies),
    )
    pd.testing.assert_frame_equal(
        results(on_slurm / "results/report/table2.csv"), results(local / "results/report/table2.csv")
    )
