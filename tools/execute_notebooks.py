"""Sincroniza cada chapters/NN-nombre.md con su gemelo .ipynb y lo ejecuta.

El .md (jupytext MyST) es la fuente; el .ipynb guarda las salidas que usan Colab y
nbval. La ejecución corre en la carpeta chapters/ (como en Colab, una carpeta por
cuaderno) y no guarda marcas de tiempo, para que volver a ejecutar no cambie nada
que no sea contenido.

Uso: python tools/execute_notebooks.py [chapters/02-probabilidad.md ...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 600
os.environ.setdefault("BOOK_DATA", str(ROOT / "data"))  # FashionMNIST, como en `make`


def execute_chapter(md_path: Path) -> float:
    """Ejecuta el cuaderno de `md_path`, escribe su .ipynb y devuelve los segundos usados."""
    notebook = jupytext.read(md_path)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(md_path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    jupytext.write(notebook, md_path.with_suffix(".ipynb"), fmt="ipynb")
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "chapters").glob("*.md"))
    for md_path in paths:
        elapsed = execute_chapter(md_path)
        print(f"{md_path.relative_to(ROOT)} → {md_path.with_suffix('.ipynb').name}: {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
