"""Ejecuta un cuaderno de lectores solo, como lo abre un lector: copiado a una carpeta vacía.

Es el único ejecutor de las comprobaciones portátiles (tests/test_environment.py, `make
test-portable`) y de la vigilancia semanal con las últimas versiones (`make colab-latest`):
copia `chapters/NN-nombre.ipynb` a una carpeta vacía, sin variables `BOOK_*`, y le pasa
nbval en un proceso aparte con el intérprete y las variables que se le den.

- estricto (`--nbval`): las salidas guardadas tienen que reproducirse;
- laxo (`--nbval-lax`): basta con que ninguna celda falle y que sus `assert` se cumplan
  (las últimas versiones de las bibliotecas cambian salidas que no son errores).

Junto a la carpeta (no dentro) crea `figures/`, como en el repositorio: el cuaderno guarda
allí sus figuras. FashionMNIST se copia a `./data` solo si se le da la carpeta de los `.gz`;
si no, el cuaderno lo descarga, como en Colab.

Uso: python tools/run_alone.py [chapters/02-probabilidad.ipynb ...]   (laxo, con descarga)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = ROOT / "tests" / "sanitize.cfg"
REPOSITORY_ONLY = ("BOOK_", "PYTEST_", "PYTHONPATH", "ATEN_", "NPY_DISABLE")


def cell_timeout() -> int:
    """Segundos por celda: los mismos que la ejecución del libro (`execute.timeout`)."""
    return int(yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["execute"]["timeout"])


def run_alone(notebook: Path, folder: Path, python: Path | str = sys.executable, extra_env: dict[str, str] | None = None,
              strict: bool = True, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Copia `notebook` a la carpeta nueva `folder` y le pasa nbval; devuelve el proceso terminado."""
    folder.mkdir(parents=True)
    (folder.parent / "figures").mkdir(exist_ok=True)
    copy = folder / notebook.name
    shutil.copy(notebook, copy)
    if data is not None and "FashionMNIST" in notebook.read_text(encoding="utf-8"):
        raw = folder / "data" / "FashionMNIST" / "raw"
        raw.mkdir(parents=True)
        for archive in data.glob("*.gz"):
            shutil.copy(archive, raw)
    env = {k: v for k, v in os.environ.items() if not k.startswith(REPOSITORY_ONLY)}
    env.update(extra_env or {})
    command = [str(python), "-m", "pytest", "--nbval" if strict else "--nbval-lax", "--nbval-current-env",
               f"--nbval-cell-timeout={cell_timeout()}", "--nbval-sanitize-with", str(SANITIZE),
               "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "--rootdir", str(folder), copy.name]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    failed = []
    with tempfile.TemporaryDirectory(prefix="cuadernos-solos-") as temporary:
        for path in paths:
            result = run_alone(path, Path(temporary) / path.stem / "content", strict=False)
            print(f"{path.name}: {'bien' if result.returncode == 0 else 'FALLA'}", flush=True)
            if result.returncode != 0:
                failed.append(path.name)
                print(result.stdout[-3000:], flush=True)
    if failed:
        print(f"Fallan {len(failed)} cuadernos con las últimas versiones: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
