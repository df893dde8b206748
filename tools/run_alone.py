"""Ejecuta un cuaderno de lectores solo, como lo abre un lector: copiado a una carpeta vacía.

Es el único ejecutor de las comprobaciones portátiles (tests/test_environment.py, `make
test-portable`) y de la vigilancia semanal de Colab (`make colab-image`, dentro de la imagen
pública de Colab, y `make colab-latest`, con las últimas versiones de PyPI):
copia `chapters/NN-nombre.ipynb` a una carpeta vacía, sin variables `BOOK_*`, y le pasa
nbval en un proceso aparte con el intérprete y las variables que se le den.

- estricto (`--nbval`): las salidas guardadas tienen que reproducirse;
- laxo (`--nbval-lax`): basta con que ninguna celda falle y que sus `assert` se cumplan
  (las últimas versiones de las bibliotecas cambian salidas que no son errores).

Junto a la carpeta (no dentro) crea `figures/`, como en el repositorio: el cuaderno guarda
allí sus figuras. FashionMNIST se copia a `./data` solo si se le da la carpeta de los `.gz`;
si no, el cuaderno lo descarga, como en Colab.

Uso: python tools/run_alone.py [chapters/02-probabilidad.ipynb ...] [--without torchsummary]
          [--data carpeta/de/los/gz] [--out _build/colab]   (laxo; sin --data, descarga)
"""

from __future__ import annotations

import argparse
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


def reader_environment() -> dict[str, str]:
    """Las variables de este proceso sin las del repositorio: lo que ve el núcleo de un lector."""
    return {k: v for k, v in os.environ.items() if not k.startswith(REPOSITORY_ONLY)}


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
    env = reader_environment() | (extra_env or {})
    command = [str(python), "-m", "pytest", "--nbval" if strict else "--nbval-lax", "--nbval-current-env",
               f"--nbval-cell-timeout={cell_timeout()}", "--nbval-sanitize-with", str(SANITIZE),
               "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "--rootdir", str(folder), copy.name]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)


def ensure_missing(packages: list[str], python: Path | str = sys.executable) -> None:
    """Desinstala `packages` del intérprete y comprueba que ya no se importan: así la primera
    celda de cada cuaderno tiene que instalarlos, como en Colab."""
    if not packages:
        return
    subprocess.run([str(python), "-m", "pip", "uninstall", "--yes", "--quiet", *packages], check=False)
    probe = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(p) for p in sys.argv[1:]))"
    if subprocess.run([str(python), "-c", probe, *packages]).returncode != 0:
        sys.exit(f"{', '.join(packages)} sigue instalado en {python}: desinstálelo y vuelva a ejecutar.")


def keep_executed(notebook: Path, out: Path, python: Path | str = sys.executable) -> None:
    """Ejecuta de nuevo el cuaderno que falló, con sus errores a la vista, y lo guarda en `out`."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                    f"--ExecutePreprocessor.timeout={cell_timeout()}", "--output-dir", str(out.resolve()),
                    notebook.name], cwd=notebook.parent, env=reader_environment(), capture_output=True, text=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--without", action="append", default=[], metavar="PAQUETE",
                        help="desinstálelo antes, para que lo instale la primera celda (como en Colab)")
    parser.add_argument("--data", type=Path, help="carpeta de los .gz de FashionMNIST (sin ella, se descarga)")
    parser.add_argument("--out", type=Path, help="aquí, cada cuaderno que falle, ejecutado con sus errores, y su informe")
    args = parser.parse_args(argv)
    ensure_missing(args.without)
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "chapters").glob("*.ipynb"))
    failed = []
    with tempfile.TemporaryDirectory(prefix="cuadernos-solos-") as temporary:
        for path in paths:
            folder = Path(temporary) / path.stem / "content"
            result = run_alone(path, folder, strict=False, data=args.data)
            print(f"{path.name}: {'bien' if result.returncode == 0 else 'FALLA'}", flush=True)
            if result.returncode != 0:
                failed.append(path.name)
                print(result.stdout[-3000:], flush=True)
                if args.out is not None:
                    keep_executed(folder / path.name, args.out)
                    (args.out / f"{path.stem}.nbval.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    if failed:
        print(f"Fallan {len(failed)} cuadernos: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
