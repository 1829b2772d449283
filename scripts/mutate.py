#!/usr/bin/env python3
"""mutate.py: mutation testing of src/ (make mutate N=100 SEED=1 [ASAN=1]; docs/TESTING.md).

Plants one small bug at a time in the sources, builds incrementally in its own build folder,
runs the tests (fastest first, stopping at the first failure) and reports which mutants the
suite killed and the diffs of those it let survive. With --asan-build, each survivor is built
again with AddressSanitizer and UBSan and the unit and golden tests run there: leaks and
out-of-bounds accesses the Release build cannot see then kill it too.
"""
import argparse
import os
import random
import re
import signal
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKUP_SUFFIX = ".mutate-orig"  # the original beside a mutated file while it is mutated

# ---- what is mutated -------------------------------------------------------------------------
# Each operator: (kind, pattern, replacement function). Patterns see one line of code with its
# comment and string literals blanked out; every match position is one candidate mutant.

COMPARE_FLIPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
LOGIC_FLIPS = {"&&": "||", "||": "&&"}
ARITH_FLIPS = {"+": "-", "-": "+"}


def _flip(table):
    return lambda m: m.group(1) + table[m.group(2)] + m.group(3)


OPERATORS = [
    # a < b -> a <= b, == -> != ...: only with spaces around, so templates and -> stay alone
    ("compare", re.compile(r"(\s)(<=|>=|==|!=|<|>)(\s)"), _flip(COMPARE_FLIPS)),
    ("logic", re.compile(r"(\s)(&&|\|\|)(\s)"), _flip(LOGIC_FLIPS)),
    # off-by-one: x + 1 -> x - 1, and integer literals one up
    ("arith", re.compile(r"(\s)([+-])(\s+\d)"), _flip(ARITH_FLIPS)),
    ("constant", re.compile(r"(?<![\w.])(\d+)(?![\w.'])"),
     lambda m: str(int(m.group(1)) + 1)),
    # if (c) -> if (!(c)) for a condition on one line
    ("negate", re.compile(r"(\bif \()(.+)(\)\s*(\{|return|goto|continue|break|[A-Za-z_]\w*\s*[=(;]|$))"),
     lambda m: m.group(1) + "!(" + m.group(2) + ")" + m.group(3)),
    # f(a, b) -> f(b, a) for two simple arguments
    ("swap", re.compile(r"(\b\w+\()([\w.>\-\[\]]+), ([\w.>\-\[\]]+)(\))"),
     lambda m: m.group(1) + m.group(3) + ", " + m.group(2) + m.group(4)),
]

# A statement that is one call (a barrier, touch_frame, a check ...): dropped whole.
DROP_CALL = re.compile(r"^(\s*)((?:[\w:]+(?:\.|->))*[\w:]+\(.*\);)\s*$")
# `if (cond) return x;` -> `return x;` (an early return taken always)
EARLY_RETURN = re.compile(r"^(\s*)if \(.*\) (return\b.*;)\s*$")
SKIP_CALLS = re.compile(r"^\s*(return|assert|static_assert|RAISE|DISPATCH|NEXT|using|typedef)\b")


def blank_noise(line):
    """The line with string/char literals and // comments replaced by spaces (same length)."""
    out = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if line.startswith("//", i):
            out.append(" " * (n - i))
            break
        if c in "\"'":
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if line[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


class Spans:
    """A match found in the blanked line, read from the real line (its literals intact)."""

    def __init__(self, m, line):
        self.m, self.line = m, line

    def group(self, i):
        return self.line[self.m.start(i):self.m.end(i)]


def candidates(path):
    """Every mutant of one file: (kind, line number, new line)."""
    found = []
    in_block_comment = False
    lines = path.read_text().split("\n")
    for no, line in enumerate(lines, 1):
        stripped = line.strip()
        if in_block_comment:
            in_block_comment = "*/" not in stripped
            continue
        if stripped.startswith("/*"):
            in_block_comment = "*/" not in stripped
            continue
        if not stripped or stripped.startswith(("#", "//", "*")) or "static_assert" in line:
            continue
        code = blank_noise(line)
        for kind, pat, repl in OPERATORS:
            for m in pat.finditer(code):  # found in the blanked code, rewritten in the real one
                new = line[: m.start()] + repl(Spans(m, line)) + line[m.end():]
                if new != line:
                    found.append((kind, no, new))
        m = EARLY_RETURN.match(code)
        if m:
            found.append(("early-return", no, line[: len(m.group(1))] + line[m.start(2):].rstrip()))
        m = DROP_CALL.match(code)
        if m and not SKIP_CALLS.match(code) and "=" not in code.split("(")[0]:
            found.append(("drop-call", no, m.group(1) + "/* mutant: dropped */;"))
    return found


def subsystem(rel):
    return rel.parts[1] if len(rel.parts) > 2 else "src"


def sample(n, seed, only=None, headers=False):
    """n mutants spread over the subsystems: seeded shuffle per subsystem, then round robin.
    Headers only when asked: a mutant in a header most files include rebuilds everything."""
    by_sub = defaultdict(list)
    suffixes = (".cpp", ".h") if headers else (".cpp",)
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix not in suffixes or path.name.endswith(BACKUP_SUFFIX):
            continue
        rel = path.relative_to(ROOT)
        if only and not str(rel).startswith(only):
            continue
        for kind, no, new in candidates(path):
            by_sub[subsystem(rel)].append((str(rel), no, kind, new))
    rng = random.Random(seed)
    queues = []
    for sub in sorted(by_sub):
        rng.shuffle(by_sub[sub])
        queues.append(by_sub[sub])
    picked = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop())
    return picked, {s: len(v) for s, v in by_sub.items()}


# ---- running one mutant ----------------------------------------------------------------------

class Mutation:
    """Writes the mutant; restores the original on exit, on Ctrl-C and on SIGTERM."""

    def __init__(self, rel, line_no, new_line):
        self.path = ROOT / rel
        self.backup = self.path.with_name(self.path.name + BACKUP_SUFFIX)
        self.line_no, self.new_line = line_no, new_line

    def __enter__(self):
        text = self.path.read_text()
        self.backup.write_text(text)  # survives a kill -9: restore_leftovers() puts it back
        lines = text.split("\n")
        lines[self.line_no - 1] = self.new_line
        self.path.write_text("\n".join(lines))
        return self

    def __exit__(self, *exc):
        os.replace(self.backup, self.path)
        os.utime(self.path)  # newer than the mutant's objects, so the next build recompiles it
        return False


def restore_leftovers():
    for b in (ROOT / "src").rglob("*" + BACKUP_SUFFIX):
        target = b.with_name(b.name[: -len(BACKUP_SUFFIX)])
        print(f"restoring {target.relative_to(ROOT)} from an interrupted run")
        os.replace(b, target)
        os.utime(target)


def on_signal(signum, frame):
    raise KeyboardInterrupt  # unwinds through Mutation.__exit__


def run(cmd, timeout, env=None):
    """(status, output); status 'timeout' when it ran too long (its whole process group is
    killed: only processes this script started)."""
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                         text=True, errors="replace", start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return "timeout", out
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise


# The test stages, fastest and most telling first; the first failing stage kills the mutant.
SLOW_SUITES = "InterpDepth.*:Cli.*:Limits.*:VmErrors.*:Repl.*:EqualTest.*:NetServer.*:NetLimits.*"


def stages(build):
    tests = str(build / "valk_unit_tests")
    stress = dict(os.environ, VALK_GC_STRESS="1")
    suites = [["bash", "-c", f'cd tests/valk/suites && for f in *.valk; do "{build}/valk" "$f" > /dev/null || exit 1; done']]
    return [
        ("unit+golden", [tests, "--gtest_brief=1", "--gtest_fail_fast", f"--gtest_filter=-{SLOW_SUITES}"], None),
        ("slow unit", [tests, "--gtest_brief=1", "--gtest_fail_fast", f"--gtest_filter={SLOW_SUITES}"], None),
        ("valk suites", suites[0], None),
        ("golden under GC stress", [tests, "--gtest_brief=1", "--gtest_fail_fast",
                                    "--gtest_filter=GoldenFiles.*:Valk/Golden.*"], stress),
    ]


# The sanitizer pass: the unit and golden tests (no stress, no Valk suites), given longer
# since ASan runs them a few times slower.
ASAN_STAGES = ("unit+golden", "slow unit")
ASAN_SLOWDOWN = 3


def build_tree(build, timeout):
    return run(["cmake", "--build", str(build), "--target", "valk", "valk_unit_tests"], timeout)


def test_mutant(build, timeout, only=None):
    """'killed by <stage>' or 'survived'; only: the names of the stages to run."""
    for name, cmd, env in stages(build):
        if only and name not in only:
            continue
        status, out = run(cmd, timeout, env)
        if status == "timeout":
            return f"killed by {name} (timeout)", out
        if status != 0:
            return f"killed by {name}", out
    return "survived", ""


def configure(build, asan=False):
    """Configures (the ASan folder as make asan does), builds and tests the unmutated tree."""
    # ccache (when installed) makes each mutant's rebuild cheaper; without it the build is plain.
    launcher = ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"] if shutil.which("ccache") else []
    flags = ["-DCMAKE_BUILD_TYPE=Release", *launcher]
    if asan:
        flags = ["-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DVALK_SANITIZE=ON", *launcher]
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja", *flags],
                   check=True, stdout=subprocess.DEVNULL)
    status, out = build_tree(build, 3600 * (ASAN_SLOWDOWN if asan else 1))
    if status != 0:
        sys.exit(f"the unmutated tree does not build in {build}:\n" + out[-3000:])
    verdict, out = asan_verdict(build, 900) if asan else test_mutant(build, 900)
    if verdict != "survived":
        sys.exit(f"the unmutated tree fails its tests in {build} ({verdict}):\n" + out[-3000:])


def asan_verdict(build, timeout):
    """A survivor built and tested again under the sanitizers: 'killed by asan <stage>' or
    'survived'. A sanitizer report makes the test binary fail, so it is one more failing stage."""
    status, out = build_tree(build, 1800 * ASAN_SLOWDOWN)
    if status != 0:
        return "survived (the ASan build failed)", out
    verdict, out = test_mutant(build, timeout * ASAN_SLOWDOWN, ASAN_STAGES)
    return verdict.replace("killed by ", "killed by asan "), out


def diff_of(rel, line_no, new_line):
    old = (ROOT / rel).read_text().split("\n")[line_no - 1]
    return f"--- {rel}:{line_no}\n-{old}\n+{new_line}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100, help="how many mutants (default 100)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build", default="build-mutate", help="its own build folder")
    ap.add_argument("--only", help="a path prefix, e.g. src/vm")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per stage; longer is killed")
    ap.add_argument("--headers", action="store_true",
                    help="mutate headers too (src/config/limits.h ...): each costs a full build")
    ap.add_argument("--list", action="store_true", help="print the sample and stop")
    ap.add_argument("--log", default=None, help="also append each result to this file")
    ap.add_argument("--asan-build", default=None,
                    help="test each survivor again in this ASan build folder (e.g. build-asan-mutate)")
    args = ap.parse_args()

    restore_leftovers()
    mutants, totals = sample(args.n, args.seed, args.only, args.headers)
    print(f"{sum(totals.values())} candidate mutants: " +
          ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    if args.list:
        for rel, no, kind, new in mutants:
            print(f"{kind:12} {diff_of(rel, no, new)}")
        return 0

    build = (ROOT / args.build).resolve()
    asan = (ROOT / args.asan_build).resolve() if args.asan_build else None
    signal.signal(signal.SIGTERM, on_signal)
    for folder in filter(None, (build, asan)):
        print(f"building and testing the unmutated tree in {folder} ...", flush=True)
        configure(folder, folder == asan)
    per_file = defaultdict(lambda: {"killed": 0, "survived": 0, "stillborn": 0})
    survivors = []
    asan_kills = 0  # killed only by the ASan pass
    log = open(args.log, "a") if args.log else None
    started = time.time()
    try:
        for i, (rel, no, kind, new) in enumerate(mutants, 1):
            diff = diff_of(rel, no, new)
            with Mutation(rel, no, new):
                status, out = build_tree(build, 1800)
                if status != 0:
                    verdict = "stillborn (does not compile)"
                else:
                    verdict, out = test_mutant(build, args.timeout)
                if asan and verdict == "survived":
                    verdict, out = asan_verdict(asan, args.timeout)
                    asan_kills += verdict.startswith("killed")
            key = "killed" if verdict.startswith("killed") else verdict.split()[0]
            per_file[rel][key] += 1
            if key == "survived":
                survivors.append((kind, diff))
            line = f"[{i}/{len(mutants)} {time.time() - started:.0f}s] {kind:12} {rel}:{no}: {verdict}"
            print(line, flush=True)
            if log:
                log.write(line + "\n" + (diff + "\n" if key == "survived" else ""))
                log.flush()
    except KeyboardInterrupt:
        print("interrupted: the mutated file is restored", flush=True)
    finally:
        for folder in filter(None, (build, asan)):
            build_tree(folder, 1800 * ASAN_SLOWDOWN)  # leave it matching the restored sources
    report(per_file, survivors, asan_kills)
    return 0


def report(per_file, survivors, asan_kills):
    print("\nkilled/survived per file (stillborn mutants do not compile and do not count)")
    by_sub = defaultdict(lambda: [0, 0])
    for rel in sorted(per_file):
        c = per_file[rel]
        print(f"  {rel:32} killed {c['killed']:3}  survived {c['survived']:3}  stillborn {c['stillborn']:3}")
        by_sub[subsystem(Path(rel))][0] += c["killed"]
        by_sub[subsystem(Path(rel))][1] += c["survived"]
    print("\nper subsystem")
    for sub, (k, s) in sorted(by_sub.items()):
        print(f"  {sub:10} {k}/{k + s} killed" + (f" ({100 * k / (k + s):.0f}%)" if k + s else ""))
    k = sum(v[0] for v in by_sub.values())
    s = sum(v[1] for v in by_sub.values())
    if k + s:
        print(f"\nscore: {k}/{k + s} = {100 * k / (k + s):.1f}% of the mutants that compile" +
              (f" ({asan_kills} killed only by the ASan pass)" if asan_kills else ""))
    if survivors:
        print("\nsurviving mutants:")
        for kind, diff in survivors:
            print(f"[{kind}]\n{diff}\n")


if __name__ == "__main__":
    sys.exit(main())
