"""Tests for sim.model.variates: Philox4x64-10 against numpy and Random123, and the uniforms."""

import numpy as np
import pytest
from scipy import special, stats

from sim.engines.batch_params import BatchDistribution
from sim.model.distributions import Distribution
from sim.model.variates import STREAMS, Variates, _mulhilo, _to_unit, philox4x64, seed_key, uniforms

MAX64 = 2**64 - 1


def numpy_block(key, counter) -> np.ndarray:
    """The first block numpy's Philox produces from this state."""
    return np.random.Philox(key=np.asarray(key, np.uint64), counter=counter).random_raw(4)


def plus_one(counter) -> np.ndarray:
    """The 256-bit counter (least significant word first) plus one, with carries."""
    v = (sum(int(w) << (64 * i) for i, w in enumerate(counter)) + 1) % 2**256
    return np.array([(v >> (64 * i)) & MAX64 for i in range(4)], dtype=np.uint64)


def cases(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Random (key, counter) pairs plus carry and near-2**64 edge cases."""
    rng = np.random.default_rng(20161215)
    keys = rng.integers(0, MAX64, (n, 2), dtype=np.uint64, endpoint=True)
    ctrs = rng.integers(0, MAX64, (n, 4), dtype=np.uint64, endpoint=True)
    ctrs[: n // 3] = np.where(rng.random((n // 3, 4)) < 0.5, np.uint64(MAX64), ctrs[: n // 3])
    edge_ctrs = [[MAX64] * k + [0] * (4 - k) for k in range(5)] + [[MAX64, 5, MAX64, 0]]
    edge_keys = [[MAX64, MAX64], [MAX64 - 1, 0], [0, MAX64], [0, 0], [2**63, 2**63 - 1], [1, 2]]
    keys = np.concatenate([keys, np.array(edge_keys, np.uint64)])
    ctrs = np.concatenate([ctrs, np.array(edge_ctrs, np.uint64)])
    return keys, ctrs


def test_mulhilo_exact_for_extreme_operands():
    rng = np.random.default_rng(7)
    edge = [0, 1, 2**32 - 1, 2**32, 2**32 + 1, 2**63, MAX64 - 1, MAX64]
    xs = np.concatenate([np.array(edge, np.uint64), rng.integers(0, MAX64, 500, np.uint64)])
    for m in [0xD2E7470EE14C6C93, 0xCA5A826395121157, MAX64, 2**32 + 1]:
        hi, lo = _mulhilo(m, xs.copy())
        assert [int(h) << 64 | int(w) for h, w in zip(hi, lo, strict=True)] == [
            m * int(x) for x in xs
        ]


def test_random123_known_answers():
    # philox4x64 10 vectors from Random123's kat_vectors: counter, key -> block.
    kat = [
        ([0, 0, 0, 0], [0, 0], [0x16554D9ECA36314C, 0xDB20FE9D672D0FDC,
                                0xD7E772CEE186176B, 0x7E68B68AEC7BA23B]),
        ([MAX64] * 4, [MAX64] * 2, [0x87B092C3013FE90B, 0x438C3C67BE8D0224,
                                    0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0]),
        ([0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89],
         [0x452821E638D01377, 0xBE5466CF34E90C6C],
         [0xA528F45403E61D95, 0x38C72DBD566E9788, 0xA5A1610E72FD18B5, 0x57BD43B5E52B7FE6]),
    ]  # fmt: skip
    for ctr, key, want in kat:
        assert philox4x64(np.array(ctr, np.uint64), np.array(key, np.uint64)).tolist() == want


def test_numpy_increments_counter_before_each_block():
    # Pins numpy's convention: Philox(counter=c) emits the blocks of c+1, c+2, ... with the
    # carry running through all four words, and the state afterwards holds the last counter.
    key = np.array([3, 4], np.uint64)
    c = np.array([MAX64, MAX64, 7, 0], np.uint64)
    bg = np.random.Philox(key=key, counter=c)
    raw = bg.random_raw(8)
    assert np.array_equal(raw[:4], philox4x64(np.array([0, 0, 8, 0], np.uint64), key))
    assert np.array_equal(raw[4:], philox4x64(np.array([1, 0, 8, 0], np.uint64), key))
    assert bg.state["state"]["counter"].tolist() == [1, 0, 8, 0]
    assert not np.array_equal(raw[:4], philox4x64(c, key))


def test_philox_matches_numpy_vectorized():
    keys, ctrs = cases()
    got = philox4x64(np.array([plus_one(c) for c in ctrs]), keys)
    want = np.array([numpy_block(k, c) for k, c in zip(keys, ctrs, strict=True)])
    assert got.dtype == np.uint64 and got.shape == (len(keys), 4)
    assert np.array_equal(got, want)


def test_philox_broadcasting_and_shapes():
    keys, ctrs = cases(20)
    one = philox4x64(ctrs[0], keys[0])
    assert one.shape == (4,)
    assert np.array_equal(philox4x64(ctrs, keys[0]), [philox4x64(c, keys[0]) for c in ctrs])
    grid = philox4x64(ctrs[:, None, :], keys[None, :5, :])
    assert grid.shape == (len(ctrs), 5, 4)
    assert np.array_equal(grid[7, 3], philox4x64(ctrs[7], keys[3]))
    with pytest.raises(ValueError):
        philox4x64(ctrs[:, :3], keys)


def test_streams_fixed():
    assert dict(STREAMS) == {
        "load": 1, "unload": 2, "to_checkpoint": 3, "inspection": 4, "incident": 5,
        "to_reception": 6, "return_trip": 7, "breach": 8, "negotiation": 9, "guarantee": 10,
        "linked_trip": 11, "uncertainty": 12, "private_load": 13, "private_to_checkpoint": 14,
        "private_inspection": 15, "private_to_reception": 16,
        "exchange_to_meeting": 31, "exchange_from_meeting": 32, "exchange_return": 33,
        "exchange_halt": 34, "exchange_halt_duration": 35,
    }  # fmt: skip
    with pytest.raises(TypeError):
        STREAMS["new"] = 11  # type: ignore[index]


def test_seed_key():
    key = seed_key(42)
    assert key.dtype == np.uint64 and key.shape == (2,)
    assert np.array_equal(key, np.random.SeedSequence(42).generate_state(2, np.uint64))


def test_uniform_is_documented_function_of_philox():
    seed, rep = 7, np.arange(5)[:, None]
    index = np.array([0, 1, 2, 3, 4, 9, 1000003])
    u = uniforms(seed, "inspection", rep, index)
    for r in range(5):
        for j, i in enumerate(index):
            ctr = np.array([i // 4, r, STREAMS["inspection"], 0], np.uint64)
            word = philox4x64(ctr, seed_key(seed))[i % 4]
            assert u[r, j] == ((int(word) >> 11) + 0.5) * 2.0**-53


def test_open_interval_at_extreme_words():
    u = _to_unit(np.array([0, 2**11 - 1, MAX64 - 2**11, MAX64], np.uint64))
    assert u[0] == u[1] == 2.0**-54
    assert u[2] == 1.0 - 2.0**-52  # (2**53 - 1.5) * 2**-53 rounds half to even
    assert u[3] == 1.0 - 2.0**-53  # (2**53 - 0.5) * 2**-53 would round to 1.0: capped


def test_open_interval_and_reproducible():
    u = uniforms(11, "load", np.arange(50)[:, None], np.arange(2000))
    assert u.shape == (50, 2000) and u.dtype == np.float64
    assert (u > 0).all() and (u < 1).all()
    assert np.array_equal(u, uniforms(11, "load", np.arange(50)[:, None], np.arange(2000)))


def test_scalar_equals_array_element_and_rep_alone_equals_batch_row():
    batch = uniforms(5, "incident", np.arange(8)[:, None], np.arange(3, 40))
    s = uniforms(5, "incident", 6, 20)
    assert s.shape == () and s == batch[6, 17]
    assert np.array_equal(uniforms(5, "incident", 6, np.arange(3, 40)), batch[6])
    assert np.array_equal(Variates(5).block("incident", 6, 3, 37), batch[6])


def test_fast_and_general_paths_agree():
    rng = np.random.default_rng(1)
    reps, idx = np.arange(6)[:, None], np.arange(1, 500)
    run = uniforms(3, "breach", reps, idx)  # consecutive indices: block-grid path
    perm = rng.permutation(idx.size)
    assert np.array_equal(uniforms(3, "breach", reps, idx[perm]), run[:, perm])
    assert np.array_equal(uniforms(3, "breach", np.broadcast_to(reps, run.shape), idx), run)
    ragged = rng.integers(0, 10**9, (4, 7))
    want = [[uniforms(3, "breach", 2, i) for i in row] for row in ragged]
    assert np.array_equal(uniforms(3, "breach", 2, ragged), want)


def test_streams_reps_and_seeds_differ():
    idx = np.arange(1000)
    base = uniforms(1, "load", 0, idx)
    others = [uniforms(1, s, 0, idx) for s in STREAMS if s != "load"]
    others += [uniforms(1, "load", 1, idx), uniforms(2, "load", 0, idx)]
    for other in others:
        assert not np.isin(base, other).any()
        assert abs(np.corrcoef(base, other)[0, 1]) < 0.15


def test_distribution():
    u = uniforms(2016, "negotiation", np.arange(10)[:, None], np.arange(10_000)).ravel()
    assert abs(u.mean() - 0.5) < 4 * (1 / 12 / u.size) ** 0.5
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("fn", [np.exp, np.log, np.log1p, np.sqrt, special.ndtri])
def test_elementwise_functions_give_the_same_bits_in_any_array(fn):
    # The batch engine transforms a whole table of uniforms at once (Batch._hours) where
    # the reference engine transforms one number at a time: numpy's vector loops, their
    # tails and its strided and 0-d paths must agree to the bit, whatever the length.
    u = uniforms(3, "to_reception", np.arange(40)[:, None], np.arange(101))  # (40, 101)
    x = {np.exp: 6 * u - 3, np.log: u, np.log1p: -u, np.sqrt: u, special.ndtri: u}[fn]
    whole = fn(x)
    flat = x.ravel()
    for n in (1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64):
        for start in (0, 1, 6):
            part = flat[start : start + n * ((flat.size - start) // n)].reshape(-1, n)
            assert same_bits(fn(part), whole.ravel()[start : start + part.size].reshape(-1, n))
    assert same_bits(fn(x[:, ::3]), whole[:, ::3])  # strided
    assert same_bits(fn(x.T), whole.T)  # transposed (F-ordered)
    assert same_bits([fn(np.float64(v)) for v in flat[:300]], whole.ravel()[:300])  # 0-d


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "lognormal", "mean": 1.32, "cv": 0.2},
        {"dist": "gamma", "mean": 0.9, "cv": 0.7},
        {"dist": "exponential", "mean": 1.5},
        {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 3.0},
        {"dist": "uniform", "low": 1.0, "high": 3.0},
    ],
)
def test_a_table_transformed_at_once_is_each_number_transformed_alone(spec):
    d = Distribution.from_spec(spec, "t.toml", "k")
    u = uniforms(8, "return_trip", np.arange(30)[:, None], np.arange(48))
    table = d.ppf(u)
    assert same_bits([[d.ppf(float(v)) for v in row] for row in u], table)  # as des.py
    for j in (0, 5, 16, 47):  # one event's slice, as the batch engine drew them before
        assert same_bits(d.ppf(u[::2, j]), table[::2, j])
    # parameters per replication: a table's rows take their replication's values
    mean = np.linspace(0.5, 2.0, 30)
    key = "mean" if "mean" in spec else "high"
    batch = BatchDistribution(d.dist, {**dict(d.params), key: mean + spec[key]})
    rows = batch.ppf(u, np.arange(30)[:, None])
    for r in (0, 7, 29):
        assert same_bits(rows[r], batch.ppf(u[r], np.full(48, r)))


def test_variates_matches_uniforms():
    v = Variates(99)
    assert v.seed == 99 and np.array_equal(v.key, seed_key(99))
    for start, n in [(0, 0), (0, 1), (1, 2), (3, 1), (5, 13), (8, 64), (1001, 250)]:
        b = v.block("guarantee", 4, start, n)
        assert b.shape == (n,)
        assert np.array_equal(b, uniforms(99, "guarantee", 4, np.arange(start, start + n)))
    assert v.uniform("unload", 3, 17) == uniforms(99, "unload", 3, 17)


def test_errors():
    with pytest.raises(KeyError, match="known streams: load, unload"):
        uniforms(1, "bogus", 0, 0)
    with pytest.raises(KeyError, match="guarantee"):
        Variates(1).block("bogus", 0, 0, 4)
    with pytest.raises(ValueError):
        uniforms(1, "load", 0, np.array([3, -1]))
    with pytest.raises(ValueError):
        uniforms(1, "load", -2, 0)
    with pytest.raises(ValueError):
        Variates(1).block("load", 0, -4, 2)
    with pytest.raises(ValueError):
        Variates(1).block("load", -1, 0, 2)
    with pytest.raises(ValueError, match="integers"):
        uniforms(1, "load", 0, 1.5)
