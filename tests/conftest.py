"""Configuración compartida de las pruebas del compañero.

- Las figuras que regeneran los cuadernos durante la prueba van a una carpeta
  temporal propia de la sesión (variable BOOK_FIGURES), nunca a `figures/`: así la
  prueba compara lo regenerado con lo que está en el repositorio.
- Los ítems de nbval (las celdas de chapters/*.ipynb) se ejecutan antes que tests/,
  y se anota qué cuadernos pasaron completos para reutilizar sus figuras.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
FIGURES = ROOT / "figures"
(ROOT / "_build").mkdir(exist_ok=True)
REGENERATED = Path(tempfile.mkdtemp(prefix="figuras-regeneradas-", dir=ROOT / "_build"))
BUILD_HTML = ROOT / "_build" / "html"

# Cuadernos cuyas celdas pasaron todas bajo nbval en esta sesión (nombre del .ipynb).
NBVAL_PASSED: set[str] = set()
_NBVAL_FAILED: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    os.environ["BOOK_FIGURES"] = str(REGENERATED)
    os.environ.setdefault("BOOK_DATA", str(ROOT / "data"))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(REGENERATED, ignore_errors=True)


def _is_nbval(item: pytest.Item) -> bool:
    return item.path.suffix == ".ipynb"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: 0 if _is_nbval(item) else 1)  # orden estable


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = Path(report.fspath)
    if path.suffix != ".ipynb" or report.when != "call":
        return
    if report.failed:
        _NBVAL_FAILED.add(path.name)
        NBVAL_PASSED.discard(path.name)
    elif path.name not in _NBVAL_FAILED:
        NBVAL_PASSED.add(path.name)


def chapter_sources() -> list[Path]:
    """Los .md de los capítulos, en orden."""
    return sorted(CHAPTERS.glob("*.md"))


def notebook_sources() -> list[Path]:
    """Los capítulos que ya son cuadernos jupytext (los demás son páginas en preparación)."""
    return [p for p in chapter_sources() if p.read_text(encoding="utf-8").startswith("---\njupytext:")]
