"""The bad-input table: each case is a command line a user might type.  Every one must stop
before any work with one ConfigError naming the key (validated in-process, as the CLI does
before Hydra starts); a few run through the real command to check exit 2, one line, no
traceback and nothing written."""

import pytest
from helpers import exits_in_process, simprive

from simprive import ConfigError
from simprive.cli import validate_sweep

# (overrides, the key the error must name)
CASES = [
    # ε, δ and the neighbour relation
    (["experiment=bounded_sum", "epsilon=0"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=-1"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=nan"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=inf"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=abc"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=1e308"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=710"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=1e-300"], "epsilon"),
    (["experiment=poll", "epsilon=1e308"], "epsilon"),
    (["experiment=poll", "epsilon=1e-300"], "epsilon"),
    (["experiment=poll", "epsilon=101"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=[]"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=[1.0,-1.0]"], "epsilon"),
    (["experiment=bounded_sum", "epsilon=true"], "epsilon"),
    (["experiment=bounded_sum", "mechanism=exact", "epsilon=-1"], "epsilon"),
    (["experiment=raise_average", "epsilon=0"], "epsilon"),
    (["experiment=bounded_sum", "delta=-0.1"], "delta"),
    (["experiment=bounded_sum", "delta=1"], "delta"),
    (["experiment=bounded_sum", "delta=2"], "delta"),
    (["experiment=bounded_sum", "delta=nan"], "delta"),
    (["experiment=bounded_sum", "mechanism=gaussian", "epsilon=0.5", "delta=0"], "delta"),
    (["experiment=bounded_sum", "mechanism=analytic_gaussian", "delta=0"], "delta"),
    (["experiment=bounded_sum", "mechanism=gaussian", "epsilon=2", "delta=1e-5"], "epsilon"),
    (["experiment=mpc_plus_dp", "mechanism=mpc_noisy_sum", "mechanism.noise=gaussian", "delta=0"], "delta"),
    (["experiment=bounded_sum", "neighbours=swap"], "neighbours"),
    (["experiment=bounded_sum", "neighbours=[]"], "neighbours"),
    # n, trials, seed
    (["experiment=bounded_sum", "n=0"], "n"),
    (["experiment=bounded_sum", "n=-5"], "n"),
    (["experiment=bounded_sum", "n=2.5"], "n"),
    (["experiment=bounded_sum", "n=abc"], "n"),
    (["experiment=outlier_sum", "n=1e12"], "n"),  # its adversary reads every input: no blocks
    (["experiment=poll", "mechanism=mpc_sum"], "n"),
    (["experiment=raise_average", "n=1"], "n"),
    (["experiment=raise_average", "n=100000000"], "n"),
    (["experiment=mpc_cost", "n=40", "mechanism.kind=mpyc_sum"], "n"),
    (["experiment=bounded_sum", "trials=0"], "trials"),
    (["experiment=bounded_sum", "trials=-1"], "trials"),
    (["experiment=bounded_sum", "trials=1.5"], "trials"),
    (["experiment=bounded_sum", "trials=[]"], "trials"),
    (["experiment=bounded_sum", "seed=-1"], "seed"),
    (["experiment=bounded_sum", "seed=1.5"], "seed"),
    (["experiment=bounded_sum", "seed=abc"], "seed"),
    # declared ranges
    (["experiment=bounded_sum", "lower=10", "upper=5"], "lower"),
    (["experiment=bounded_sum", "lower=5", "upper=5"], "lower"),
    (["experiment=bounded_sum", "upper=1e308"], "upper"),
    (["experiment=bounded_sum", "lower=-1e308"], "lower"),
    (["experiment=bounded_sum", "upper=inf"], "upper"),
    (["experiment=bounded_sum", "upper=nan"], "upper"),
    (["experiment=bounded_sum", "upper=abc"], "upper"),
    (["experiment=bounded_sum", "scenario.high=1e308"], "scenario.high"),
    (["experiment=bounded_sum", "scenario.low=100", "scenario.high=10"], "scenario.low"),
    (["experiment=bounded_sum", "scenario.integer=true", "scenario.low=0.5"], "scenario.low"),
    (["experiment=bounded_sum", "mechanism=geometric", "upper=100.5"], "mechanism"),
    # probabilities and scenario keys
    (["experiment=poll", "scenario.p=1.5"], "scenario.p"),
    (["experiment=poll", "scenario.p=-0.1"], "scenario.p"),
    (["experiment=poll", "scenario.p=nan"], "scenario.p"),
    (["experiment=poll", "scenario.k=1"], "scenario.k"),
    (["experiment=poll", "scenario.k=2.5"], "scenario.k"),
    (["experiment=poll", "+scenario.q=1"], "scenario.q"),
    (["experiment=poll", "scenario=nope"], "scenario"),
    (["experiment=poll", "scenario.kind=nope"], "scenario"),
    (["experiment=set_intersection", "scenario.size_x=0"], "scenario.size_x"),
    (["experiment=set_intersection", "scenario.overlap=1000"], "scenario.overlap"),
    (["experiment=approval_vote", "scenario.candidates=1"], "scenario.candidates"),
    (["experiment=outlier_sum", "scenario.shape=0"], "scenario.shape"),
    # groups and kinds
    (["experiment=nope"], "experiment"),
    (["experiment=poll", "mechanism=nope"], "mechanism"),
    (["experiment=poll", "mechanism.kind=nope"], "mechanism"),
    (["experiment=poll", "mechanism.kind=nolab:Missing"], "mechanism"),
    (["experiment=poll", "mechanism.kind=simprive.dp:Accountant"], "mechanism"),
    (["experiment=poll", "adversary=nope"], "adversary"),
    (["experiment=poll", "adversary.kind=nope"], "adversary"),
    (["experiment=poll", "query=nope"], "query"),
    (["experiment=poll", "query=argmax"], "query"),
    (["experiment=bounded_sum", "query=count"], "query"),
    (["experiment=poll", "figure=nope"], "figure"),
    (["experiment=poll", "mechanism=laplace", "scenario=sets"], "scenario"),  # sets are not numbers to add
    (["experiment=referendum", "mechanism=mpc_psi"], "scenario"),
    (["experiment=poll", "mechanism=geometric", "query=mean"], "mechanism"),
    (["experiment=poll", "mechanism=rr", "scenario.k=3"], "mechanism"),
    # mechanism keys
    (["experiment=poll", "mechanism.path=sideways"], "mechanism.path"),
    (["experiment=poll", "+mechanism.spread=3"], "mechanism.spread"),
    (["experiment=raise_average", "mechanism.field=nope"], "mechanism.field"),
    (["experiment=raise_average", "mechanism.spread=0"], "mechanism.spread"),
    (["experiment=raise_average", "mechanism.shares=nope"], "mechanism.shares"),
    (["experiment=raise_average", "mechanism.shares=article"], "mechanism.shares"),
    (["experiment=raise_average", "+mechanism.servers=3"], "mechanism.servers"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "mechanism.servers=1"], "mechanism.servers"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "mechanism.t=5"], "mechanism.t"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "mechanism.t=-1"], "mechanism.t"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "mechanism.dropouts=1"], "mechanism.dropouts"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "mechanism.computing=nope"], "mechanism.computing"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "mechanism.recipients=nope"],
     "mechanism.recipients"),
    (["experiment=mpc_plus_dp", "mechanism=mpc_noisy_sum", "mechanism.noise=nope"], "mechanism.noise"),
    (["experiment=private_inference", "mechanism.frac_bits=100"], "mechanism.frac_bits"),
    (["experiment=private_inference", "mechanism.frac_bits=0"], "mechanism.frac_bits"),
    (["experiment=mpc_cost", "mechanism.kind=mpyc_sum", "n=4", "+mechanism.timeout=0"], "mechanism.timeout"),
    # adversaries
    (["experiment=poll", "adversary=coalition"], "mechanism"),
    (["experiment=referendum", "adversary.known=100"], "adversary.known"),
    (["experiment=referendum", "adversary.known_fraction=2"], "adversary.known_fraction"),
    (["experiment=referendum", "+adversary.guess=1"], "adversary.guess"),
    (["experiment=audit", "adversary.alpha=0.7"], "adversary.alpha"),
    (["experiment=audit", "trials=2"], "trials"),
    (["experiment=breach", "adversary.sigma=-1"], "adversary.sigma"),
    (["experiment=composition", "adversary.releases=0"], "adversary.releases"),
    (["experiment=composition", "adversary.delta=0"], "adversary.delta"),
    (["experiment=collusion", "adversary.colluders=6"], "adversary.colluders"),
    (["experiment=mpc_plus_dp_collusion", "adversary.colluders=11"], "adversary.colluders"),
    (["experiment=set_intersection_dp", "adversary.prior=1.5"], "adversary.prior"),
    (["experiment=bounded_sum", "adversary=repeated", "mechanism=exact"], "mechanism"),
    (["experiment=audit", "mechanism.kind=broken_svt", "adversary=none", "~adversary.known_fraction"], "mechanism"),
    # run settings
    (["experiment=poll", "+foo=1"], "foo"),
    (["experiment=poll", "save_trials=maybe"], "save_trials"),
    (["experiment=poll", "progress=sometimes"], "progress"),
    (["experiment=poll", "name=../../x"], "name"),
    (["experiment=poll", "name=/etc"], "name"),
    (["experiment=poll", "name=.hidden"], "name"),
    (["experiment=poll", "name="], "name"),
    # figures that cannot show what is swept
    (["experiment=poll", "trials=[100,200]", "seed=[0,1]", "mechanism.path=[counts,individual]"],
     "figure.plots.poll_sq_error"),
]


# every fifth case runs in the default suite; the whole table with -m slow (and in .ci/run)
TABLE = [pytest.param(o, k, id=" ".join(o), marks=() if i % 5 == 0 else pytest.mark.slow)
         for i, (o, k) in enumerate(CASES)]


@pytest.mark.parametrize("overrides, key", TABLE)
def test_bad_input_names_its_key_before_any_work(overrides, key):
    with pytest.raises(ConfigError) as err:
        validate_sweep([overrides], overrides)
    assert err.value.key == key, str(err.value)
    # one line, or one line a problem when the grid sweeps several invalid values of the key
    assert all(e.key == key and "\n" not in str(e) for e in err.value.errors), str(err.value)
    assert len(err.value.errors) == 1 or str(err.value).startswith(f"{len(err.value.errors)} problems:\n")


def test_the_table_is_large():
    assert len(CASES) >= 100


@pytest.mark.parametrize("args", [
    ["experiment=poll", "hydra/launcher=nope"],
    pytest.param(["experiment=bounded_sum", "epsilon=1e308"], marks=pytest.mark.slow),
    pytest.param(["-cn", "nope"], marks=pytest.mark.slow),
    pytest.param(["experiment=private_inference", "mechanism.frac_bits=100"], marks=pytest.mark.slow),
])
def test_the_command_line_exits_2_with_one_line_and_writes_nothing(args, tmp_path):
    out = simprive(*args, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("simprive: invalid ")
    assert not (tmp_path / "run").exists() and not (tmp_path / "outputs").exists()


@pytest.mark.slow
@pytest.mark.parametrize("content, says", [
    (b"xx\x00\x01garbage\n,,,\n", "no column 'metric'"),
    (b"", "No columns to parse"),
    (b"HEADER", "has a header and no rows"),
    (b"VALUE", "is not a number"),
])
def test_simprive_plot_refuses_a_broken_summary_in_one_line(content, says, tmp_path):
    import pandas as pd

    from simprive import run_experiment

    run = tmp_path / "run"
    run_experiment("bounded_sum", ["trials=20", "epsilon=[1.0]", "n=[10]", "upper=[100.0]"], out_dir=run)
    table = (run / "summary.csv").read_text()
    if content == b"HEADER":
        content = table.splitlines()[0].encode()
    elif content == b"VALUE":
        frame = pd.read_csv(run / "summary.csv")
        frame["value"] = frame["value"].astype(object)
        frame.loc[0, "value"] = "abc"
        content = frame.to_csv(index=False).encode()
    (run / "summary.csv").write_bytes(content)
    for command in ("simprive-plot", "simprive-report"):
        out = simprive(str(run), cwd=tmp_path, command=command, check=False)
        assert out.returncode == 2 and "Traceback" not in out.stderr and says in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


# == several problems at once, and the sweep values a problem occurs with (issue 16) ========
def test_every_problem_of_the_grid_is_reported_together(tmp_path, monkeypatch, capsys):
    code, err = exits_in_process(["experiment=outlier_sum", "mechanism=gaussian", "scenario.shape=[3.0,-1]",
                                  f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, monkeypatch, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0] == "simprive: 3 problems:", lines
    assert sorted(line.split("=")[0] for line in lines[1:]) == [
        "simprive: invalid delta", "simprive: invalid epsilon", "simprive: invalid scenario.shape"], lines
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sweep", [["scenario.candidates=[2,20]"], ["-m", "scenario.candidates=2,20"]])
def test_a_failing_point_of_a_sweep_names_its_swept_values(sweep):
    from simprive.cli import job_overrides

    overrides = ["experiment=approval_vote", *[o for o in sweep if o != "-m"]]
    with pytest.raises(ConfigError) as err:
        validate_sweep(job_overrides(overrides, "-m" in sweep), overrides)
    assert str(err.value).startswith("invalid scenario.margin=0.05 with scenario.candidates=20: must be in [0, "), \
        str(err.value)


@pytest.mark.parametrize("overrides, says", [
    (["epsilonn=1"], "did you mean epsilon? see `simprive --cfg job`"),
    (["experiment=breach", "epsilonn=1"], "did you mean epsilon? see `simprive experiment=breach --cfg job`"),
    (["experiment=poll", "scenario.pp=0.1"], "did you mean scenario.p? see `simprive experiment=poll --cfg job`"),
    (["experiment=poll", "scenaro.p=0.1"], "did you mean scenario.p?"),
    (["experiment=poll", "mechanism=laplace", "mechanism.knd=laplace"],
     "did you mean mechanism.kind? see `simprive experiment=poll mechanism=laplace --cfg job`"),
    (["experiment=breach", "+epsilonn=1"], "did you mean epsilon?"),
    (["experiment=bounded_sum", "+scenario.loww=1"], "did you mean scenario.low?"),
])
def test_an_unknown_key_suggests_the_closest_known_one_of_the_chosen_experiment(overrides, says):
    with pytest.raises(ConfigError) as err:
        validate_sweep([overrides], overrides)
    assert err.value.key == overrides[-1].lstrip("+").split("=")[0]
    assert says in str(err.value), str(err.value)


def test_an_unknown_key_far_from_every_known_one_suggests_nothing():
    with pytest.raises(ConfigError) as err:
        validate_sweep([["experiment=poll", "zzz=1"]], ["experiment=poll", "zzz=1"])
    assert "did you mean" not in str(err.value) and "`simprive experiment=poll --cfg job`" in str(err.value)


@pytest.mark.parametrize("mechanism", ["laplace", "gaussian", "exact"])
def test_a_mechanisms_epsilon_and_delta_are_checked_together(mechanism):
    overrides = ["experiment=bounded_sum", f"mechanism={mechanism}", "epsilon=-1", "delta=2"]
    with pytest.raises(ConfigError) as err:
        validate_sweep([overrides], overrides)
    assert str(err.value).splitlines() == ["2 problems:", "invalid epsilon=-1.0: must be a finite number > 0",
                                           "invalid delta=2.0: must be in [0, 1)"]


# == overrides Hydra would accept or misread (issue 17): checked one by one before composing ==
OVERRIDE_CASES = [
    (["epsilon=1", "epsilon=2"], "epsilon"),
    (["mechanism=rr", "mechanism=laplace"], "mechanism"),
    (["experiment=poll", "experiment=bounded_sum"], "experiment"),
    (["+n=5", "n=6"], "n"),
    (["hydra.run.dir="], "hydra.run.dir"),
    (["hydra.sweep.dir= "], "hydra.sweep.dir"),
    (["hydra.run.dir=${oc.env:SIMPRIVE_SURELY_UNSET}"], "hydra.run.dir"),
    (["epsilon=1,1"], "epsilon"),
    (["epsilon=１"], "epsilon"),
    (["+ε=1"], "ε"),
    (["epsilon=choice()"], "epsilon"),
    (["n=[1,2"], "n"),
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=-100"], "hydra.launcher.n_jobs"),
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=0"], "hydra.launcher.n_jobs"),
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=abc"], "hydra.launcher.n_jobs"),
    (["hydra/launcher=joblib", "hydra.launcher.backend=nope"], "hydra.launcher.backend"),
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=abc"], "hydra.launcher.ray.init.num_cpus"),
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=0"], "hydra.launcher.ray.init.num_cpus"),
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.address=ray://127.0.0.1:9"], "hydra.launcher.ray.init.address"),
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.address=ray://"], "hydra.launcher.ray.init.address"),
]


@pytest.mark.parametrize("overrides, key", OVERRIDE_CASES, ids=[" ".join(o) for o, _ in OVERRIDE_CASES])
def test_an_override_is_checked_on_its_own_naming_its_key(overrides, key):
    from simprive.cli import check_overrides

    with pytest.raises(ConfigError) as err:
        check_overrides(overrides)
    assert err.value.key == key and "\n" not in str(err.value), str(err.value)


def test_a_resolvable_run_folder_and_distinct_keys_pass():
    from simprive.cli import check_overrides

    check_overrides(["experiment=poll", "epsilon=0.5,1", "hydra.run.dir=out/${now:%H}", "mechanism=rr",
                     "mechanism.path=counts", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"])


def test_a_glob_sweeps_the_options_of_a_group_it_matches():
    from simprive.cli import check_overrides, job_overrides

    overrides = ["experiment=bounded_sum", "mechanism=glob([laplace,gauss*],exclude=analytic*)", "epsilon=1,2"]
    check_overrides(overrides)
    assert job_overrides(overrides, multirun=True) == [
        ["experiment=bounded_sum", f"mechanism={m}", f"epsilon={e}"] for m in ("gaussian", "laplace") for e in (1, 2)]


@pytest.mark.parametrize("args", [["epsilon=1", "epsilon=2"], ["n={a:1}"], ["~nope"]])
def test_what_composing_refuses_names_the_override(args, tmp_path):
    out = simprive("experiment=poll", *args, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "invalid overrides=" not in out.stderr and args[-1].lstrip("~").split("=")[0] in out.stderr, out.stderr
    assert not (tmp_path / "run").exists()


# == the command line end to end (issue 17): each case is what a user typed; the CLI's own code
# runs in-process and must stop before Hydra starts: exit 2, one line naming the key, nothing written
COMMAND_CASES = [
    # Hydra's override grammar: the override named, with what Hydra said of it
    (["epsilon=${missing}"], "epsilon"),
    (["n=${oc.env:SIMPRIVE_SURELY_UNSET}"], "n"),
    (["+=1"], "overrides"),
    (["=1"], "overrides"),
    (["epsilon==1"], "epsilon"),
    (["'epsilon=1"], "'epsilon"),
    (["epsilon=tag(a,1)"], "epsilon"),
    (["n=range(1,"], "n"),
    (["n={a:1}"], "n"),
    (["~nope"], "nope"),
    (["epsilon=interval(0,1)"], "epsilon"),
    (["-m", "epsilon=interval(0,1)"], "epsilon"),
    (["-m", "n=glob(*)"], "n"),
    (["-m", "mechanism=glob(zzz*)"], "mechanism"),
    (["epsilon=1,2"], "epsilon"),
    (["epsilon=range(1,3)"], "epsilon"),
    (["epsilon=sort(3,1)"], "epsilon"),
    (["-m", "epsilon=1,1"], "epsilon"),
    (["-m", "epsilon=range(1,3),1"], "epsilon"),
    (["-m", "mechanism=laplace,laplace"], "mechanism"),
    # a key given twice
    (["epsilon=1", "epsilon=2"], "epsilon"),
    (["experiment=poll", "experiment=bounded_sum"], "experiment"),
    (["mechanism=rr", "mechanism=laplace"], "mechanism"),
    (["scenario.p=0.1", "scenario.p=0.2"], "scenario.p"),
    (["hydra.run.dir=a", "hydra.run.dir=b"], "hydra.run.dir"),
    # Hydra's own settings, read as Hydra will
    (["hydra.job.chdir=maybe"], "hydra.job.chdir"),
    (["hydra.launcher.n_jobs=2"], "hydra.launcher.n_jobs"),
    (["hydra/launcher=nope"], "hydra/launcher"),
    (["hydra/sweeper=nope"], "hydra/sweeper"),
    (["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=-100", "epsilon=1,2"], "hydra.launcher.n_jobs"),
    (["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=abc", "epsilon=1,2"], "hydra.launcher.n_jobs"),
    (["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=1.5", "epsilon=1,2"], "hydra.launcher.n_jobs"),
    (["-m", "hydra/launcher=joblib", "hydra.launcher.backend=nope", "epsilon=1,2"], "hydra.launcher.backend"),
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=abc"], "hydra.launcher.ray.init.num_cpus"),
    (["hydra/launcher=ray", "+hydra.launcher.ray.init.num_gpus=-1"], "hydra.launcher.ray.init.num_gpus"),
    # run folders
    (["hydra.run.dir="], "hydra.run.dir"),
    (["hydra.run.dir= "], "hydra.run.dir"),
    (["-m", "hydra.sweep.dir=", "epsilon=1,2"], "hydra.sweep.dir"),
    (["hydra.run.dir=${oc.env:SIMPRIVE_SURELY_UNSET}"], "hydra.run.dir"),
    (["-m", "hydra.sweep.dir=${oc.env:SIMPRIVE_SURELY_UNSET}", "epsilon=1,2"], "hydra.sweep.dir"),
    (["hydra.run.dir=/proc/self/x"], "hydra.run.dir"),
    (["hydra.run.dir=/dev/null/x"], "hydra.run.dir"),
    # figures: a spec is checked as a whole before any work
    (["figure.plots=poll"], "figure.plots"),
    (["figure.plots.0.name=../escape"], "figure.plots.0.name"),
    (["figure.plots.0.name=/tmp/abs"], "figure.plots.0.name"),
    (["figure.plots.0.name='javascript:alert(1)'"], "figure.plots.0.name"),
    (["figure.plots.0.name='a b'"], "figure.plots.0.name"),
    (["figure.plots.0.name=null"], "figure.plots.0.name"),
    (["+figure.plots.0.bogus=1"], "figure.plots.0.bogus"),
    (["figure.plots.0.metric=nope"], "figure.plots.0.metric"),
    (["figure.plots.0.metric=[]"], "figure.plots.0.metric"),
    (["figure.plots.0.metric=null"], "figure.plots.0.metric"),
    (["figure.plots.0.x=nope"], "figure.plots.0.x"),
    (["figure.plots.0.x=1"], "figure.plots.0.x"),
    (["figure.plots.0.hue=nope"], "figure.plots.0.hue"),
    (["+figure.plots.0.col=nope"], "figure.plots.0.col"),
    (["+figure.plots.0.row=[a,b]"], "figure.plots.0.row"),
    (["+figure.plots.0.style=1"], "figure.plots.0.style"),
    (["figure.plots.0.logy=maybe"], "figure.plots.0.logy"),
    (["+figure.plots.0.sharey=1"], "figure.plots.0.sharey"),
    (["+figure.plots.0.symlogy=-1"], "figure.plots.0.symlogy"),
    (["+figure.plots.0.symlogy=abc"], "figure.plots.0.symlogy"),
    (["+figure.plots.0.title=[1]"], "figure.plots.0.title"),
    (["+figure.plots.0.diagonal=[1]"], "figure.plots.0.diagonal"),
    (["+figure.plots.1=poll"], "figure.plots.1"),
    # run settings
    (["max_minutes=-1"], "max_minutes"),
    (["max_minutes=abc"], "max_minutes"),
    (["+resume=maybe"], "resume"),
    (["name=a/b"], "name"),
    (["name='javascript:x'"], "name"),
]


@pytest.mark.parametrize("args, key", [pytest.param(a, k, id=" ".join(a), marks=() if i % 3 == 0 else pytest.mark.slow)
                                       for i, (a, k) in enumerate(COMMAND_CASES)])
def test_the_command_line_refuses_in_one_line_naming_the_key(tmp_path, monkeypatch, capsys, args, key):
    folders = [] if any(a.startswith(("hydra.run.dir", "hydra.sweep.dir")) for a in args) else [
        f"hydra.run.dir={tmp_path / 'run'}", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    code, err = exits_in_process([*args, *folders], tmp_path, monkeypatch, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"simprive: invalid {key}="), err
    assert "invalid overrides='" not in err or key == "overrides", err  # the override, not the command line
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def read_only(tmp_path):
    """A read-only folder even for root (who may write anywhere a mode forbids): a read-only
    bind mount, where the machine allows one."""
    import subprocess

    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0
    if not mounted or subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True).returncode:
        if mounted:
            subprocess.run(["umount", str(folder)])
        pytest.skip("no read-only bind mount here (needs root and a mount namespace that allows it)")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("args, key", [
    (["hydra.run.dir={ro}"], "hydra.run.dir"),
    (["hydra.run.dir={ro}/run"], "hydra.run.dir"),
    (["-m", "epsilon=0.5,1", "hydra.sweep.dir={ro}"], "hydra.sweep.dir"),
    (["-m", "epsilon=0.5,1", "hydra.sweep.dir={ro}/sweep"], "hydra.sweep.dir"),
])
def test_a_read_only_folder_is_refused_naming_its_key(read_only, monkeypatch, capsys, args, key):
    code, err = exits_in_process(["experiment=poll", "trials=20", *(a.format(ro=read_only) for a in args)],
                                 read_only.parent, monkeypatch, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and lines == [f"simprive: invalid {key}='{args[-1].split('=', 1)[1].format(ro=read_only)}'"
                                              ": cannot be written: Read-only file system"], lines
    assert sorted(p.name for p in read_only.parent.iterdir()) == ["ro"] and list(read_only.iterdir()) == []
