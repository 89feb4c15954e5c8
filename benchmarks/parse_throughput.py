"""Parse + classify throughput of meshtail against a naive single-regex parser, same process, same lines.

    python benchmarks/parse_throughput.py [N] [RUNS]

Prints lines/s for: the naive baseline (one regex, nothing else); meshtail deciding each line
(detection, wrappers, the decision from the deciding groups, the lazy event — what `scan
--filter`, the store and the panes need); meshtail building every attribute and the summary
too (what a detail view or an attribute filter needs); and + JSON encoding (the export path).
Medians of RUNS runs, interleaved, and the ratio to the baseline's time.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.gen_access_log import lines as generate
from meshtail.events import RawLine, Source, dumps_line
from meshtail.parse.detect import StreamParser

NAIVE = re.compile(
    r'^\[(?P<start>[^\]]*)\] "(?P<method>\S+) (?P<path>\S+) (?P<proto>[^"]*)" (?P<code>\d+) (?P<flags>\S+) '
    r'(?P<details>\S+) (?P<term>\S+) "(?P<tfr>[^"]*)" (?P<rx>\d+) (?P<tx>\d+) (?P<dur>\d+) (?P<ust>\S+) '
    r'"(?P<xff>[^"]*)" "(?P<ua>[^"]*)" "(?P<rid>[^"]*)" "(?P<auth>[^"]*)" "(?P<uh>[^"]*)" (?P<cluster>\S+) '
    r"(?P<ula>\S+) (?P<dla>\S+) (?P<dra>\S+) (?P<sni>\S+) (?P<route>\S+)$"
)


def naive(texts: list[str]) -> int:
    parsed = 0
    for text in texts:
        if NAIVE.match(text) is not None:
            parsed += 1
    return parsed


def meshtail(texts: list[str], mode: str = "decide") -> int:
    parser = StreamParser()
    source = Source("file", path="bench.log")
    out = 0
    for text in texts:
        event = parser.parse(RawLine(text, source, "2026-03-01T00:00:00.000000Z"))
        if mode == "json":
            out += len(dumps_line(event.to_dict()))  # (the JSONL writer's own call)
        elif mode == "expand":
            out += len(event.attributes)
        else:
            out += event.violation
    return out


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    texts = list(generate(count))
    results: dict[str, list[float]] = {
        "naive regex": [],
        "meshtail decide": [],
        "meshtail + attributes": [],
        "meshtail + json": [],
    }
    for _ in range(runs):  # interleaved so machine noise hits all alike
        results["naive regex"].append(timed(naive, texts))
        results["meshtail decide"].append(timed(meshtail, texts))
        results["meshtail + attributes"].append(timed(meshtail, texts, "expand"))
        results["meshtail + json"].append(timed(meshtail, texts, "json"))
    base = statistics.median(results["naive regex"])
    print(f"{count} lines, median of {runs} runs")
    for name, seconds in results.items():
        median = statistics.median(seconds)
        print(f"{name:22s} {count / median:12,.0f} lines/s   {median / base:5.2f}x baseline time")


if __name__ == "__main__":
    main()
