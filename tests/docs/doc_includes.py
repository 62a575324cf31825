#!/usr/bin/python3
"""Keeps the code listed in docs/ identical to the files it comes from.

A Markdown file says where a listing comes from with a comment line right
before its fenced block:

    <!-- include: examples/echo/echo.cc -->
    ```cpp
    ...the whole file...
    ```

`doc_includes.py check DOC...` fails, naming the file and the first line that
differs, when a listing is not the file byte for byte (so the guide's
examples are the ones the tests build and run); `doc_includes.py update
DOC...` rewrites the listings from the files.
"""
import pathlib
import re
import sys

MARKER = re.compile(r"^<!-- include: (\S+) -->\n", re.M)
FENCE = re.compile(r"```[a-z+]*\n(.*?)```\n", re.S)


def listings(text):
    """Yields (path, start, end) of each included listing's body in text."""
    for marker in MARKER.finditer(text):
        fence = FENCE.match(text, marker.end())
        if not fence:
            raise ValueError(f"the include of {marker.group(1)} is not followed by a fenced block")
        yield marker.group(1), fence.start(1), fence.end(1)


def first_difference(a, b):
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
        if x != y:
            return n
    return min(len(a.splitlines()), len(b.splitlines())) + 1


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "update"):
        print("usage: doc_includes.py check|update DOC...", file=sys.stderr)
        return 2
    root = pathlib.Path(__file__).resolve().parents[2]
    failures = 0
    for doc in map(pathlib.Path, argv[2:]):
        text = doc.read_text()
        try:
            found = list(listings(text))
        except ValueError as e:
            print(f"{doc}: {e}", file=sys.stderr)
            return 1
        if not found:
            print(f"{doc}: no <!-- include: FILE --> listings", file=sys.stderr)
            failures += 1
        for path, start, end in reversed(found):
            source = (root / path).read_text()
            if text[start:end] == source:
                continue
            if argv[1] == "update":
                text = text[:start] + source + text[end:]
            else:
                print(f"{doc}: the listing of {path} differs from the file at its line "
                      f"{first_difference(text[start:end], source)} (tests/docs/doc_includes.py update {doc})",
                      file=sys.stderr)
                failures += 1
        if argv[1] == "update":
            doc.write_text(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
