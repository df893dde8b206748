"""Configuración compartida de las pruebas del compañero.

- Las figuras que regeneran los cuadernos durante la prueba van a una carpeta
  temporal propia de la sesión (variable BOOK_FIGURES), nunca a `figures/`: así la
  prueba compara lo regenerado con lo que está en el repositorio.
- Los ítems de nbval (las celdas de chapters/*.ipynb) se ejecutan antes que tests/;
  las figuras que esa ejecución deja en BOOK_FIGURES son las que compara
  tests/test_figures.py (si faltan, esa prueba ejecuta el cuaderno ella misma).
- Está en la raíz para que valga en cualquier invocación: `pytest chapters/X.ipynb`
  solo tampoco escribe en `figures/` y encuentra los datos en `data/`.
- El sitio se construye una sola vez por sesión (`built_site`) y lo comparten
  test_book.py, test_site.py y test_browser.py. Para probar un sitio ya construido sin
  reconstruirlo, BOOK_HTML=ruta/a/_build/html apunta las pruebas a esa carpeta.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
CHAPTERS = ROOT / "chapters"
FIGURES = ROOT / "figures"
(ROOT / "_build").mkdir(exist_ok=True)
REGENERATED = Path(tempfile.mkdtemp(prefix="figuras-regeneradas-", dir=ROOT / "_build"))
BUILD_HTML = ROOT / "_build" / "html"


def pytest_configure(config: pytest.Config) -> None:
    os.environ["BOOK_FIGURES"] = str(REGENERATED)
    os.environ.setdefault("BOOK_DATA", str(ROOT / "data"))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(REGENERATED, ignore_errors=True)


def _is_nbval(item: pytest.Item) -> bool:
    return item.path.suffix == ".ipynb"


@pytest.hookimpl(tryfirst=True)   # antes de que xdist lea las marcas xdist_group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval primero; con pytest-xdist (`-n`, `--dist loadgroup`), grupos que no se parten.

    - las celdas de un cuaderno corren en orden en un mismo proceso (su núcleo es uno);
    - la comparación de figuras de un cuaderno va al proceso que ejecutó ese cuaderno
      (test_figures.py marca esas pruebas con el mismo grupo);
    - todo lo que usa el sitio construido va junto: se construye una sola vez.
    """
    items.sort(key=lambda item: 0 if _is_nbval(item) else 1)  # orden estable
    for item in items:
        if _is_nbval(item):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
        elif "built_site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("sitio"))


def chapter_sources() -> list[Path]:
    """Los .md de los capítulos, en orden."""
    return sorted(CHAPTERS.glob("*.md"))


def notebook_sources() -> list[Path]:
    """Los capítulos que ya son cuadernos jupytext (los demás son páginas en preparación)."""
    return [p for p in chapter_sources() if p.read_text(encoding="utf-8").startswith("---\njupytext:")]


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Construye el libro con `jupyter-book build . --all -W -n --keep-going` (advertencias = errores;
    `--all` reescribe todas las páginas, para que sitemap.xml las liste todas).

    Como `make book`, siembra antes la caché con los gemelos ejecutados (que nbval valida
    en esta misma sesión), de modo que no se ejecuta dos veces lo que nbval ya ejecutó.
    Con BOOK_HTML definida no construye nada y devuelve esa carpeta.
    """
    if os.environ.get("BOOK_HTML"):
        return Path(os.environ["BOOK_HTML"]).resolve()
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "python"), "tools/seed_cache.py"], cwd=ROOT, check=True, capture_output=True)
    command = [str(bin_dir / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"la construcción estricta falló:\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    return BUILD_HTML
