"""Mide cuánto tarda construir el libro y pasar las pruebas en esta máquina.

Pasos, en este orden (cada uno con su orden de `make`, desde la raíz del repositorio):

1. `make book-full` en frío: sin `.jupyter_cache` ni `_build`; ejecuta todos los cuadernos.
2. `make book` en frío: sin `.jupyter_cache` ni `_build`; la construcción siembra la caché
   con los cuadernos de lectores guardados (arranque en caliente de _ext/reader_edition),
   así que solo se ejecuta un capítulo cuyo código no coincida con su cuaderno.
3. `make book` en caliente tras tocar el texto de un capítulo (una línea en blanco al
   final del `.md`): Sphinx relee esa página, no se ejecuta nada.
4. `make book` en caliente tras tocar el código de un capítulo (una celda nueva al final):
   jupyter-cache re-ejecuta solo ese capítulo.
5. `make test` (todas las comprobaciones), salvo con --skip-test.

El capítulo tocado se restaura byte a byte (y con su fecha) al terminar cada paso, pase
lo que pase; los cuadernos de lectores y las figuras que reescriben las construcciones,
al terminar la medida. `.venv` debe existir ya; se pone al día (`make venv`) antes de medir. Imprime una
tabla con los segundos de cada paso y, del paso 1, los segundos de ejecución de cada
cuaderno según jupyter-cache: eso es lo que domina la construcción en frío.

Uso: .venv/bin/python bench/build.py [--chapter 02-probabilidad] [--skip-test]
     [--only cold-full,cold,warm-text,warm-code,test]
Borra `.jupyter_cache` y `_build`: no lo ejecute mientras otro proceso los use.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".jupyter_cache"
BUILD = ROOT / "_build"
STEPS = ["cold-full", "cold", "warm-text", "warm-code", "test"]
EXTRA_CELL = "\n```{code-cell} ipython3\n# celda añadida por bench/build.py (se borra al terminar)\n1 + 1\n```\n"


def clean() -> None:
    """Estado en frío: sin caché de ejecución ni salida de la construcción."""
    shutil.rmtree(CACHE, ignore_errors=True)
    shutil.rmtree(BUILD, ignore_errors=True)


@contextmanager
def restored(paths: list[Path]):
    """Deja `paths` como estaban al salir (las construcciones reescriben cuadernos y figuras)."""
    saved = {path: path.read_bytes() for path in paths}
    try:
        yield
    finally:
        for path, content in saved.items():
            if path.read_bytes() != content:
                path.write_bytes(content)


@contextmanager
def touched(chapter: Path, addition: str):
    """Añade `addition` al final del capítulo y, al salir, deja como estaban el capítulo y el
    cuaderno de lectores que la construcción acaba de reescribir."""
    original, stat = chapter.read_bytes(), chapter.stat()
    try:
        with restored([chapter.with_suffix(".ipynb")]):
            chapter.write_bytes(original + addition.encode("utf-8"))
            yield
    finally:
        chapter.write_bytes(original)
        os.utime(chapter, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def run_make(target: str, log_dir: Path, name: str) -> tuple[float, int, Path]:
    """Ejecuta `make target` en la raíz; devuelve (segundos, código de salida, registro)."""
    log = log_dir / f"{name}.log"
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        code = subprocess.run(["make", target], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT).returncode
    return time.perf_counter() - start, code, log


def execution_seconds() -> dict[str, float]:
    """Segundos de ejecución de cada cuaderno que guardó jupyter-cache (myst-nb)."""
    from jupyter_cache import get_cache

    times = {}
    for record in get_cache(str(CACHE)).list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is not None:
            times[Path(record.uri).stem] = float(seconds)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="02-probabilidad", help="capítulo que se toca en los pasos en caliente")
    parser.add_argument("--skip-test", action="store_true", help="no medir `make test`")
    parser.add_argument("--only", default=",".join(STEPS), help="pasos a medir, separados por comas")
    args = parser.parse_args()
    steps = [s for s in args.only.split(",") if s and not (args.skip_test and s == "test")]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"pasos desconocidos: {sorted(unknown)}")
    chapter = ROOT / "chapters" / f"{args.chapter}.md"
    if not chapter.is_file():
        parser.error(f"no existe {chapter}")
    if not (ROOT / ".venv" / "bin" / "python").exists():
        parser.error("falta .venv: ejecute antes `make book` una vez (la instalación no se mide)")

    log_dir = Path(tempfile.mkdtemp(prefix="bench-build-"))
    plan: dict[str, tuple[str, str, Callable[[], object]]] = {
        "cold-full": ("make book-full", "en frío, ejecuta todos los cuadernos", clean),
        "cold": ("make book", "en frío, caché sembrada con los cuadernos guardados", clean),
        "warm-text": ("make book", f"en caliente, texto de {chapter.stem} tocado", lambda: None),
        "warm-code": ("make book", f"en caliente, código de {chapter.stem} tocado", lambda: None),
        "test": ("make test", "todas las pruebas", lambda: None),
    }
    # .venv al día antes de medir: que ningún paso cuente un `pip install`.
    subprocess.run(["make", "venv"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(f"máquina: {os.cpu_count()} núcleos, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; registros en {log_dir}", flush=True)
    written = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "figures").glob("fig-*"))
    with restored(written):
        rows, per_notebook = measure(steps, plan, chapter, log_dir)
    report(rows, per_notebook)
    return 0 if all(r[3] == "ok" for r in rows) else 1


def measure(steps: list[str], plan: dict, chapter: Path, log_dir: Path) -> tuple[list, dict]:
    """Ejecuta cada paso y devuelve sus filas y los segundos de cada cuaderno en `book-full`."""
    rows, per_notebook = [], {}
    for step in steps:
        command, what, prepare = plan[step]
        prepare()
        print(f"… {command} ({what})", flush=True)
        target = command.split()[1]
        if step == "warm-text":
            with touched(chapter, "\n"):
                seconds, code, log = run_make(target, log_dir, step)
        elif step == "warm-code":
            with touched(chapter, EXTRA_CELL):
                seconds, code, log = run_make(target, log_dir, step)
        else:
            seconds, code, log = run_make(target, log_dir, step)
        if step == "cold-full" and CACHE.exists():
            per_notebook = execution_seconds()
        rows.append((command, what, seconds, "ok" if code == 0 else f"falló ({code}): {log}"))
    return rows, per_notebook


def report(rows: list, per_notebook: dict) -> None:
    width = max(len(f"{c} ({w})") for c, w, _, _ in rows)
    print()
    print(f"| {'paso':<{width}} | segundos | resultado |")
    print(f"| {'-' * width} | -------: | --------- |")
    for command, what, seconds, result in rows:
        print(f"| {f'{command} ({what})':<{width}} | {seconds:8.1f} | {result} |")
    if per_notebook:
        print("\nEjecución de cada cuaderno en `make book-full` (jupyter-cache):")
        for name, seconds in sorted(per_notebook.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<28} {seconds:7.1f} s")
        print(f"  {'total':<28} {sum(per_notebook.values()):7.1f} s")


if __name__ == "__main__":
    sys.exit(main())
