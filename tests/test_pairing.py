"""Cada capítulo es un cuaderno MyST (.md) con un gemelo .ipynb ejecutado y al día."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from conftest import ROOT, chapter_sources, notebook_sources

EXPECTED_CHAPTERS = [
    "01-panorama",
    "02-probabilidad",
    "03-condicional",
    "04-esperanza-varianza",
    "05-redes-neuronales",
    "06-clasificacion",
]


def test_toc_lists_the_six_chapters_in_order() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["root"] == "intro"
    files = [c["file"] for c in toc["chapters"]]
    assert files[:6] == [f"chapters/{n}" for n in EXPECTED_CHAPTERS]
    for extra in files[6:]:   # páginas de apoyo (p. ej. erratas) después de los capítulos
        assert not extra.startswith("chapters/") and (ROOT / f"{extra}.md").exists(), extra
    assert sorted(p.stem for p in chapter_sources()) == EXPECTED_CHAPTERS


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_chapter_is_a_paired_myst_notebook(md_path: Path) -> None:
    header = jupytext.read(md_path).metadata["jupytext"]
    assert header["formats"] == "md:myst,ipynb"
    assert jupytext.read(md_path).metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_ipynb_twin_has_the_same_cells(md_path: Path) -> None:
    twin = md_path.with_suffix(".ipynb")
    assert twin.exists(), f"falta {twin.name}: ejecute `make notebooks`"
    source = jupytext.read(md_path)
    stored = nbformat.read(twin, as_version=4)
    pairs = list(zip(source.cells, stored.cells, strict=True))
    for index, (a, b) in enumerate(pairs):
        assert (a.cell_type, a.source) == (b.cell_type, b.source), (
            f"{twin.name}, celda {index}: el .ipynb no está sincronizado con el .md "
            "(ejecute `make notebooks`)"
        )
        if a.cell_type == "code":
            assert a.metadata == b.metadata, f"{twin.name}, celda {index}: metadatos distintos"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_ipynb_twin_was_executed_top_to_bottom(md_path: Path) -> None:
    """Un gemelo sin ejecutar haría que nbval no compare nada: esto lo detecta."""
    stored = nbformat.read(md_path.with_suffix(".ipynb"), as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert code, "el capítulo no tiene celdas de código"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{md_path.stem}: celdas sin ejecutar o fuera de orden ({counts}); ejecute `make notebooks`"
    )
    with_output = sum(1 for c in code if c.outputs)
    assert with_output >= len(code) // 2, f"{md_path.stem}: solo {with_output} celdas con salida"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{md_path.stem}: salidas de error guardadas"


def imported_packages(md_path: Path) -> set[str]:
    """Paquetes de fuera de la biblioteca estándar que importan las celdas del cuaderno."""
    from IPython.core.inputtransformer2 import TransformerManager

    found = set()
    for cell in jupytext.read(md_path).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(TransformerManager().transform_cell(cell.source))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names)


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_first_cell_installs_whatever_the_notebook_imports_and_is_missing(md_path: Path) -> None:
    """Colab o un Jupyter propio: la primera celda instala lo que falte, no «si es Colab»."""
    first = next(c for c in jupytext.read(md_path).cells if c.cell_type == "code")
    assert "find_spec" in first.source and "%pip install" in first.source, first.source
    assert "google.colab" not in first.source, "la instalación no depende de estar en Colab"
    required = ast.literal_eval(re.search(r"REQUIRED = (\[.*?\])", first.source).group(1))
    assert imported_packages(md_path) - {"IPython"} == set(required), (
        f"{md_path.stem}: REQUIRED = {required} no coincide con lo que importa el cuaderno")
