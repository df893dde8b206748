"""Lo que cuestan las animaciones: tiempo de ejecución de cada cuaderno con y sin ellas, y bytes.

Ejecuta, alternando y `--runs` veces cada uno, el cuaderno de un capítulo tal como está en una
revisión anterior (`--before`, por omisión `HEAD`) y tal como está en la copia de trabajo; los
dos desde su `.md` (jupytext) en una carpeta temporal con los archivos compartidos de su misma
revisión (`comun.py`, ...), con el mismo núcleo y sin guardar figuras en el repositorio.
Imprime la mediana de cada uno y el cociente, y después, del cuaderno de lectores ya
construido (`chapters/NN.ipynb`), su tamaño y el de cada animación que lleva dentro, y el de
cada reproductor del sitio (`_build/html/_static/animaciones/`).

No es una prueba: los segundos dependen de la máquina. El resultado se copia a bench/README.md.

Uso: .venv/bin/python bench/animations.py [--before HEAD] [--runs 3] [--chapters 01-panorama,02-probabilidad]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SHARED = ("comun.py", "carga_fashionmnist.py", "animacion.py")
ANIMATION = re.compile(r'<figure class="animacion" id="animacion-(\w+)"')


def chapter_at(revision: str | None, chapter: str, folder: Path) -> Path:
    """Escribe en `folder` el cuaderno del capítulo (de su .md) y sus archivos compartidos, de
    `revision` o, con None, de la copia de trabajo."""
    folder.mkdir(parents=True)
    for name in (f"{chapter}.md", *SHARED):
        if revision is None:
            path = ROOT / "chapters" / name
            text = path.read_text(encoding="utf-8") if path.exists() else None
        else:
            shown = subprocess.run(["git", "show", f"{revision}:chapters/{name}"], cwd=ROOT,
                                   capture_output=True, text=True)
            text = shown.stdout if shown.returncode == 0 else None
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    notebook = jupytext.read(folder / f"{chapter}.md")
    target = folder / f"{chapter}.ipynb"
    nbformat.write(notebook, target)
    return target


def run_seconds(notebook: Path) -> float:
    """Segundos de ejecución del cuaderno completo, núcleo incluido (como jupyter-cache)."""
    node = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    NotebookClient(node, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD", help="revisión sin animaciones (por omisión HEAD)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chapters", default="01-panorama,02-probabilidad,05-redes-neuronales")
    args = parser.parse_args(argv)
    os.environ.setdefault("BOOK_DATA", str(ROOT / "data"))
    chapters = args.chapters.split(",")
    print(f"| cuaderno | {args.before} (s) | con animaciones (s) | cociente |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="animaciones-") as temporary:
        os.environ["BOOK_FIGURES"] = str(Path(temporary) / "figures")   # no toca figures/ del repositorio
        for chapter in chapters:
            before = chapter_at(args.before, chapter, Path(temporary) / "antes" / chapter)
            after = chapter_at(None, chapter, Path(temporary) / "despues" / chapter)
            times: dict[Path, list[float]] = {before: [], after: []}
            for _ in range(args.runs):
                for notebook in (before, after):
                    times[notebook].append(run_seconds(notebook))
            old, new = statistics.median(times[before]), statistics.median(times[after])
            print(f"| {chapter} | {old:.1f} | {new:.1f} | {new / old:.2f} |", flush=True)
    print()
    print("| cuaderno de lectores | MB | animación | KB en el cuaderno | KB del reproductor en el sitio |")
    print("| --- | ---: | --- | ---: | ---: |")
    players = ROOT / "_build" / "html" / "_static" / "animaciones"
    for chapter in chapters:
        notebook = ROOT / "chapters" / f"{chapter}.ipynb"
        node = nbformat.read(notebook, as_version=4)
        size = notebook.stat().st_size / 1e6
        for cell in node.cells:
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html", "")
                html = "".join(html) if isinstance(html, list) else html
                found = ANIMATION.search(html)
                if found:
                    player = players / f"animacion-{found[1]}.html"
                    site = f"{player.stat().st_size / 1e3:.0f}" if player.exists() else "—"
                    print(f"| {chapter} | {size:.2f} | {found[1]} | {len(html.encode()) / 1e3:.0f} | {site} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
