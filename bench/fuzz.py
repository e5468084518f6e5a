"""Longer fuzzing budget for the input parsers (the CI tests run a short one).

Run: ``.venv/bin/python bench/fuzz.py [--examples N] [--atheris-runs N] [--only NAME]``

Targets (the same harness functions as tests/unit/test_fuzz_*.py — only documented errors allowed):

============== ===================================================== ==========================
target         function                                              allowed error
============== ===================================================== ==========================
classify       client.domain.identity.classify_scan                  none (never raises)
card           client.domain.identity.parse_card_data                IdentityError
response       client.api.envelope.parse_response + every typed      EnvelopeFormatError,
               ``RESPONSE.from_response``                            MalformedResponse
case           client.domain.engine.load_case / settle_text          CaseError
============== ===================================================== ==========================

Phase 1 runs every hypothesis fuzz test with ``--examples`` examples (default 5,000) and counts the
inputs each target saw. Phase 2, if ``import atheris`` works, runs each byte-level target under
libFuzzer (coverage-guided, instrumented client modules) for ``--atheris-runs`` inputs in a
subprocess, seeded with valid examples. Prints inputs tried, inputs/s and crashes per target;
the baseline in the same run is the raw speed of ``bytes.decode`` over the same number of inputs
(so the ratio says what each parser costs per input over merely touching it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MEDSETTLE_NO_USER_DIRS", "1")

MODULES = {
    "classify": ("tests.unit.test_fuzz_identity", "target_classify",
                 ["test_classify_scan_arbitrary_bytes", "test_classify_scan_mutated_examples"]),
    "card": ("tests.unit.test_fuzz_identity", "target_card",
             ["test_parse_card_data_arbitrary_bytes", "test_parse_card_data_mutated_valid"]),
    "response": ("tests.unit.test_fuzz_api", "target_response",
                 ["test_arbitrary_bytes", "test_jsonish_envelopes", "test_arbitrary_json_documents",
                  "test_truncated_valid_envelope"]),
    "case": ("tests.unit.test_fuzz_engine", "target_case",
             ["test_arbitrary_bytes", "test_mutated_valid_case", "test_truncated_and_spliced_case"]),
}


def _seeds(name: str) -> list[bytes]:
    import importlib

    if name in ("classify", "card"):
        m = importlib.import_module("tests.unit.test_fuzz_identity")
        return [e.encode("utf-8") for e in m.EXAMPLES]
    if name == "response":
        return [json.dumps({"infcode": 0, "output": {"setlinfo": {"setl_id": "S1", "medfee_sumamt": "12.50"},
                                                     "setldetail": []}}).encode(),
                b'{"infcode":-1,"err_msg":"\xe5\xa4\xb1\xe8\xb4\xa5","output":null}',
                json.dumps({"infcode": "0", "output": {"baseinfo": {"psn_no": "1"}, "insuinfo": [{}],
                                                       "idetinfo": []}}).encode()]
    m = importlib.import_module("tests.unit.test_fuzz_engine")
    return [json.dumps(m.VALID_CASE, ensure_ascii=False).encode("utf-8")]


# ------------------------------------------------------------------------------------- hypothesis
def run_hypothesis(name: str, examples: int) -> dict:
    import importlib

    mod_name, target_name, tests = MODULES[name]
    os.environ["MEDSETTLE_FUZZ_EXAMPLES"] = str(examples)
    if mod_name in sys.modules:   # the budget is read at import time
        mod = importlib.reload(sys.modules[mod_name])
    else:
        mod = importlib.import_module(mod_name)
    original = getattr(mod, target_name)
    count = {"n": 0, "accepted": 0}

    def counting(data):
        count["n"] += 1
        r = original(data)
        if r not in (None, 0, "invalid_case", "no_policy", "filing_required"):
            count["accepted"] += 1
        return r

    setattr(mod, target_name, counting)
    crashes: list[str] = []
    started = time.perf_counter()
    try:
        for t in tests:
            fn = getattr(mod, t)
            try:
                fn()
            except Exception:  # noqa: BLE001 - a crash is what we are counting
                crashes.append(f"{t}: {traceback.format_exc(limit=3)}")
    finally:
        setattr(mod, target_name, original)
    return {"target": name, "engine": "hypothesis", "inputs": count["n"], "accepted": count["accepted"],
            "seconds": time.perf_counter() - started, "crashes": len(crashes), "details": crashes}


# ------------------------------------------------------------------------------------- atheris
_CHILD = """
import os, sys
sys.path.insert(0, {root!r})
os.environ.setdefault("MEDSETTLE_NO_USER_DIRS", "1")
import atheris
with atheris.instrument_imports(include=["client"]):
    import client.domain.identity, client.domain.engine, client.api.envelope, client.api.transactions
import importlib
mod = importlib.import_module({mod!r})
target = getattr(mod, {target!r})
def one(data):
    target(bytes(data))
atheris.Setup([sys.argv[0], "-runs={runs}", "-max_len=4096", "-print_final_stats=1", {corpus!r}], one)
atheris.Fuzz()
"""


def atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def run_atheris(name: str, runs: int) -> dict:
    mod_name, target_name, _ = MODULES[name]
    with tempfile.TemporaryDirectory() as corpus:
        for i, s in enumerate(_seeds(name)):
            Path(corpus, f"seed{i}").write_bytes(s)
        code = _CHILD.format(root=str(ROOT), mod=mod_name, target=target_name, runs=runs, corpus=corpus)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=3600)
        secs = time.perf_counter() - started
    err = proc.stderr
    m = re.search(r"Done (\d+) runs", err)
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", err)
    covs = re.findall(r"cov: (\d+)", err)
    n = int(m.group(1)) if m else int(execs.group(1)) if execs else 0
    crashed = proc.returncode != 0
    return {"target": name, "engine": "atheris", "inputs": n, "seconds": secs, "crashes": int(crashed),
            "coverage_edges": int(covs[-1]) if covs else None,
            "details": [err[-3000:]] if crashed else []}


def baseline(n: int) -> float:
    """Seconds to decode n small random byte strings (touching the input, nothing else)."""
    data = [os.urandom(64) for _ in range(min(n, 2000))]
    started = time.perf_counter()
    for i in range(n):
        data[i % len(data)].decode("utf-8", "replace")
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=5000, help="hypothesis examples per fuzz test")
    ap.add_argument("--atheris-runs", type=int, default=50000, help="libFuzzer inputs per target (0 = skip)")
    ap.add_argument("--only", choices=sorted(MODULES), help="one target only")
    args = ap.parse_args()
    names = [args.only] if args.only else list(MODULES)
    results = [run_hypothesis(n, args.examples) for n in names]
    have_atheris = atheris_available()
    if have_atheris and args.atheris_runs > 0:
        results += [run_atheris(n, args.atheris_runs) for n in names]
    print(f"{'target':<10} {'engine':<11} {'inputs':>9} {'accepted':>9} {'seconds':>8} {'inputs/s':>10} "
          f"{'x baseline':>11} {'crashes':>8}")
    total_crashes = 0
    for r in results:
        rate = r["inputs"] / r["seconds"] if r["seconds"] else 0.0
        base = baseline(r["inputs"]) if r["inputs"] else 0.0
        ratio = (r["seconds"] / base) if base else 0.0
        acc = r.get("accepted", "")
        print(f"{r['target']:<10} {r['engine']:<11} {r['inputs']:>9} {acc!s:>9} {r['seconds']:>8.1f} {rate:>10.0f} "
              f"{ratio:>11.0f} {r['crashes']:>8}")
        total_crashes += r["crashes"]
        for d in r["details"]:
            print("  crash:", d[:2000])
    if not have_atheris:
        print("atheris: not installed (pip install atheris into the venv to add coverage-guided runs)")
    print(f"total crashes: {total_crashes}")
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
