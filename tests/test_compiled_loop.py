"""The compiled loop gives the numpy batch engine's results to the bit.

The batch engine's main loop runs compiled (:mod:`sim.engines.compiled`) where numba is
installed and the scenario is within the first phase's mechanisms; the numpy loop is the
reference it must equal, metric by metric and hour by hour, NaN for NaN (the numpy loop
equals the SimPy reference engine: tests/test_vector_equivalence.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, all_scenarios, random_first_phase, random_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engines.compiled.run import compiled_loop, compiled_supports
from sim.engines.vector import run_vector

pytest.importorskip("numba")


def assert_identical(numpy_run, compiled_run) -> None:
    assert list(compiled_run.metrics) == list(numpy_run.metrics)
    for name, expected in numpy_run.metrics.items():
        np.testing.assert_array_equal(compiled_run.metrics[name], expected, err_msg=name)
        assert compiled_run.metrics[name].dtype == expected.dtype, name
    assert list(compiled_run.series) == list(numpy_run.series)
    for name, expected in numpy_run.series.items():
        np.testing.assert_array_equal(compiled_run.series[name], expected, err_msg=name)
        assert compiled_run.series[name].dtype == expected.dtype, name


def both(scenario, reps: int, seed: int, **options):
    """The numpy loop's and the compiled loop's results of the same batch."""
    runs = [
        run_vector(scenario, reps, seed, traced=(), loop=loop, **options)
        for loop in ("numpy", "compiled")
    ]
    return runs[0], runs[1]


@pytest.mark.parametrize("path", all_scenarios(), ids=lambda p: p.name)
def test_every_scenario_it_runs_is_identical_over_300_replications(path):
    scenario = sim.load_scenario(path)
    if compiled_supports(scenario):
        pytest.skip(f"{path.name} has {compiled_supports(scenario)}: the numpy loop runs it")
    assert_identical(*both(scenario, 300, seed=11))


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(overrides=random_first_phase(), seed=st.integers(0, 2**32))
def test_random_first_phase_scenarios_are_identical(overrides, seed):
    scenario = sim.load_scenario(BASELINE, overrides)
    assert not compiled_supports(scenario), overrides
    assert_identical(*both(scenario, 6, seed=seed))


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(overrides=random_scenario(), seed=st.integers(0, 2**32))
def test_a_scenario_of_any_mechanism_is_refused_or_identical(overrides, seed):
    """A mechanism the loop does not compile must be refused, not run wrong: random
    scenarios of every mechanism (the equivalence tests' strategy, which a new mechanism
    joins) run compiled wherever it does not refuse them."""
    scenario = sim.load_scenario(BASELINE, overrides)
    if not compiled_supports(scenario):
        assert_identical(*both(scenario, 4, seed=seed))


def test_parameters_per_replication_and_replications_in_any_order_are_identical():
    scenario = sim.load_scenario(BASELINE)
    rng = np.random.default_rng(3)
    parameters = {
        "fleet.buses.count": rng.integers(5, 60, 40),
        "fleet.buses.crowding": rng.uniform(1.0, 1.6, 40),
        "route.to_reception.mean": rng.uniform(0.5, 2.5, 40),
        "ceasefire.breach_rate": rng.uniform(0.0, 0.3, 40),
        "ceasefire.max_hold": rng.uniform(0.5, 8.0, 40),
    }
    rep_ids = rng.permutation(400)[:40]
    assert_identical(*both(scenario, 40, 5, parameters=parameters, rep_ids=rep_ids))


#: Scenarios that stretch the loop's room: its tables, convoy slots and records grow.
HARD_CASES = [
    # many small convoys: convoy slots and tables by convoy grow many times
    [
        "fleet.buses.count=60",
        "fleet.buses.per_convoy=1",
        "convoy.min_vehicles=1",
        "convoy.headway=0.0",
        "convoy.max_in_corridor=50",
    ],
    # suspensions every hour: tables by suspension grow, convoys held and sent back
    [
        "ceasefire.breach_rate=1.5",
        "route.incident_probability=0.5",
        "ceasefire.max_hold=0.5",
        "ceasefire.max_hold_counts='each'",
    ],
    # convoys turned back before the checkpoint, boarding during suspensions
    [
        "ceasefire.before_checkpoint='turn_back'",
        "ceasefire.breach_rate=0.8",
        "ceasefire.board_while_suspended=true",
    ],
    # fixed durations: simultaneous events everywhere
    [
        "route.to_checkpoint=0.5",
        "route.inspection=0.5",
        "route.to_reception=1.0",
        "route.return_trip=1.0",
        "fleet.buses.load_time=0.5",
        "fleet.buses.unload_time=0.5",
        "fleet.ambulances.load_time=0.5",
        "fleet.ambulances.unload_time=0.5",
        "convoy.headway=1.0",
        "ceasefire.breach_rate=0.2",
    ],
]
HARD_IDS = ["many_convoys", "many_suspensions", "turn_back", "simultaneous"]


@pytest.mark.parametrize("overrides", HARD_CASES, ids=HARD_IDS)
def test_hard_cases_are_identical(overrides):
    assert_identical(*both(sim.load_scenario(BASELINE, overrides), 200, seed=2016))


def test_hard_cases_in_blocks_of_a_few_replications_are_identical(monkeypatch):
    """The loop grows its tables, slots and records for the block of replications about to
    run: in blocks of 30, a later block grows what the earlier ones did not need."""
    from sim.engines.compiled import run

    monkeypatch.setattr(run, "BLOCK", 30)
    for overrides in HARD_CASES:
        assert_identical(*both(sim.load_scenario(BASELINE, overrides), 200, seed=2016))


#: Loading and unloading times of every kind (hours), each pool's different; with cv 0 a
#: lognormal or gamma duration is fixed at its mean.
KINDS = {
    "fixed": ("0.7", "0.3"),
    "exponential": ("{dist = 'exponential', mean = 0.8}", "{dist = 'exponential', mean = 0.2}"),
    "uniform": (
        "{dist = 'uniform', low = 0.2, high = 1.4}",
        "{dist = 'uniform', low = 0.3, high = 0.3}",
    ),
    "triangular": (
        "{dist = 'triangular', low = 0.1, mode = 0.5, high = 1.9}",
        "{dist = 'triangular', low = 0.2, mode = 0.2, high = 0.6}",
    ),
    "lognormal": (
        "{dist = 'lognormal', mean = 0.9, cv = 0.4}",
        "{dist = 'lognormal', mean = 0.4, cv = 0.0}",
    ),
    "gamma": ("{dist = 'gamma', mean = 0.9, cv = 0.7}", "{dist = 'gamma', mean = 0.3, cv = 0.0}"),
}


def kind_scenario(kind: str):
    """The baseline with every loading and unloading time of ``kind``."""
    bus, ambulance = KINDS[kind]
    overrides = [
        f"fleet.{pool}.{what}={spec}"
        for pool, spec in (("buses", bus), ("ambulances", ambulance))
        for what in ("load_time", "unload_time")
    ]
    return sim.load_scenario(BASELINE, overrides)


def test_numpy_s_own_functions_are_called_from_the_loop():
    """numpy's exp, log and log1p loops and scipy's ndtri and gammaincinv are to be had here
    and give their bits (native's check): so a new convoy's hours are the loop's, and the
    tests below test that path, not the numpy rounds it falls back on."""
    from sim.engines.compiled.native import FUNCTIONS, addresses

    functions = addresses()
    assert functions is not None and len(functions) == FUNCTIONS


def test_numpy_s_functions_giving_other_bits_are_refused(monkeypatch):
    """A function that does not give numpy's bits on native's sample is not called (here
    log's loop in exp's place), and neither is one of another signature: the loop falls
    back on numpy's hours."""
    from sim.engines.compiled import native

    real = native._loop
    swapped = {np.exp: real(np.log)}
    for patch in (
        lambda: monkeypatch.setattr(native, "_loop", lambda f: swapped.get(f) or real(f)),
        lambda: monkeypatch.setitem(native.SIGNATURES, "ndtri", b"double (double)"),
    ):
        patch()
        native.addresses.cache_clear()
        try:
            assert native.addresses() is None
        finally:
            monkeypatch.undo()
            native.addresses.cache_clear()
    assert native.addresses() is not None


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_distribution_kind_of_the_slowest_vehicles_is_identical(kind):
    assert_identical(*both(kind_scenario(kind), 300, seed=7))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_distribution_kind_with_parameters_per_replication_is_identical(kind):
    """Per-replication loading and unloading parameters, a lognormal's and a gamma's cv
    zero in some replications (fixed at the mean there)."""
    scenario = kind_scenario(kind)
    rng = np.random.default_rng(8)
    n = 200
    names = {
        "fixed": {"value": (0.0, 1.5)},
        "exponential": {"mean": (0.05, 1.5)},
        "uniform": {"low": (0.0, 0.4), "high": (0.4, 2.0)},
        "triangular": {"low": (0.0, 0.2), "mode": (0.2, 0.6), "high": (0.6, 2.0)},
        "lognormal": {"mean": (0.1, 1.5), "cv": (0.0, 1.2)},
        "gamma": {"mean": (0.1, 1.5), "cv": (0.0, 1.2)},
    }[kind]
    parameters = {}
    for pool in ("buses", "ambulances"):
        for what in ("load_time", "unload_time"):
            for name, (low, high) in names.items():
                values = rng.uniform(low, high, n)
                if name == "cv":
                    values[::3] = 0.0
                parameters[f"fleet.{pool}.{what}.{name}"] = values
    if kind == "triangular":  # the same low, mode and high now and then
        for pool in ("buses", "ambulances"):
            key = f"fleet.{pool}.load_time"
            for name in ("low", "mode", "high"):
                parameters[f"{key}.{name}"][::4] = 0.5
    assert_identical(*both(scenario, n, 3, parameters=parameters))


def test_without_numpy_s_functions_numpy_gives_the_hours_between_rounds(monkeypatch):
    """Where numpy's and scipy's functions cannot be called (another numpy, another
    scipy), the loop stops at each new convoy and numpy gives its hours: the same results."""
    from sim.engines.compiled import native

    monkeypatch.setattr(native, "addresses", lambda: None)
    for kind in ("gamma", "exponential"):
        assert_identical(*both(kind_scenario(kind), 200, seed=5))
    assert_identical(*both(sim.load_scenario(BASELINE), 200, seed=5))


def test_the_loop_runs_compiled_only_where_it_can_and_pays():
    baseline = sim.load_scenario(BASELINE)
    assert compiled_loop(baseline, 20_000, traced=False)
    assert not compiled_loop(baseline, 20_000, traced=True)  # the trace is the numpy loop's
    assert not compiled_loop(baseline, 100, traced=False)  # numba's start would not pay
    crossing = sim.load_scenario(BASELINE, ["crossing.lanes=1"])
    assert compiled_supports(crossing) == "a crossing"
    assert not compiled_loop(crossing, 20_000, traced=False)


def test_a_mechanism_added_later_is_refused_until_the_loop_knows_it(monkeypatch):
    from sim.engines.compiled import run

    scenario = sim.load_scenario(BASELINE)
    pool = [name for name in run.KNOWN["Pool"] if name != "loading_place"]
    monkeypatch.setitem(run.KNOWN, "Pool", tuple(pool))
    assert "Pool.loading_place" in compiled_supports(scenario)
    assert not compiled_loop(scenario, 20_000, traced=False)


def test_a_batch_it_cannot_run_is_refused_in_one_line():
    crossing = sim.load_scenario(BASELINE, ["crossing.lanes=1"])
    with pytest.raises(ValueError, match="the scenario has a crossing"):
        run_vector(crossing, 10, 1, traced=(), loop="compiled")
    with pytest.raises(ValueError, match="a replication is traced"):
        run_vector(sim.load_scenario(BASELINE), 10, 1, loop="compiled")
    with pytest.raises(ValueError, match="loop must be"):
        run_vector(sim.load_scenario(BASELINE), 10, 1, loop="fast")


def test_a_traced_batch_traces_in_the_numpy_loop_and_runs_the_rest_compiled():
    """Its traced replications (the first ``run.trace_reps``, or those asked for) run in the
    numpy loop, which keeps the trace; the whole batch equals the numpy loop's, trace and
    all."""
    scenario = sim.load_scenario(BASELINE)
    for first, traced in ((0, None), (3, [5, 700, 2_020])):
        numpy_run = run_vector(scenario, 2_500, 9, first_rep=first, traced=traced, loop="numpy")
        mixed = run_vector(scenario, 2_500, 9, first_rep=first, traced=traced)
        assert_identical(numpy_run, mixed)
        assert mixed.trace == numpy_run.trace and mixed.trace


@pytest.mark.parametrize(
    "index",
    [
        np.arange(0, 16),
        np.arange(3, 29),
        np.arange(5, 6),
        np.arange(4, 12) * 4 + 1,
        (np.arange(3, 9)[:, None] * 4 + np.arange(2)).ravel(),
    ],  # fmt: skip
    ids=["table", "straddling", "one", "strided", "by_pool"],
)
def test_compiled_philox_draws_the_same_uniforms(index):
    from sim.engines.compiled.philox import CompiledVariates
    from sim.model.variates import Variates

    rng = np.random.default_rng(12)
    reps = np.concatenate([rng.integers(0, 2**40, 300), [0, 2**63 - 1]])[:, None]
    for stream in ("load", "breach", "exchange_halt"):
        expected = Variates(2016).uniform(stream, reps, index[None])
        np.testing.assert_array_equal(
            CompiledVariates(2016).uniform(stream, reps, index[None]), expected
        )
    # any other shape is numpy's own
    np.testing.assert_array_equal(
        CompiledVariates(3).uniform("load", reps[:, 0], 7),
        Variates(3).uniform("load", reps[:, 0], 7),
    )
