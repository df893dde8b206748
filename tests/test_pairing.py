"""Cada capítulo es un cuaderno MyST (.md) con un gemelo .ipynb ejecutado y al día."""

from __future__ import annotations

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
