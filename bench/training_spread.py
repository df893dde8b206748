"""Mide la dispersión que hay detrás de cada banda de los `assert` y de cada figura entrenada.

Una banda como `assert wide_test_acc >= 85` tiene que valer en cualquier máquina: en
otra CPU (otro camino de cálculo de PyTorch), en una GPU (otro orden de las sumas, otro
generador para lo que se muestrea en el dispositivo) o con otra versión de las
bibliotecas. Ninguna de esas diferencias es mayor que la de **entrenar con otra
semilla**, así que este script ejecuta cada cuaderno con varias semillas y en los dos
caminos de la CPU que hay en cualquier x86-64 (el nativo y `ATEN_CPU_CAPABILITY=default`,
con NumPy también sin SIMD), y anota:

- para cada `assert` que compara números, el mínimo y el máximo de cada operando que
  cambia entre ejecuciones, y si el `assert` se cumplió en todas;
- para cada figura, el RMS (escala 0-255, la medida de tests/test_figures.py) entre la
  figura de cada ejecución y la de `figures/`.

Los `assert` no detienen la ejecución: el código de cada celda se reescribe (con `ast`)
para que cada comparación anote sus operandos y cada `assert` anote si se cumplió. La
semilla cambia en la línea `SEED = 0` de la preparación; el resto del cuaderno es el
mismo. No es una prueba: tarda (unos 30 minutos en dos núcleos con 5 semillas) y sus
números dependen de la máquina. El resultado se copia a bench/README.md.

Uso: .venv/bin/python bench/training_spread.py [--seeds 5] [--jobs 2] [chapters/06-clasificacion.md ...]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
RESULTS = ROOT / "_build" / "dispersion"

RECORDER = r'''
import json as _json, math as _math, operator as _operator, os as _os
_SPREAD = {"compare": {}, "assert": {}}
_OPS = {"<": _operator.lt, "<=": _operator.le, ">": _operator.gt, ">=": _operator.ge,
        "==": _operator.eq, "!=": _operator.ne, "in": lambda a, b: a in b,
        "not in": lambda a, b: a not in b, "is": _operator.is_, "is not": _operator.is_not}

def _as_number(value):
    """Un número, o (mínimo, máximo) si es un arreglo o tensor; None si no es numérico."""
    try:
        import numpy as _np
        array = _np.asarray(value.detach().cpu() if hasattr(value, "detach") else value, dtype=float)
    except Exception:
        return None
    if array.size == 0:
        return None
    if array.ndim == 0:
        return float(array)
    return [float(array.min()), float(array.max())]

def _compare(key, operands, ops):
    """La comparación encadenada de Python (`a < b <= c`), anotando antes sus operandos."""
    _SPREAD["compare"].setdefault(key, []).append([_as_number(v) for v in operands])
    for position, (left, op, right) in enumerate(zip(operands, ops, operands[1:])):
        result = _OPS[op](left, right)
        if position < len(ops) - 1 and not result:
            return result
    return result

def _assert(key, value):
    try:
        value = bool(value)
    except Exception:
        value = False
    _SPREAD["assert"].setdefault(key, []).append(value)
'''

# Modo «torch»: la semilla de NumPy y los generadores explícitos (datos, orden de los lotes)
# no cambian; solo el generador global de PyTorch (pesos iniciales, ruido en el dispositivo).
# Es lo que cambia en una GPU: los mismos datos, otro recorrido del entrenamiento.
TORCH_OFFSET = r'''
import torch as _torch
_manual_seed = _torch.manual_seed
_torch.manual_seed = lambda seed: _manual_seed(int(seed) + {offset})
_torch.manual_seed(SEED)
'''

DUMP = 'open(_os.environ["SPREAD_OUTPUT"], "w").write(_json.dumps(_SPREAD))'
OP_NAMES = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
            ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


class RecordAsserts(ast.NodeTransformer):
    """`assert a < b <= c` → `_assert(k, _compare(k:0, [a, b, c], ["<", "<="]))`, sin lanzar."""

    def __init__(self, prefix: str, source: str) -> None:
        self.prefix = prefix
        self.source = source
        self.asserts: dict[str, str] = {}
        self.compares: dict[str, str] = {}
        self._current = ""
        self._count = 0

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        key = f"{self.prefix}:{node.lineno}"
        self.asserts[key] = ast.get_source_segment(self.source, node) or ""
        self._current, self._count = key, 0
        test = self.visit(node.test)
        call = ast.Call(ast.Name("_assert", ast.Load()), [ast.Constant(key), test], [])
        return ast.copy_location(ast.Expr(call), node)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        if not self._current:
            return self.generic_visit(node)
        key = f"{self._current}:{self._count}"
        self._count += 1
        self.compares[key] = ast.get_source_segment(self.source, node) or ""
        operands = ast.List([node.left, *node.comparators], ast.Load())
        ops = ast.List([ast.Constant(OP_NAMES[type(op)]) for op in node.ops], ast.Load())
        return ast.copy_location(ast.Call(ast.Name("_compare", ast.Load()),
                                          [ast.Constant(key), operands, ops], []), node)


def instrumented(md_path: Path, seed: int, mode: str) -> tuple[nbformat.NotebookNode, dict[str, str], dict[str, str]]:
    """El cuaderno con otra semilla y cada `assert` convertido en una anotación.

    mode «torch»: `seed` desplaza solo el generador global de PyTorch; mode «todo»: es `SEED`.
    """
    notebook = jupytext.read(md_path)
    asserts: dict[str, str] = {}
    compares: dict[str, str] = {}
    setup_cell = None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "%pip" in cell.source:
            continue
        if "\nSEED = 0\n" in f"\n{cell.source}\n":
            setup_cell = index
            if mode == "todo":
                cell.source = cell.source.replace("SEED = 0\n", f"SEED = {seed}\n", 1)
        if "assert" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:          # magias de IPython: la celda queda como está
            continue
        recorder = RecordAsserts(f"{md_path.stem}:{index}", cell.source)
        tree = ast.fix_missing_locations(recorder.visit(tree))
        cell.source = ast.unparse(tree)
        asserts.update(recorder.asserts)
        compares.update(recorder.compares)
    assert setup_cell is not None, f"{md_path.name}: no encuentro la línea `SEED = 0`"
    if mode == "torch" and "import torch" in notebook.cells[setup_cell].source:
        notebook.cells.insert(setup_cell + 1, nbformat.v4.new_code_cell(TORCH_OFFSET.format(offset=seed)))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(RECORDER))
    notebook.cells.append(nbformat.v4.new_code_cell(DUMP))
    return notebook, asserts, compares


def without_simd() -> dict[str, str]:
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return {"ATEN_CPU_CAPABILITY": "default", "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__)}


PATHS = {"nativo": {}, "default": None, "avx2": {"ATEN_CPU_CAPABILITY": "avx2"}}


def cpu_paths() -> list[str]:
    """Los caminos de la CPU de esta máquina: el nativo, sin SIMD y, con AVX-512, también AVX2."""
    cpuinfo = Path("/proc/cpuinfo")
    avx512 = cpuinfo.exists() and "avx512f" in cpuinfo.read_text(errors="ignore").split()
    return ["nativo", "default"] + (["avx2"] if avx512 else [])


def run(md_path: Path, seed: int, path: str, mode: str) -> Path:
    """Ejecuta el cuaderno instrumentado en un proceso aparte; devuelve la carpeta del resultado."""
    folder = RESULTS / mode / f"{md_path.stem}-s{seed}-{path}"
    folder.mkdir(parents=True, exist_ok=True)
    notebook, asserts, compares = instrumented(md_path, seed, mode)
    source = folder / "cuaderno.ipynb"
    nbformat.write(notebook, source)
    (folder / "fuentes.json").write_text(json.dumps({"assert": asserts, "compare": compares}))
    env = dict(os.environ, SPREAD_OUTPUT=str(folder / "valores.json"),
               BOOK_FIGURES=str(folder / "figures"),
               BOOK_DATA=os.environ.get("BOOK_DATA", str(ROOT / "data")))
    env.update(without_simd() if path == "default" else PATHS[path])
    command = [sys.executable, "-c",
               "import sys, nbformat; from nbclient import NotebookClient;"
               "nb = nbformat.read(sys.argv[1], as_version=4);"
               "NotebookClient(nb, timeout=900, kernel_name='python3', allow_errors=True,"
               " resources={'metadata': {'path': sys.argv[2]}}).execute();"
               "nbformat.write(nb, sys.argv[1])",
               str(source), str(md_path.parent)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    executed = nbformat.read(source, as_version=4)
    errors = [f"{o.ename}: {o.evalue}"[:200] for c in executed.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    (folder / "errores.json").write_text(json.dumps(errors, ensure_ascii=False))
    return folder


def figure_rms(folder: Path) -> dict[str, float]:
    from matplotlib.testing.compare import calculate_rms
    import matplotlib.image as mpimg
    import numpy as np

    rms = {}
    for png in sorted((folder / "figures").glob("*.png")):
        stored = FIGURES / png.name
        if stored.exists():
            old, new = mpimg.imread(stored), mpimg.imread(png)
            if old.shape != new.shape:
                rms[png.stem] = float("inf")
                continue
            to_255 = lambda image: (np.clip(image[..., :3], 0, 1) * 255).astype(np.int16)
            rms[png.stem] = float(calculate_rms(to_255(old), to_255(new)))
    return rms


def report(md_paths: list[Path], seeds: list[int], paths: list[str], mode: str) -> str:
    """Tabla en markdown: cada assert cuyos operandos cambian, y el RMS de cada figura."""
    lines = ["| assert | operando | mínimo | máximo | se cumplió |", "| --- | --- | ---: | ---: | --- |"]
    figure_lines = ["| figura | RMS, semilla 0, camino nativo | RMS máximo, semilla 0, otros caminos "
                    "| RMS máximo, otras semillas |", "| --- | ---: | ---: | ---: |"]
    for md_path in md_paths:
        runs = {(seed, path): RESULTS / mode / f"{md_path.stem}-s{seed}-{path}" for seed in seeds
                for path in paths}
        sources = json.loads(next(iter(runs.values())).joinpath("fuentes.json").read_text())
        values = {k: json.loads((f / "valores.json").read_text()) for k, f in runs.items()
                  if (f / "valores.json").exists()}
        missing = [k for k in runs if k not in values]
        if missing:
            lines.append(f"| {md_path.stem}: sin resultado en {missing} | | | | |")
        for k, f in runs.items():
            errors = json.loads((f / "errores.json").read_text()) if (f / "errores.json").exists() else []
            for error in errors:
                lines.append(f"| {md_path.stem} {k}: celda con error `{error[:80]}` | | | | |")
        for key, text in sources["assert"].items():
            passed = [all(v["assert"].get(key, [False])) for v in values.values()]
            operands: dict[tuple, list[float]] = {}   # (comparación, repetición, operando, parte)
            for compare_key in [k for k in sources["compare"] if k.startswith(f"{key}:")]:
                for v in values.values():
                    for repeat, record in enumerate(v["compare"].get(compare_key, [])):
                        for position, number in enumerate(record):
                            if number is None:
                                continue
                            parts = {"mín": number[0], "máx": number[1]} if isinstance(number, list) else {"": number}
                            for part, x in parts.items():
                                operands.setdefault((compare_key, repeat, position, part), []).append(x)
            varying = {k: ns for k, ns in operands.items()
                       if max(ns) - min(ns) > 1e-9 * max(1.0, abs(max(ns)))}
            if not varying and all(passed):
                continue
            label = " ".join(text.split())[:90].replace("|", "\\|")
            ok = f"{sum(passed)}/{len(passed)}"
            if not varying:
                lines.append(f"| `{label}` | — | | | {ok} |")
            for (compare_key, repeat, position, part), ns in varying.items():
                operand = f"{compare_key.rsplit(':', 1)[1]}.{position}" + (f"[{repeat}]" if repeat else "") + (f" {part}" if part else "")
                lines.append(f"| `{label}` | {operand} | {min(ns):.4g} | {max(ns):.4g} | {ok} |")
        rms = {k: figure_rms(f) for k, f in runs.items()}
        names = sorted({n for r in rms.values() for n in r})
        for name in names:
            native = [r[name] for (s, p), r in rms.items() if s == seeds[0] and p == "nativo" and name in r]
            other_path = [r[name] for (s, p), r in rms.items() if s == seeds[0] and p != "nativo" and name in r]
            other_seeds = [r[name] for (s, p), r in rms.items() if s != seeds[0] and name in r]
            fmt = lambda xs: f"{max(xs):.3f}" if xs else "—"
            figure_lines.append(f"| {name} | {fmt(native)} | {fmt(other_path)} | {fmt(other_seeds)} |")
    return "\n".join(lines) + "\n\n" + "\n".join(figure_lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mode", choices=["torch", "todo"], default="torch",
                        help="torch: otra semilla solo para PyTorch (por defecto); todo: otra SEED")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    md_paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "chapters").glob("*.md"))
    seeds = list(range(args.seeds))
    paths = cpu_paths()
    if not args.report_only:
        jobs = [(md, seed, path, args.mode) for md in md_paths for seed in seeds for path in paths]
        with ThreadPoolExecutor(args.jobs) as pool:
            for folder in pool.map(lambda job: run(*job), jobs):
                print("hecho:", folder.name, flush=True)
    table = report(md_paths, seeds, paths, args.mode)
    (RESULTS / args.mode / "informe.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
