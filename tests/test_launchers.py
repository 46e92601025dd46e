"""Scale-out on existing engines: the same sweep on a local Ray and through submitit (Slurm's
launcher, run locally) gives the basic launcher's tables and figures, byte for byte.

The launchers come with ``pip install -e ".[ray,slurm]"``; without them these tests are
skipped, saying so, except where ``SIMPRIVE_REQUIRE_LAUNCHERS=1`` (``.ci/run``) makes a
missing launcher a failure."""

import hashlib
import importlib.util
import os

import pytest
from helpers import simprive

SWEEP = ["-m", "experiment=bounded_sum", "epsilon=0.5,2.0", "n=20", "upper=80.0,100.0", "trials=200"]


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.suffix in (".csv", ".png", ".svg")}


def needs(plugin: str, extra: str):
    if importlib.util.find_spec(f"hydra_plugins.{plugin}") is None:
        if os.environ.get("SIMPRIVE_REQUIRE_LAUNCHERS") == "1":
            pytest.fail(f"{plugin} is not installed (pip install -e \".[{extra}]\")")
        pytest.skip(f"{plugin} is not installed (pip install -e \".[{extra}]\")")


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("basic")
    simprive(*SWEEP, f"hydra.sweep.dir={tmp / 'sweep'}", cwd=tmp)
    return digest(tmp / "sweep")


@pytest.mark.slow
@pytest.mark.parametrize("launcher, plugin, extra", [
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2"], "hydra_ray_launcher", "ray"),
    (["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"], "hydra_submitit_launcher", "slurm"),
])
def test_a_sweep_on_another_launcher_is_byte_identical(tmp_path, basic, launcher, plugin, extra):
    needs(plugin, extra)
    out = simprive(*SWEEP, *launcher, f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert out.stdout.strip().splitlines()[-1] == str(tmp_path / "sweep")
    assert digest(tmp_path / "sweep") == basic
    assert sorted(basic) == ["bounded_sum_abs_error.png", "bounded_sum_abs_error.svg", "bounded_sum_bias.png",
                             "bounded_sum_bias.svg", "summary.csv"]
