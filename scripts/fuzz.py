"""Fuzz target: mutated real lines through every parser, random format strings, random filters.

    python scripts/fuzz.py [--seconds N] [--seed S] [--target lines|formats|filters|all]

Mutations start from the real lines in tests/data (so each parser's own code is reached,
not just its detector): bit flips, truncation, splicing two families, NULs, ESC/OSC, quotes,
invalid UTF-8, and megabyte lines.  Invariants: no exception escapes, every line gives exactly
one event, and the event matches the JSON Schema.  Exit status 1 on the first violation,
with the input that caused it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jsonschema  # noqa: E402

from meshtail.events import RawLine, Source, load_schema  # noqa: E402
from meshtail.parse.detect import StreamParser  # noqa: E402
from meshtail.parse.envoy_access import FormatError, compile_format  # noqa: E402
from meshtail.query import FilterError, compile_filter  # noqa: E402
from meshtail.sources.files import decode  # noqa: E402

DATA = ROOT / "tests" / "data"
NASTY = [
    "\x00",
    "\x1b[31m",
    "\x1b]8;;http://x\x07",
    "\x1b]52;c;SGk=\x07",
    "\x9b",
    "\u202e",
    "\r",
    '"',
    "\\",
    "[",
    "]",
    "{",
    "}",
    "%",
    "|",
    "\t",
    " ",
    "-",
    "[/",
    "[@click=app.quit]",
    "\ud800",
]
OPERATORS = [
    "%START_TIME%",
    "%REQ(:METHOD)%",
    "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "%PROTOCOL%",
    "%RESPONSE_CODE%",
    "%RESPONSE_FLAGS%",
    "%DURATION%",
    "%UPSTREAM_HOST%",
    "%BYTES_SENT%",
    "%REQ(USER-AGENT)%",
    "%DYNAMIC_METADATA(istio.mixer:status)%",
    "%UNKNOWN_THING%",
    "%REQ(",
    "%%",
    "%START_TIME(%s)%",
]
FILTER_WORDS = [
    "cat:auth",
    "outcome:deny",
    "status:>=500",
    "-ns:x",
    "OR",
    "NOT",
    "(",
    ")",
    "path:/a/",
    "/x/i",
    '"phrase',
    "policy:*",
    "duration:>",
    ":",
    "-",
    "time:>=2024",
    "user:/[/",
    "a:b:c",
    "\x00",
    "*",
    "path:/(a+)+$/",
    "path:/a{99999999999}/",
    "((((((((((",
    "NOT NOT NOT NOT",
    "status:>=abc",
    "severity:>=bogus",
    'request_id:="/./"',
    "path:*a*a*a*a*b",
]


def real_lines() -> list[str]:
    out = []
    for path in sorted(DATA.glob("*.log")):
        out.extend(line for line in path.read_text("utf-8").splitlines() if line)
    return out


def mutate(rng: random.Random, line: str, pool: list[str]) -> bytes:
    choice = rng.randrange(9)
    if choice == 0 and line:
        cut = rng.randrange(len(line))
        line = line[:cut]
    elif choice == 1 and line:
        i = rng.randrange(len(line))
        line = line[:i] + rng.choice(NASTY) + line[i:]
    elif choice == 2:
        other = rng.choice(pool)
        line = line[: rng.randrange(len(line) + 1)] + other[rng.randrange(len(other) + 1) :]
    elif choice == 3:
        line = line * rng.randint(2, 20)
    elif choice == 4 and rng.random() < 0.05:
        line = line + "x" * rng.randint(1_000_000, 1_100_000)
    elif choice == 5 and line:
        chars = list(line)
        for _ in range(rng.randint(1, 5)):
            chars[rng.randrange(len(chars))] = rng.choice(NASTY)
        line = "".join(chars)
    data = line.encode("utf-8", "surrogatepass")
    if choice == 6 and data:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        data = bytes(b)
    elif choice == 7:
        data += b"\xff\xfe\xc3"
    elif choice == 8:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    return data


def fuzz_lines(rng: random.Random, deadline: float, validator: jsonschema.protocols.Validator) -> int:
    pool = real_lines()
    custom = compile_format(
        '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%" %RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION%'
    )
    parsers = [StreamParser(), StreamParser([custom])]
    count = 0
    while time.monotonic() < deadline:
        data = mutate(rng, rng.choice(pool), pool)
        text, bad = decode(data)
        raw = RawLine(text, Source("pod", namespace="ns", pod="p", container="c"), "2026-01-01T00:00:00Z", None, bad)
        parser = rng.choice(parsers)
        try:
            event = parser.parse(raw)
        except Exception as exc:  # the invariant under test
            print(f"parser raised {exc!r} on {data[:300]!r}")
            raise SystemExit(1) from exc
        if count % 50 == 0:
            validator.validate(event.to_dict())
        count += 1
    return count


def fuzz_formats(rng: random.Random, deadline: float) -> int:
    count = 0
    while time.monotonic() < deadline:
        fmt = "".join(
            rng.choice([*OPERATORS, " ", '"', "[", "]", "-", rng.choice(NASTY)]) for _ in range(rng.randint(0, 14))
        )
        try:
            compiled = compile_format(fmt)
        except FormatError:
            count += 1
            continue
        except Exception as exc:
            print(f"compile_format raised {exc!r} on {fmt!r}")
            raise SystemExit(1) from exc
        parser = StreamParser([compiled])
        for line in (fmt, fmt.replace("%", ""), '[2024-01-01T00:00:00.000Z] "GET / HTTP/1.1" 200 - 5'):
            try:
                parser.parse(RawLine(line, Source("file"), "2026-01-01T00:00:00Z"))
            except Exception as exc:
                print(f"custom format {fmt!r} raised {exc!r} on {line!r}")
                raise SystemExit(1) from exc
        count += 1
    return count


def fuzz_filters(rng: random.Random, deadline: float) -> int:
    events = [StreamParser().parse(RawLine(line, Source("file"), "2026-01-01T00:00:00Z")) for line in real_lines()]
    count = 0
    while time.monotonic() < deadline:
        text = " ".join(rng.choice(FILTER_WORDS) for _ in range(rng.randint(0, 8)))
        if rng.random() < 0.3:
            text = "".join(rng.choice([*text, *NASTY]) for _ in range(len(text)))
        try:
            query = compile_filter(text)
        except FilterError as exc:
            if exc.position is None or not 0 <= exc.position <= len(text):
                print(f"filter error without a valid position for {text!r}: {exc}")
                raise SystemExit(1) from exc
            count += 1
            continue
        except Exception as exc:
            print(f"compile_filter raised {exc!r} on {text!r}")
            raise SystemExit(1) from exc
        for event in rng.sample(events, 5):
            matched = query.matches(event)
            # a pre-check may skip only lines that cannot match: a miss here loses events in `scan`
            if matched and query.precheck is not None and not query.precheck(event.raw):
                print(f"the pre-check of {text!r} rejects a line the filter matches: {event.raw[:200]!r}")
                raise SystemExit(1)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--target", choices=("lines", "formats", "filters", "all"), default="all")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    schema = load_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    targets = ["lines", "formats", "filters"] if args.target == "all" else [args.target]
    share = args.seconds / len(targets)
    for target in targets:
        deadline = time.monotonic() + share
        if target == "lines":
            count = fuzz_lines(rng, deadline, validator)
        elif target == "formats":
            count = fuzz_formats(rng, deadline)
        else:
            count = fuzz_filters(rng, deadline)
        print(f"fuzz {target}: {count} inputs in {share:.0f}s, no failure (seed {seed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
