"""The benchmark's measurement (real /proc, real processes) and its Markdown table. No timed assertions:
the figures themselves are printed by ``make bench-spark``, never asserted."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caec_spark_dev.bench import _positive, main, markdown, parse_sizes, summarise, targets
from caec_spark_dev.measure import (
    MANY_THREADS,
    ChildCache,
    family,
    parse_private,
    parse_status,
    read_memory,
    read_processes,
    tree,
)

MB = 2**20


def test_parse_status_reads_the_memory_counters_of_a_real_process() -> None:
    status = parse_status(Path("/proc/self/status").read_text())
    assert set(status) == {"VmRSS", "VmHWM", "VmPeak", "VmSize", "VmData"}
    assert 0 < status["VmRSS"] <= status["VmHWM"]
    assert parse_status("Name:\tkthreadd\nState:\tS (sleeping)\n") == {}  # kernel threads have none
    with pytest.raises(ValueError, match="unit"):
        parse_status("VmRSS:\t  12 MB\n")


@contextlib.contextmanager
def processes(script: str, printed: int) -> Iterator[tuple[int, list[int]]]:
    """A python process running ``script`` in its own process group, with the ``printed`` pids its
    script prints (of the descendants it starts); the whole group is killed afterwards."""
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert parent.stdout is not None
        yield parent.pid, [int(parent.stdout.readline()) for _ in range(printed)]
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


GRANDCHILD = """
import subprocess, sys, time
c = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(64 * 2**20); time.sleep(60)"])
print(c.pid, flush=True)
time.sleep(60)
"""


def test_tree_finds_grandchildren_and_their_memory() -> None:
    with processes(GRANDCHILD, 1) as (parent, (grandchild,)):
        for _ in range(200):  # until the grandchild has touched its 64 MB
            rss, hwm = read_memory(grandchild)
            if hwm >= 64 * 1024:
                break
            time.sleep(0.05)
        assert tree(parent) == [parent, grandchild]
        assert family(parent) == {parent: None, grandchild: parent}
        rss, hwm = read_memory(parent)
        assert rss >= 64 * 1024 and hwm >= 64 * 1024
        assert read_memory(2**22 + 1) == (0, 0)  # no such process: counts nothing


FORKS = """
import os, time
b = bytearray(100 * 2**20)
if os.fork() == 0:  # a copy that does nothing
    time.sleep(60)
    os._exit(0)
if os.fork() == 0:  # a copy with 20 MB of its own
    c = bytearray(20 * 2**20)
    print(os.getpid(), flush=True)
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


def test_forked_children_count_only_what_they_do_not_share() -> None:
    """Two children forked over the parent's 100 MB: one unchanged (it mirrors its parent: counts 0), one
    that allocated 20 MB of its own (counts its private pages). The tree holds the 100 MB once."""
    with processes(FORKS, 1) as (parent, (own,)):
        rows = {name.partition(" ")[2]: (kb, hwm) for name, kb, hwm in read_processes(family(parent))}
        assert set(rows) == {"", "(parent's memory)", "(forked)"}
        assert rows[""][0] >= 100 * 1024  # the parent holds the 100 MB
        assert rows["(parent's memory)"] == (0, rows["(parent's memory)"][1])
        assert rows["(parent's memory)"][1] >= 100 * 1024  # though it maps them too
        assert 20 * 1024 <= rows["(forked)"][0] < 40 * 1024
        rss, _ = read_memory(parent)
        assert 120 * 1024 <= rss < 170 * 1024
        # the sampler's cache: smaps_rollup once per process per refresh, VmRSS less the shared kB between
        cache: dict[int, tuple[float, int]] = {}
        first = {n: kb for n, kb, _ in read_processes(family(parent), shared=cache)}
        assert list(cache) == [own] and cache[own][1] >= 50 * 1024  # it shares most of the parent's 100 MB
        cache[own] = (cache[own][0], 0)  # claim it shares nothing: the next read must use the cache
        second = {n: kb for n, kb, _ in read_processes(family(parent), shared=cache)}
        assert first.keys() == second.keys()
        forked = next(n for n in second if n.endswith("(forked)"))
        assert first[forked] < 40 * 1024 and second[forked] >= 100 * 1024


# Runs {threads} idle threads, then starts a child (and prints its pid) for each line on stdin.
SPAWNER = """
import subprocess, sys, threading, time
for _ in range({threads}):
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
print(0, flush=True)
for _ in sys.stdin:
    print(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]).pid, flush=True)
"""


@pytest.mark.parametrize("threads", [MANY_THREADS + 4, 0])
def test_sampler_lists_a_many_threaded_process_children_again_only_after_refresh(threads: int) -> None:
    """Listing a JVM's children reads one file per thread (~150): a sampler lists them at most every
    ``refresh`` seconds and keeps the last list in between. A few-threaded process is listed every time."""
    parent = subprocess.Popen(
        [sys.executable, "-c", SPAWNER.format(threads=threads)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert parent.stdin is not None and parent.stdout is not None
    try:
        parent.stdout.readline()  # its threads are running
        cache: ChildCache = {}
        assert family(parent.pid, cache=cache, refresh=60) == {parent.pid: None}
        parent.stdin.write("\n")
        parent.stdin.flush()
        child = int(parent.stdout.readline())
        if threads > MANY_THREADS:
            assert list(cache) == [parent.pid]
            assert family(parent.pid, cache=cache, refresh=60) == {parent.pid: None}  # the kept list
            assert family(parent.pid, cache=cache, refresh=0) == {parent.pid: None, child: parent.pid}
        else:
            assert cache == {}
            assert family(parent.pid, cache=cache, refresh=60) == {parent.pid: None, child: parent.pid}
        assert family(parent.pid) == {parent.pid: None, child: parent.pid}  # no cache: always listed
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def test_parse_private() -> None:
    rollup = Path("/proc/self/smaps_rollup").read_text()
    assert 0 < parse_private(rollup) <= parse_status(Path("/proc/self/status").read_text())["VmRSS"]
    assert parse_private("Rss: 10 kB\nPrivate_Clean: 3 kB\nPrivate_Dirty: 4 kB\nShared_Clean: 3 kB\n") == 7


# Run in its own interpreter: measure() makes its process a child subreaper, which pytest should not be.
# The command's child exits at once, leaving an orphan that allocates 80 MB and burns 0.4 s of CPU: the
# orphan must be followed, counted and waited for.
PROBE = r"""
import json, os, sys
from pathlib import Path
from caec_spark_dev.measure import measure
child = '''
import subprocess, sys
orphan = subprocess.Popen([sys.executable, "-c",
    "import time; b = bytearray(80 * 2**20); time.sleep(0.6); t = time.process_time()\\n"
    "while time.process_time() - t < 0.4: pass"])
print(orphan.pid, flush=True)
'''
out = Path(sys.argv[1])
m = measure([sys.executable, "-c", child], stdout=out, interval=0.1)
orphan = int(out.read_text())
short = measure([sys.executable, "-c", "b = bytearray(60 * 2**20)"], interval=60)  # exits before a 2nd tick
print(json.dumps({"m": m.__dict__, "peak_mb": m.peak_mb, "orphan_alive": Path(f"/proc/{orphan}").exists(),
                  "short_peak_mb": short.peak_mb}))
"""


def test_measure_follows_orphans_counts_their_cpu_and_waits_for_them(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "orphan.pid")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    got: dict[str, Any] = json.loads(r.stdout)
    m = got["m"]
    assert m["returncode"] == 0
    assert not got["orphan_alive"]  # waited for before measure returned
    assert m["cpu_s"] >= 0.4  # the orphan's busy loop is in the tree's CPU time
    assert got["peak_mb"] >= 80 and m["max_hwm_mb"] >= 80  # its memory too, though its parent was gone
    assert got["short_peak_mb"] >= 60  # a run shorter than a tick: its ru_maxrss
    # The sampler's cost: /proc status counters only (no smaps walk). Its CPU time per sample, bounded
    # with a wide margin: under 5 ms means under 1% of a core at the bench's 0.5 s interval.
    assert m["samples"] >= 5
    assert m["sampler_cpu_s"] / m["samples"] < 0.005


def test_parse_sizes() -> None:
    assert parse_sizes("100k,1M") == ["100k", "1m"]
    assert parse_sizes(" 10M ") == ["10m"]
    for bad in ("", "5m", "1m,2k"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_sizes(bad)


def _engine(wall: float, records: int) -> dict[str, Any]:
    return {"wall_s": wall, "cpu_s": wall * 1.5, "peak_mb": 3070, "events_per_s": round(records / wall),
            "sampler_share": 0.0012}  # fmt: skip


def _result(size: str, records: int, spark: float, twin: float, gap: float, agree: bool) -> dict[str, Any]:
    return {
        "size": size,
        "records": records,
        "engines": {"spark": _engine(spark, records), "duckdb_twin": _engine(twin, records),
                    "duckdb_gap": _engine(gap, records)},
        "ratio_spark_over_twin": round(spark / twin, 2),
        "ratio_spark_over_gap": round(spark / gap, 2),
        "counts_agree": agree,
    }  # fmt: skip


META = {"date": "2026-12-04 08:00 UTC", "cpus": 2, "threads": 2, "memory": "12g", "load_avg_start": 0.5,
        "commit": "abc1234"}  # fmt: skip


def test_markdown_table_rows_ratios_and_targets() -> None:
    results = [
        _result("1m", 999_997, 35.0, 14.0, 5.0, True),
        _result("10m", 9_999_970, 160.0, 40.0, 16.0, False),
    ]
    text = markdown(results, META)
    lines = text.splitlines()
    assert lines[0].startswith("`make bench-spark`, 2026-12-04 08:00 UTC, 2 cores (threads 2)")
    header = lines.index(
        "| size | records | engine | wall s | CPU s | peak MB | events/s | Spark wall ÷ this | counts agree |"
    )
    rows = lines[header + 2 : header + 8]
    assert rows[0] == "| 1M | 999,997 | Spark job | 35.0 | 52.5 | 3,070 | 28,571 | 1.00 |  |"
    assert rows[1] == "| 1M | 999,997 | DuckDB twin | 14.0 | 21.0 | 3,070 | 71,428 | 2.50 | yes |"
    assert rows[2] == "| 1M | 999,997 | DuckDB gap-only | 5.0 | 7.5 | 3,070 | 199,999 | 7.00 |  |"
    assert rows[4].endswith("| 4.00 | **NO** |")
    assert "| 1M events: Spark <= 40 s wall | 35.0 s | yes |" in lines
    assert "| 10M events: Spark <= 150 s wall | 160.0 s | **no** |" in lines
    assert "| Spark events/s at 10M >= at 1M | 62,500 vs 28,571 | yes |" in lines
    assert lines[-1].endswith("The memory sampler cost at most 0.12% of one core (docs/benchmarks.md).")
    _assert_rows_complete(lines)


def _assert_rows_complete(lines: list[str]) -> None:
    """Every table row has as many cells as its header (figures table: 9, targets table: 3)."""
    for line in lines:
        if line.startswith("|"):
            assert line.count("|") in (10, 4), line


def test_targets_only_for_measured_sizes() -> None:
    only_small = targets([_result("100k", 100_000, 25.0, 5.0, 2.0, True)])
    assert only_small == [{"target": "100k events: Spark <= 20 s wall", "measured": "25.0 s", "holds": False}]
    assert targets([_result("20k", 20_000, 9.0, 1.0, 1.0, True)]) == []


def _round(wall: float, cpu: float, peak: int, share: float = 0.001) -> dict[str, Any]:
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak, "events_per_s": 0, "sampler_share": share,
            "peak_processes": [f"java {peak} MB"]}  # fmt: skip


def test_summarise_takes_medians_the_wall_range_and_the_highest_peak() -> None:
    # one disturbed round (the 31 s one) moves neither the median wall nor the median CPU
    runs = [_round(21.0, 30.0, 2500), _round(31.0, 41.0, 2400, 0.004), _round(20.0, 29.0, 2600)]
    got = summarise(runs, 100_000)
    assert (got["wall_s"], got["wall_min_s"], got["wall_max_s"], got["cpu_s"]) == (21.0, 20.0, 31.0, 30.0)
    assert got["peak_mb"] == 2600 and got["peak_processes"] == ["java 2600 MB"]
    assert got["events_per_s"] == round(100_000 / 21.0)
    assert got["sampler_share"] == 0.004 and got["runs"] == runs
    even = summarise([_round(10.0, 1.0, 1), _round(20.0, 3.0, 1)], 10)
    assert (even["wall_s"], even["cpu_s"]) == (15.0, 2.0)


def test_markdown_with_rounds_gives_medians_ranges_and_says_so() -> None:
    result = _result("100k", 99_955, 21.0, 2.6, 0.6, True)
    result["repeat"] = 3
    result["engines"]["spark"] = summarise([_round(21.0, 30.0, 2500), _round(27.0, 37.0, 2500),
                                            _round(20.5, 29.0, 2400)], 99_955)  # fmt: skip
    lines = markdown([result], META).splitlines()
    spark_row = next(line for line in lines if "| Spark job |" in line)
    assert spark_row.startswith("| 100k | 99,955 | Spark job | 21.0 (20.5-27.0) | 30.0 | 2,500 |")
    assert "| 100k events: Spark <= 20 s wall | 21.0 s (median of 3) | **no** |" in lines
    assert lines[-1].startswith("Each run 3 times, the engines alternating: wall s and CPU s are medians")
    _assert_rows_complete(lines)


def test_repeat_must_be_a_positive_whole_number() -> None:
    assert _positive("3") == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            _positive(bad)
    with pytest.raises(SystemExit) as exited:
        main(["--repeat", "0"])
    assert exited.value.code == 2
