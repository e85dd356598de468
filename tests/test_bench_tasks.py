"""bench/run.py's plan of tasks: every part of the table measured once per size (billing three times at 1,000, each on
its own copy), each seeded business seeded once."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import run  # noqa: E402  (bench/run.py, which imports its neighbours by name)


def play(sizes, parts, separate):
    """The tasks in the order run.main starts them with one worker: [(kind, n, parts)]."""
    ready, started = run.first_tasks(sizes, parts, separate), []
    while ready:
        task = run.next_task(ready)
        ready.remove(task)
        started.append(task)
        ready.extend(run.following(task, "snapshot"))
    return started


@pytest.mark.parametrize("separate", [True, False])
def test_every_part_is_measured_once_per_size_billing_three_times_at_1000_on_copies(separate):
    started = play([1000, 10000], run.PARTS, separate)
    for n in (1000, 10000):
        measured = [part for kind, size, parts in started if size == n and kind != "seed" for part in parts]
        repeats = run.BILLING_REPEATS if separate and n <= run.REPEAT_UP_TO else 1
        assert sorted(measured) == sorted(run.PARTS + ("floor",) + ("billing", "floor") * (repeats - 1))
        assert sum(kind in ("seed", "business") for kind, size, _ in started if size == n) == 1


def test_each_billing_figure_is_the_median_over_the_billing_tasks():
    def task_rows(run_seconds, read, insert, exports):
        return {"billing": {"seconds": run_seconds, "trips": 168, "note": "1,000 bills"},
                "floor": {"read": read, "insert": insert, "note": "1,000 bills inserted"},
                "exports": {"seconds": exports, "memory": 8.0}}

    merged = run.median_billing([task_rows(15.0, 4.0, 4.0, 3.0), task_rows(11.0, 3.0, 5.0, 5.0),
                                 task_rows(12.0, 5.0, 4.5, 4.0)])
    assert merged["floor"] == {"read": 4.0, "insert": 4.5, "note": "1,000 bills inserted"}
    assert merged["exports"] == {"seconds": 4.0, "memory": 8.0}
    assert merged["billing"] == {"seconds": 12.0, "trips": 168, "note": "1,000 bills; each figure the median of 3 "
                                 "billing tasks (run / floor in each: 1.26, 1.38, 1.88)"}
    assert run.median_billing([task_rows(12.0, 4.0, 4.0, 3.0)]) == task_rows(12.0, 4.0, 4.0, 3.0)


def test_the_largest_business_is_seeded_first_and_its_parts_follow_its_seeding():
    started = play([1000, 10000], run.PARTS, separate=True)
    assert started[0] == ("seed", 10000, ("pages", "confirm", "billing", "floor"))
    for n in (1000, 10000):
        kinds = [kind for kind, size, _ in started if size == n]
        assert kinds.index("seed") < kinds.index("parts")
    assert [task[1] for task in started] == sorted((task[1] for task in started), reverse=True)


def test_asked_parts_only():
    started = play([1000], ["billing"], separate=True)
    assert started == [("seed", 1000, ("billing", "floor"))] + [("parts", 1000, ("billing", "floor"))] * 3
    assert play([10000], ["pages", "confirm", "billing"], separate=True)[1] == ("parts", 10000, ("billing", "floor"))
    assert play([1000], ["pages"], separate=True) == [("seed", 1000, ("pages",)), ("parts", 1000, ("pages",))]
    assert play([1000], ["confirm"], separate=True)[-1] == ("parts", 1000, ("confirm",))
    assert play([1000], ["import"], separate=True) == [("import", 1000, ("import",))]
