#!/usr/bin/env python3
"""Turns an Arduino sketch (.ino) into the C++ file the Arduino IDE would compile.

The IDE includes Arduino.h first and declares the sketch's functions, so a sketch may
call a function above its definition. This does both: it writes `#include <Arduino.h>`,
then the sketch, with a prototype inserted before the top-level declaration that first
uses a function defined further down. `#line` directives keep compiler messages pointing
at the .ino. Like the IDE's own generator it reads the source, not the preprocessed
program, so it only declares plain top-level functions: not templates, members, functions
inside namespaces or functions with default arguments (declare those by hand).

usage: sketch_prototypes.py SKETCH.ino OUTPUT.cpp
"""
import re
import sys

KEYWORDS = {"if", "while", "for", "switch", "return", "catch", "sizeof", "decltype"}
SKIP_WORDS = re.compile(r"\b(class|struct|union|enum|namespace|template|typedef|using|operator)\b")
DEFINITION = re.compile(
    r"^(?P<ret>[A-Za-z_][\w:<>,*&\s]*?[\s*&])(?P<name>[A-Za-z_]\w*)\s*\((?P<params>.*)\)\s*(?:const\s*)?$",
    re.S)


def mask(src):
    """The source with comments, literals and preprocessor lines blanked, same length and
    line breaks, so offsets in it are offsets in the source."""
    out = list(src)
    i, n = 0, len(src)
    line_start = True

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if line_start and c in " \t":
            i += 1
            continue
        if line_start and c == "#":
            j = i
            while j < n and not (src[j] == "\n" and src[j - 1] != "\\"):
                j += 1
            blank(i, j)
            i = j
            continue
        line_start = c == "\n"
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == "R" and src.startswith('R"', i) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            open_paren = src.find("(", i + 2)
            delim = src[i + 2:open_paren]
            j = src.find(")" + delim + '"', open_paren)
            j = n if j < 0 else j + len(delim) + 2
            blank(i, j)
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            blank(i, min(j + 1, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


def top_level_definitions(masked):
    """(statement start, header end, name, header text) of each top-level function
    definition, and the start offsets of all top-level statements."""
    found, starts = [], [0]
    depth = paren = 0
    start = 0
    for i, c in enumerate(masked):
        if c == "(":
            paren += 1
        elif c == ")":
            paren -= 1
        elif c == "{" and paren == 0:
            if depth == 0:
                header = " ".join(masked[start:i].split())
                m = DEFINITION.match(header)
                if (m and m.group("name") not in KEYWORDS and "=" not in header
                        and not SKIP_WORDS.search(header) and "::" not in m.group("name")):
                    found.append((start, i, m.group("name"), header))
            depth += 1
        elif c == "}" and paren == 0:
            depth -= 1
            if depth == 0:
                start = i + 1
                starts.append(start)
        elif c == ";" and depth == 0 and paren == 0:
            start = i + 1
            starts.append(start)
    return found, starts


def first_use(masked, name, before):
    m = re.search(r"(?<![\w.>:])" + re.escape(name) + r"\b", masked[:before])
    return m.start() if m else None


def main():
    sketch, output = sys.argv[1], sys.argv[2]
    with open(sketch, encoding="utf-8") as f:
        src = f.read()
    masked = mask(src)
    definitions, starts = top_level_definitions(masked)
    inserts = {}  # line number -> prototypes to put before it
    for start, _, name, header in definitions:
        if name in ("setup", "loop"):
            continue
        use = first_use(masked, name, start)
        if use is None:
            continue
        statement = max(s for s in starts if s <= use)
        while statement < len(src) and src[statement].isspace():
            statement += 1
        line = src.count("\n", 0, statement) + 1
        inserts.setdefault(line, []).append(header + ";")
    path = sketch.replace("\\", "\\\\").replace('"', '\\"')
    lines = src.splitlines(keepends=True)
    out = ["#include <Arduino.h>\n", '#line 1 "%s"\n' % path]
    for number, text in enumerate(lines, start=1):
        if number in inserts:
            out.extend(p + "\n" for p in inserts[number])
            out.append('#line %d "%s"\n' % (number, path))
        out.append(text)
    with open(output, "w", encoding="utf-8") as f:
        f.write("".join(out))


if __name__ == "__main__":
    main()
