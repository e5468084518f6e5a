"""The layering contracts of docs/architecture.md, enforced with import-linter, and no import cycles."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("client", "offline_cache", "training_platform")


def test_import_contracts_hold():
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe), str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for contract in ("Layers:", "The training platform is the other side of the wire",
                     "The client starts the training platform only in its training launchers"):
        assert contract in " ".join(proc.stdout.split()), f"contract missing from the run: {contract}"
    assert "Contracts: 5 kept, 0 broken." in proc.stdout, proc.stdout


def import_cycles(graph, modules) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.find_modules_directly_imported_by(w) & modules))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_cycle_finder_finds_a_cycle():
    class G:                                     # a → b → c → a, d alone
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, m):
            return set(self.edges[m])

    assert import_cycles(G(), set(G.edges)) == [["a", "b", "c"]]


def test_no_import_cycles():
    """Function-level (lazy) imports count too: a cycle hidden in a function is still a cycle."""
    import grimp

    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = set(graph.modules)
    cycles = import_cycles(graph, modules)
    assert cycles == [], "import cycles: " + "; ".join(" ↔ ".join(c) for c in cycles)
