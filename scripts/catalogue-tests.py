#!/usr/bin/env python3
"""Rewrites the `tests = [...]` list of every requirement in the catalogue
(src/domain/src/catalogue/requirements.toml) from the test functions named for requirements
(`fn r_xx_nn_…`) under src/ and tests/: a test is listed under each requirement its name mentions.
The catalogue's own test checks the result; run this after adding or renaming such a test."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
cat = root / "src/domain/src/catalogue/requirements.toml"
names = set()
for d in ("src", "tests"):
    for p in (root / d).rglob("*.rs"):
        for m in re.finditer(r"(?<![A-Za-z0-9_])fn (r_[a-z]{2}_[0-9]{2}[a-z0-9_]*)", p.read_text()):
            names.add(m.group(1))
text = cat.read_text()
ids = re.findall(r'^id = "(R-[A-Z]{2}-[0-9]{2})"', text, re.M)
by_id = {i: sorted(n for n in names if re.search(r"(?:^|_)" + i.lower().replace("-", "_") + r"(?:_|$)", n)) for i in ids}
out, current, skip = [], None, False
for line in text.splitlines(keepends=True):
    m = re.match(r'^id = "(R-[A-Z]{2}-[0-9]{2})"', line)
    if m:
        current = m.group(1)
    if skip:
        if line.startswith("]"):
            skip = False
        continue
    if line.startswith("tests = ["):
        tests = by_id.get(current, [])
        if tests:
            out.append("tests = [\n" + "".join(f'  "{t}",\n' for t in tests) + "]\n")
        else:
            out.append("tests = []\n")
        skip = not line.rstrip().endswith("]")
        continue
    out.append(line)
cat.write_text("".join(out))
missing = [i for i in ids if not by_id[i]]
print(f"{len(names)} tests over {len(ids)} requirements; {len(missing)} without a test", file=sys.stderr)
