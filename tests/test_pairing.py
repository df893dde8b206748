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


READER_ONLY_METADATA = {"jupyter", "cellView", "collapsed"}   # plegado en Jupyter y Colab (edición para lectores)


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_ipynb_twin_has_the_same_code(md_path: Path) -> None:
    """El gemelo es la edición para lectores: su markdown se resuelve (test_lectores.py),
    pero su código, en el mismo orden y con los mismos metadatos, es el del .md."""
    twin = md_path.with_suffix(".ipynb")
    assert twin.exists(), f"falta {twin.name}: ejecute `make notebooks`"
    source = [c for c in jupytext.read(md_path).cells if c.cell_type == "code"]
    stored = [c for c in nbformat.read(twin, as_version=4).cells if c.cell_type == "code"]
    assert len(source) == len(stored), (
        f"{twin.name}: {len(stored)} celdas de código, el .md tiene {len(source)} "
        "(ejecute `make notebooks`)")
    for index, (a, b) in enumerate(zip(source, stored)):
        assert a.source == b.source, (
            f"{twin.name}, celda de código {index}: el .ipynb no está sincronizado con el .md "
            "(ejecute `make notebooks`)")
        extra = {k: v for k, v in b.metadata.items() if k not in READER_ONLY_METADATA}
        assert a.metadata == extra, f"{twin.name}, celda de código {index}: metadatos distintos"


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


PLUMBING_MARK = "# @title Preparación común:"


def plumbing_cell(md_path: Path):
    """La celda de fontanería (estilo, save_figure, thousands) del cuaderno."""
    cells = [c for c in jupytext.read(md_path).cells
             if c.cell_type == "code" and c.source.startswith(PLUMBING_MARK)]
    assert len(cells) == 1, f"{md_path.stem}: debe tener una sola celda de fontanería"
    return cells[0]


def test_the_plumbing_cell_is_identical_in_every_chapter_and_folded_on_the_site() -> None:
    sources = {md.stem: plumbing_cell(md).source for md in notebook_sources()}
    assert len(sources) == 6 and len(set(sources.values())) == 1, (
        "la celda de fontanería difiere entre capítulos: cópiela igual en los seis")
    for md in notebook_sources():
        assert "hide-input" in plumbing_cell(md).metadata.get("tags", []), md.stem
        setup = [c.source for c in jupytext.read(md).cells if c.cell_type == "code"]
        assert sum("def save_figure" in source for source in setup) == 1, f"{md.stem}: save_figure repetida"


def test_thousands_follow_the_rae() -> None:
    """Espacio fino en los números de más de cuatro cifras; nada en los de cuatro."""
    namespace: dict = {}
    exec(plumbing_cell(notebook_sources()[0]).source, namespace)
    thousands = namespace["thousands"]
    assert thousands(12_760) == "12\u202f760"
    assert thousands(60_000) == "60\u202f000"
    assert thousands(101_770) == "101\u202f770"
    assert thousands(1620) == "1620" and thousands(3190) == "3190" and thousands(50) == "50"
    assert thousands(1620.0) == "1620"


ENGLISH_THOUSANDS = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_no_number_is_grouped_with_commas(md_path: Path) -> None:
    """«1,620 GB» se lee 1.62 en español: ni la prosa ni las salidas agrupan con comas."""
    notebook = nbformat.read(md_path.with_suffix(".ipynb"), as_version=4)
    texts = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    for cell in notebook.cells:
        if "listado-del-libro" in cell.metadata.get("tags", []):
            continue   # el código del libro, tal cual: torchsummary escribe «3,140»
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    offenders = [m[0] for text in texts for m in ENGLISH_THOUSANDS.finditer(text)]
    assert not offenders, f"{md_path.stem}: números con coma de miles: {offenders[:5]}"


# --- Los listados del libro (sección 1.2.2.3), reconocibles en el cuaderno 06 ---------

BOOK_CHAPTER = ROOT.parent / "shared" / "seed" / "capitulo-1.md"
LISTING_TAG = "listado-del-libro"
# Líneas del libro que el cuaderno cambia a propósito, y por qué (cada una, en la errata
# o en el texto de su celda). Las demás tienen que estar tal cual.
BOOK_LINES_CHANGED = {
    "dataset = datasets.FashionMNIST('data', download=True,": "carpeta DATA",
    "n = random.randint(0, len(dataset))": "randint incluye el extremo: len(dataset) - 1",
    "dataloader = DataLoader(dataset, batch_size=32, shuffle=True)": "generador con semilla",
    "summary(mlp, input_size=(input_dim,))": "device='cpu' (falla con GPU)",
    "DEVICE = torch.device('cuda' if torch.cuda.is_available() else 'cpu')": "DEVICE de la preparación",
    "def train(net: nn.Module, optimizer: optim.Optimizer, dataloader: DataLoader, epochs:": "línea partida en el PDF",
    "int) -> None:": "línea partida en el PDF",
    "def make_prediction(net: nn.Module, images: list[torch.Tensor], true_labels:": "línea partida en el PDF",
    "list[int]) -> None:": "línea partida en el PDF",
    "plt.title(f'Etiqueta real: {labels[true_labels[i]]}\\nPredicción:": "cadena partida en el PDF",
    "{labels[label_pred]} ({100*prob:.0f}%)')": "cadena partida en el PDF",
}


def book_listing_lines() -> list[str]:
    """Líneas de código de los bloques de la sección 1.2.2.3 del capítulo."""
    text = BOOK_CHAPTER.read_text(encoding="utf-8")
    section = text[text.index("from torchsummary import summary") - 400:]
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, re.S | re.M)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_book_listing_line_is_in_a_listing_cell_of_06() -> None:
    if not BOOK_CHAPTER.exists():
        pytest.skip(f"no está el texto del capítulo en {BOOK_CHAPTER}")
    chapter = ROOT / "chapters" / "06-clasificacion.md"
    cells = [c.source for c in jupytext.read(chapter).cells
             if c.cell_type == "code" and LISTING_TAG in c.metadata.get("tags", [])]
    ours = {line.strip() for source in cells for line in source.splitlines()}
    lines = book_listing_lines()
    assert len(lines) > 60, f"solo se leyeron {len(lines)} líneas de los listados del libro"
    missing = [line for line in lines if line not in ours and line not in BOOK_LINES_CHANGED]
    assert not missing, f"líneas del libro que no están en los listados de 06: {missing}"
    unused = [line for line in BOOK_LINES_CHANGED if line not in lines]
    assert not unused, f"cambios declarados que ya no corresponden al libro: {unused}"
