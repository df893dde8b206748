"""Ejecuta cada cuaderno de lectores solo, como en Colab, y falla si alguna celda falla.

Copia cada `chapters/NN-nombre.ipynb` a una carpeta vacía y lo ejecuta de arriba abajo
con el intérprete actual (nbclient). No compara salidas con las guardadas: lo que se
comprueba son los `assert` de cada cuaderno. Es lo que corre el flujo semanal
`.github/workflows/colab-al-dia.yml` con las últimas versiones de lo que trae Colab
(`make colab-latest`), para enterarse antes que los lectores de que algo se rompió.

Uso: python tools/run_alone.py [chapters/02-probabilidad.ipynb ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def run_alone(notebook_path: Path) -> float:
    """Ejecuta una copia de `notebook_path` en una carpeta vacía; devuelve los segundos."""
    with tempfile.TemporaryDirectory(prefix="cuaderno-solo-") as folder:
        copy = Path(folder) / notebook_path.name
        shutil.copy(notebook_path, copy)
        notebook = nbformat.read(copy, as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": folder}}).execute()
        return time.perf_counter() - start


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    failed = []
    for path in paths:
        try:
            print(f"{path.name}: {run_alone(path):.0f} s", flush=True)
        except CellExecutionError as error:
            failed.append(path.name)
            print(f"{path.name}: FALLA\n{str(error)[-3000:]}", flush=True)
    if failed:
        print(f"Fallan {len(failed)} cuadernos con las últimas versiones: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
