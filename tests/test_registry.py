"""The registries: every kind declared once next to its code, its keys and defaults written
once (its YAML file), and attacks that ask a release what it offers, not its name."""

from dataclasses import fields

import pytest
import yaml
from omegaconf import OmegaConf

from simprive import ConfigError
from simprive.attacks import ATTACKS, build_attack
from simprive.config import CONF_DIR, defaults
from simprive.releases import MECHANISMS, ProtocolRelease, build_release
from simprive.scenarios import SCENARIOS, build_scenario


def _yaml_kind(group: str, kind: str) -> str:
    return yaml.safe_load((CONF_DIR / group / f"{kind}.yaml").read_text())["kind"]


@pytest.mark.parametrize("group, table", [("mechanism", MECHANISMS), ("adversary", ATTACKS),
                                          ("scenario", SCENARIOS)])
def test_every_registered_kind_has_its_yaml(group, table):
    assert all(_yaml_kind(group, kind) == kind for kind in table)


@pytest.mark.parametrize("path", sorted(CONF_DIR.glob("*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_core_reads_each_yaml_as_hydra_does(path):
    # the core reads defaults with PyYAML (no Hydra); Hydra composes with OmegaConf
    assert yaml.safe_load(path.read_text()) == OmegaConf.to_container(OmegaConf.load(path))


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_a_scenarios_yaml_holds_exactly_its_fields(kind):
    assert set(defaults("scenario", kind)) == {f.name for f in fields(SCENARIOS[kind]) if f.init} - {"kind"}


def test_protocols_are_release_classes_with_a_family():
    protocols = {kind: spec for kind, spec in MECHANISMS.items() if spec.protocol is not None}
    assert len(protocols) == 18  # 17 MPC protocols, and mechanism=zoo: any mechanism on datasets, audited
    assert all(spec.family in ("mpc", "audited") and issubclass(spec.protocol, ProtocolRelease)
               for spec in protocols.values())
    assert [k for k, spec in protocols.items() if spec.family == "audited"] == ["zoo"]
    assert not any(spec.protocol for spec in MECHANISMS.values() if spec.family not in ("mpc", "audited"))


def _release(mechanism: dict, scenario: dict, query: str = "auto", **kw):
    args = {"epsilon": 1.0, "delta": 1e-6, "n": 10, "lower": 0.0, "upper": 10.0, **kw}
    return build_release(mechanism, query=query, scenario=build_scenario(scenario), **args)


def test_a_config_built_in_python_gets_the_yaml_defaults():
    rel = _release({"kind": "mpc_client_server"}, {"kind": "bounded", "low": 0, "high": 10, "integer": True})
    assert rel.params == defaults("mechanism", "mpc_client_server") and rel.sharing == (3, None)
    attack = build_attack({"kind": "coalition"}, rel, 10, 100)
    assert attack.colluders == defaults("adversary", "coalition")["colluders"]


def test_an_unknown_key_names_the_known_ones():
    with pytest.raises(ConfigError) as err:
        _release({"kind": "mpc_tally", "server": 3}, {"kind": "categorical"})
    assert err.value.key == "mechanism.server" and "known: servers" in str(err.value)
    with pytest.raises(ConfigError) as err:
        build_scenario({"kind": "categorical", "q": 0.5})
    assert err.value.key == "scenario.q" and "known: k, p" in str(err.value)


@pytest.mark.parametrize("mechanism, adversary, needs", [
    ("analytic_gaussian", "float_auditor", "Laplace or geometric"),
    ("mpc_sum", "coalition", "pools shares"),
    ("mpc_tally", "membership", "item by item"),
    ("exact", "repeated", "adds noise"),
])
def test_an_attack_refuses_a_release_that_lacks_what_it_reads(mechanism, adversary, needs):
    scenario = {"kind": "categorical"} if mechanism == "mpc_tally" else {"kind": "bounded", "low": 0, "high": 10,
                                                                        "integer": True}
    rel = _release({"kind": mechanism}, scenario, query="histogram" if mechanism == "mpc_tally" else "sum")
    with pytest.raises(ConfigError) as err:
        build_attack({"kind": adversary}, rel, 10, 100)
    assert err.value.key == "mechanism" and needs in str(err.value)


@pytest.mark.parametrize("mechanism, key, value", [("exact", "epsilon", -1.0), ("laplace", "delta", 2.0),
                                                   ("mpc_sum", "epsilon", 0.0), ("mpc_tally", "delta", -0.5)])
def test_a_key_the_release_ignores_must_still_be_valid(mechanism, key, value):
    scenario = {"kind": "categorical"} if mechanism == "mpc_tally" else {"kind": "bounded", "low": 0, "high": 10,
                                                                        "integer": True}
    with pytest.raises(ConfigError) as err:
        _release({"kind": mechanism}, scenario, **{key: value})
    assert err.value.key == key
