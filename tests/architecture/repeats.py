"""Repeated runs of code: ``python -m tests.architecture.repeats [--shape] [--min N] [paths]``.

Not a test: a measuring tool for folding copy-paste. Each line is reduced to its tokens
(comments, blank lines and import statements dropped); ``--shape`` also replaces every name
but keywords by ``N``, every string by ``S`` and every number by ``0``, so lines that differ
only in names and literals match. A *pair* is two places whose runs of at least ``--min``
(default 6) reduced lines are equal, counted once at its longest extent. Migrations are left
out: each is a frozen copy on purpose.
"""

from __future__ import annotations

import argparse
import io
import itertools
import keyword
import tokenize
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOTS = ("src", "compat")
SKIPPED = ("migrations",)
_DROPPED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


@dataclass(frozen=True)
class Line:
    number: int
    text: str


@dataclass(frozen=True)
class Pair:
    first: tuple[Path, int, int]
    second: tuple[Path, int, int]
    length: int


def _token_text(token: tokenize.TokenInfo, shape: bool) -> str:
    if not shape:
        return token.string
    if token.type == tokenize.NAME:
        return token.string if keyword.iskeyword(token.string) else "N"
    if token.type == tokenize.STRING or token.type in _fstring_types():
        return "S"
    if token.type == tokenize.NUMBER:
        return "0"
    return token.string


def _fstring_types() -> set[int]:
    return {
        getattr(tokenize, name)
        for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
        if hasattr(tokenize, name)
    }


def reduced_lines(source: str, *, shape: bool) -> list[Line]:
    """The file's lines as token strings, each logical line's tokens on its first row."""
    rows: dict[int, list[str]] = defaultdict(list)
    statement_row = None
    skip_statement = False
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            statement_row, skip_statement = None, False
            continue
        if token.type in _DROPPED:
            continue
        if statement_row is None:
            statement_row = token.start[0]
            skip_statement = token.string in ("import", "from")
        if skip_statement:
            continue
        rows[token.start[0]].append(_token_text(token, shape))
    return [
        Line(number, " ".join(tokens))
        for number, tokens in sorted(rows.items())
        if not shape or any(token == "N" or keyword.iskeyword(token) for token in tokens)
    ]


def python_files(roots: list[Path]) -> Iterator[Path]:
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if not any(part in SKIPPED for part in path.parts):
                yield path


def repeated_pairs(files: dict[Path, list[Line]], minimum: int) -> list[Pair]:
    """Maximal equal runs of at least ``minimum`` lines.

    A run found at k places counts as k - 1 pairs (each place with the next), so k copies
    are k - 1 redundant ones, not k(k-1)/2 comparisons.
    """
    windows: dict[tuple[str, ...], list[tuple[Path, int]]] = defaultdict(list)
    for path, lines in files.items():
        texts = [line.text for line in lines]
        for start in range(len(texts) - minimum + 1):
            windows[tuple(texts[start : start + minimum])].append((path, start))

    def same(a: tuple[Path, int], b: tuple[Path, int]) -> bool:
        (pa, ia), (pb, ib) = a, b
        return files[pa][ia].text == files[pb][ib].text

    pairs: list[Pair] = []
    for places in windows.values():
        for a, b in itertools.pairwise(places):
            if a[0] == b[0] and abs(a[1] - b[1]) < minimum:
                continue  # a run overlapping itself
            if a[1] > 0 and b[1] > 0 and same((a[0], a[1] - 1), (b[0], b[1] - 1)):
                continue  # counted from the run's first line
            length = minimum
            while (
                a[1] + length < len(files[a[0]])
                and b[1] + length < len(files[b[0]])
                and same((a[0], a[1] + length), (b[0], b[1] + length))
                and not (a[0] == b[0] and a[1] + length >= b[1])
            ):
                length += 1
            pairs.append(Pair(_span(files, a, length), _span(files, b, length), length))
    return sorted(pairs, key=lambda pair: (-pair.length, pair.first))


def _span(
    files: dict[Path, list[Line]], place: tuple[Path, int], length: int
) -> tuple[Path, int, int]:
    path, start = place
    return path, files[path][start].number, files[path][start + length - 1].number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(root) for root in ROOTS])
    parser.add_argument("--shape", action="store_true", help="names and literals match any")
    parser.add_argument("--min", type=int, default=6, help="shortest run counted (lines)")
    parser.add_argument("--quiet", action="store_true", help="only the totals")
    options = parser.parse_args()
    files = {
        path: reduced_lines(path.read_text(encoding="utf-8"), shape=options.shape)
        for path in python_files(options.paths)
    }
    pairs = repeated_pairs(files, options.min)
    if not options.quiet:
        for pair in pairs:
            (pa, a1, a2), (pb, b1, b2) = pair.first, pair.second
            print(f"{pair.length:4d}  {pa}:{a1}-{a2}  {pb}:{b1}-{b2}")
    involved = {pair.first[0] for pair in pairs} | {pair.second[0] for pair in pairs}
    mode = "shape" if options.shape else "exact"
    print(
        f"{mode}: {len(pairs)} pairs of runs >= {options.min} lines "
        f"({sum(pair.length for pair in pairs)} lines) in {len(involved)} of {len(files)} files"
    )


if __name__ == "__main__":
    main()
