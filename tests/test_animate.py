"""Tests for sim.views.animate: GIFs of a replication, the errors, and where convoys are drawn."""

import errno
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib import animation
from PIL import Image

import sim
from sim.errors import ScenarioError
from sim.inputs.loader import load_scenario
from sim.views.animate import (
    BACK,
    CHECKPOINT,
    OUT,
    Place,
    _Gif,
    _Scene,
    animate,
    convoy_position,
)

DETERMINISTIC = Path(__file__).parent.parent / "scenarios" / "workshop" / "deterministic.toml"
HALT = "ceasefire.windows=[{start = 5.0, end = 9.0, reason = 'halt'}]"


def trace_of(overrides: list[str] | None = None):
    """The scenario and the trace of its replication 0, seed 1."""
    scenario = load_scenario(DETERMINISTIC, overrides)
    return scenario, sim.run(scenario, reps=1, seed=1, trace=[0]).replications.trace


def test_gif_of_a_short_run(tmp_path):
    scenario, trace = trace_of(["horizon=16"])
    out = animate(scenario, trace, tmp_path / "run.gif", minutes_per_frame=30)
    assert out == tmp_path / "run.gif"
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert gif.size == (1024, 576)
        assert 20 <= gif.n_frames <= 30  # every 30 min to 14.0 h (cleared); last frame held
    assert plt.get_fignums() == []  # nothing registered with pyplot


def test_a_suspension_animates(tmp_path):
    scenario, trace = trace_of([HALT, "horizon=12"])
    out = animate(scenario, trace, tmp_path / "halt.gif", minutes_per_frame=45)
    with Image.open(out) as gif:
        assert gif.n_frames > 1


def test_banner_queue_and_held_convoy():
    scenario, trace = trace_of([HALT])
    scene = _Scene(scenario, trace, scenario.horizon, "test")
    scene.update(6.0)  # suspended; convoy 2 (number 1) held at the checkpoint since 5.25 h
    assert scene.cause.get_text() == "SUSPENDED: halt"
    assert scene.clock.get_text() == "Thu 15 Dec 12:00"
    assert scene.queue.get_text() == "1,100\nwaiting"  # 2,300 - 600 - 600
    assert scene.boxes[1].get_text() == "C2 600 held"
    assert scene.boxes[1].get_position() == (CHECKPOINT, OUT)
    assert not scene.boxes[0].get_visible()  # convoy 1's vehicles were back at 4.0 h
    scene.update(9.5)
    assert scene.cause.get_text() == "CEASEFIRE ACTIVE"
    assert scene.count.get_text() == "evacuated 600 of 2,300"
    scene.fig.clear()


def test_unknown_extension(tmp_path):
    scenario, trace = trace_of()
    with pytest.raises(ScenarioError, match=r"\.gif or \.mp4"):
        animate(scenario, trace, tmp_path / "run.avi")


@pytest.mark.skipif(animation.writers.is_available("ffmpeg"), reason="ffmpeg is installed")
def test_mp4_without_ffmpeg(tmp_path):
    scenario, trace = trace_of()
    with pytest.raises(ScenarioError, match="mp4 needs ffmpeg.*gif"):
        animate(scenario, trace, tmp_path / "run.mp4")
    assert not (tmp_path / "run.mp4").exists()


def test_a_full_disk_leaves_no_cut_short_file(tmp_path, monkeypatch):
    def full(writer: _Gif) -> None:
        Path(writer.outfile).write_bytes(b"GIF89a")  # the first bytes, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_Gif, "finish", full)
    with pytest.raises(ScenarioError, match="run.gif: cannot be written: No space left"):
        animate(*trace_of(["horizon=4"]), tmp_path / "run.gif", minutes_per_frame=60)
    assert os.listdir(tmp_path) == []


def test_an_interrupted_animation_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    def interrupted(writer: _Gif) -> None:
        Path(writer.outfile).write_bytes(b"GIF89a")
        raise KeyboardInterrupt

    monkeypatch.setattr(_Gif, "finish", interrupted)
    (tmp_path / "run.gif").write_bytes(b"an older animation")
    with pytest.raises(KeyboardInterrupt):
        animate(*trace_of(["horizon=4"]), tmp_path / "run.gif", minutes_per_frame=60)
    assert os.listdir(tmp_path) == ["run.gif"]
    assert (tmp_path / "run.gif").read_bytes() == b"an older animation"


def test_bad_step(tmp_path):
    with pytest.raises(ScenarioError, match="positive"):
        animate(*trace_of(), tmp_path / "a.gif", minutes_per_frame=0)


def test_positions_on_the_deterministic_timetable():
    _, trace = trace_of()
    first = [e for e in trace if e.convoy == 0]
    # forms 0, departs 0.5, checkpoint 1.0, passes 1.25, reception 2.0, unloaded 2.25, back 4.0
    expected = {
        0.0: Place(0.0, OUT, "loading"),
        0.5: Place(0.0, OUT, "to checkpoint"),
        0.75: Place(CHECKPOINT / 2, OUT, "to checkpoint"),
        1.0: Place(CHECKPOINT, OUT, "inspection"),
        1.25: Place(CHECKPOINT, OUT, "to reception"),
        1.625: Place((CHECKPOINT + 1) / 2, OUT, "to reception"),
        2.0: Place(1.0, OUT, "unloading"),
        2.25: Place(1.0, BACK, "return"),
        3.125: Place(0.5, BACK, "return"),
    }
    for t, place in expected.items():
        got = convoy_position(first, t)
        assert got is not None and got.lane == place.lane and got.state == place.state, t
        assert got.x == pytest.approx(place.x), t
    assert convoy_position(first, 4.0) is None  # its vehicles are back, idle
    assert convoy_position([e for e in trace if e.convoy == 1], 3.9) is None  # not formed yet


def test_open_legs_use_typical_durations():
    _, trace = trace_of()
    cut = [e for e in trace if e.convoy == 0 and e.time <= 1.5]  # ends on the way to reception
    place = convoy_position(cut, 1.5, {"passes_checkpoint": 1.0})
    assert place == Place(pytest.approx(CHECKPOINT + 0.25 * (1 - CHECKPOINT)), OUT, "to reception")
    assert convoy_position(cut, 9.0, {"passes_checkpoint": 1.0}).x == 1.0  # not beyond


def test_turned_back_convoy_drives_back():
    scenario, trace = trace_of([HALT, "ceasefire.before_checkpoint='turn_back'"])
    third = [e for e in trace if e.convoy == 1]  # departs 4.5 h, turned back at 5.0 h
    assert [e.event for e in third][-2:] == ["turned_back", "back_at_pickup"]
    typical = {"convoy_departs": scenario.route.to_checkpoint.mean}
    start = next(e.time for e in third if e.event == "turned_back")
    back = next(e.time for e in third if e.event == "back_at_pickup")
    place = convoy_position(third, (start + back) / 2, typical)
    assert place.state == "turned back" and place.lane == BACK
    assert 0 < place.x < CHECKPOINT
    assert convoy_position(third, back, typical) is None
