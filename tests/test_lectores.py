"""La edición para lectores: el .ipynb que abren Colab, la portada y la descarga.

Cada `chapters/NN-nombre.ipynb` se lee en Colab, Jupyter o el visor de GitHub, que no
entienden MyST. Lo escribe `make notebooks` desde la construcción del sitio
(_ext/edicion_lectores.py): el código y sus salidas son los ejecutados que comprueba
nbval; el markdown dice lo mismo que la página del sitio, sin sintaxis MyST.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from conftest import CHAPTERS, ROOT, notebook_sources

# Lo que un cuaderno no debe mostrar: roles, directivas, etiquetas y opciones de MyST.
MYST_SYNTAX = {
    "rol": re.compile(r"\{[a-z]+(?::[a-z]+)?\}`"),
    "directiva": re.compile(r"^\s*(?:`{3,}|:{3,})\{[\w-]+\}", re.M),
    "cierre de directiva": re.compile(r"^:{3,}\s*$", re.M),
    "etiqueta": re.compile(r"^\([\w-]+\)=\s*$", re.M),
    "etiqueta de ecuación": re.compile(r"\$\$\s*\([\w-]+\)"),
    "opción de directiva": re.compile(r"^:[\w-]+:", re.M),
    "sustitución": re.compile(r"\{\{[^}]*\}\}"),
}
FIGURE_NAME = re.compile(r"^fig-(?P<number>\d{2}[a-z]?)-")
CAPTION = re.compile(r"^\*\*Figura (?P<number>\d{2}[a-z]?)\.\*\* \S")
CITATION_LINK = re.compile(r"\]\(#ref-(?P<key>[\w-]+)\)")
REFERENCE_ANCHOR = re.compile(r'<a id="ref-(?P<key>[\w-]+)"></a>')
TAG = re.compile(r"\\tag\{(?P<number>[^}]+)\}")
EQNO_HTML = re.compile(r'<span class="eqno">\((?P<number>[^)<]+)\)')
CAPTION_HTML = re.compile(
    r'<figure[^>]*id="(?P<id>fig-[\w-]+)".*?<span class="caption-number">Figura (?P<number>[^<]+?) </span>',
    re.S)
LECTORES = ROOT / "_build" / "lectores" / "chapters"


def reader(md_path: Path) -> nbformat.NotebookNode:
    return nbformat.read(md_path.with_suffix(".ipynb"), as_version=4)


def markdown_cells(md_path: Path) -> list[str]:
    return [c.source for c in reader(md_path).cells if c.cell_type == "markdown"]


def figure_name(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("mystnb", {}).get("figure", {}).get("name")


def shows_an_image(cell: nbformat.NotebookNode) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_no_myst_syntax_survives(md_path: Path) -> None:
    for index, text in enumerate(markdown_cells(md_path)):
        for what, pattern in MYST_SYNTAX.items():
            found = pattern.search(text)
            assert not found, (f"{md_path.stem}, celda de markdown {index}: queda una {what} de MyST "
                               f"({found[0]!r}); ejecute `make reader-notebooks`")


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_code_cells_are_the_md_code_in_order(md_path: Path) -> None:
    source = [c.source for c in jupytext.read(md_path).cells if c.cell_type == "code"]
    stored = [c.source for c in reader(md_path).cells if c.cell_type == "code"]
    assert stored == source


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_every_figure_has_its_caption_right_below(md_path: Path) -> None:
    """Cada figura con nombre lleva debajo «**Figura N.** leyenda», con el número del libro."""
    cells = reader(md_path).cells
    figures = 0
    for index, cell in enumerate(cells):
        name = figure_name(cell)
        if cell.cell_type != "code" or name is None:
            if cell.cell_type == "code" and shows_an_image(cell):
                # Solo un listado del libro dibuja sin leyenda; el texto de debajo dice qué figura es.
                assert "listado-del-libro" in cell.metadata.get("tags", []), (
                    f"{md_path.stem}, celda {index}: una imagen sin nombre ni leyenda")
                assert re.match(r"Arriba, la salida del listado tal cual: es la Figura \d+ del capítulo",
                                cells[index + 1].source), f"{md_path.stem}, celda {index}"
            continue
        figures += 1
        assert shows_an_image(cell), f"{md_path.stem}: la celda de {name} no dibuja nada"
        below = cells[index + 1] if index + 1 < len(cells) else None
        assert below is not None and below.cell_type == "markdown", f"{name}: sin leyenda debajo"
        caption = CAPTION.match(below.source)
        assert caption, f"{name}: la celda de debajo no empieza por «**Figura N.**»: {below.source[:80]!r}"
        assert caption["number"] == FIGURE_NAME.match(name)["number"], (name, caption["number"])
        book = re.search(r"\*\(Figura (\d+) del capítulo\.\)\*", below.source)
        if book:   # una figura del libro lleva su número, el mismo que en el capítulo
            assert caption["number"] == book[1], name
    assert figures == len(re.findall(r"^\s*name: fig-", md_path.read_text(encoding="utf-8"), re.M))


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_every_citation_leads_to_the_reference_list(md_path: Path) -> None:
    text = "\n".join(markdown_cells(md_path))
    cited = set(CITATION_LINK.findall(text))
    listed = REFERENCE_ANCHOR.findall(text)
    assert cited, f"{md_path.stem}: ninguna cita"
    assert len(listed) == len(set(listed)), f"{md_path.stem}: referencias repetidas"
    assert cited == set(listed), (f"{md_path.stem}: citadas sin referencia {cited - set(listed)}, "
                                  f"referencias sin cita {set(listed) - cited}")
    sources = md_path.read_text(encoding="utf-8")
    source_keys = {k.strip() for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", sources)
                   for k in group.split(",")}
    assert cited == source_keys, "cada cita del .md, y solo ellas, llega al cuaderno"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_folded_cells_arrive_folded(md_path: Path) -> None:
    for cell in reader(md_path).cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and tags & {"hide-input", "hide-cell"}:
            assert cell.metadata.get("jupyter") == {"source_hidden": True}
            assert cell.metadata.get("cellView") == "form"


# --- Contra el sitio construido --------------------------------------------------------

@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_saved_reader_notebook_is_the_one_the_build_writes(built_site: Path, md_path: Path) -> None:
    """Un cambio de texto en el .md sin `make reader-notebooks` deja el cuaderno viejo: falla aquí."""
    built = built_site.parent / "lectores" / "chapters" / f"{md_path.stem}.ipynb"
    assert built.is_file(), f"la construcción no escribió {built}"
    assert md_path.with_suffix(".ipynb").read_text(encoding="utf-8") == built.read_text(encoding="utf-8"), (
        f"{md_path.stem}.ipynb no es la edición para lectores actual: ejecute `make reader-notebooks`")


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_equation_numbers_are_the_site_ones(built_site: Path, md_path: Path) -> None:
    html = (built_site / "chapters" / f"{md_path.stem}.html").read_text(encoding="utf-8")
    site = EQNO_HTML.findall(html)
    notebook = TAG.findall("\n".join(markdown_cells(md_path)))
    assert notebook == site, f"{md_path.stem}: ecuaciones {notebook} en el cuaderno y {site} en el sitio"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_figure_numbers_are_the_site_ones(built_site: Path, md_path: Path) -> None:
    html = (built_site / "chapters" / f"{md_path.stem}.html").read_text(encoding="utf-8")
    site = {m["id"]: m["number"] for m in CAPTION_HTML.finditer(html)}
    cells = reader(md_path).cells
    notebook = {figure_name(c): CAPTION.match(cells[i + 1].source)["number"]
                for i, c in enumerate(cells) if c.cell_type == "code" and figure_name(c)}
    assert notebook == site


# --- En un navegador: el cuaderno convertido a HTML, como lo vería un lector ------------

def render_notebook_html(notebook: Path, target: Path) -> Path:
    """Lo que escribe `jupyter nbconvert --to html`: la vista más parecida a Jupyter sin servidor."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    target.write_text(body, encoding="utf-8")
    return target


READ_NOTEBOOK = r"""
() => {
  const cells = [...document.querySelectorAll('.jp-Cell')];
  const visible = (cell) => cell.querySelector('.jp-RenderedMarkdown, .jp-MarkdownOutput');
  return cells.map(cell => ({
    markdown: cell.classList.contains('jp-MarkdownCell'),
    text: cell.classList.contains('jp-MarkdownCell') ? (visible(cell) || cell).innerText : '',
    image: cell.querySelector('.jp-OutputArea img') !== null,
  }));
}
"""


@pytest.fixture(scope="module")
def chromium():
    from test_browser import CHROMIUM_FLAGS, chromium_path

    executable = chromium_path()
    if executable is None:
        pytest.fail("no hay Chromium: instale el paquete `chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def screenshot_notebook(chromium, notebook: Path, png: Path) -> list[dict]:
    """Convierte `notebook` a HTML, lo abre sin red, guarda la captura y devuelve sus celdas."""
    html = render_notebook_html(notebook, png.with_suffix(".html"))
    page = chromium.new_page(viewport={"width": 1100, "height": 1400}, locale="es-ES")
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else route.abort())
    page.goto(html.resolve().as_uri(), wait_until="load")
    cells = page.evaluate(READ_NOTEBOOK)
    page.screenshot(path=str(png))
    page.close()
    return cells


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_reader_notebook_reads_cleanly_in_a_browser(chromium, md_path: Path) -> None:
    """nbconvert + Chromium: sin MyST a la vista, y cada imagen con su «Figura N.» debajo."""
    folder = ROOT / "_build" / "screenshots" / "cuadernos"
    folder.mkdir(parents=True, exist_ok=True)
    cells = screenshot_notebook(chromium, md_path.with_suffix(".ipynb"), folder / f"{md_path.stem}.png")
    text = "\n".join(c["text"] for c in cells)
    for what, pattern in MYST_SYNTAX.items():
        assert not pattern.search(text), f"{md_path.stem}: se ve una {what} de MyST"
    assert "{numref}" not in text and "{cite}" not in text
    images = [i for i, c in enumerate(cells) if c["image"]]
    assert images, md_path.stem
    for index in images:
        below = cells[index + 1]["text"] if index + 1 < len(cells) else ""
        assert re.match(r"Figura \d{2}[a-z]?\.|Arriba, la salida del listado tal cual: es la Figura \d+",
                        below.strip()), (
            f"{md_path.stem}: una imagen sin «Figura N.» debajo: {below[:60]!r}")
    assert (folder / f"{md_path.stem}.png").stat().st_size > 10_000


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_a_notebook_that_says_it_asks_for_a_gpu_does(md_path: Path) -> None:
    """Colab abre con GPU el cuaderno cuyos metadatos la piden (`accelerator: GPU`)."""
    notebook = reader(md_path)
    says_so = any("ya pide una GPU a Colab" in text for text in markdown_cells(md_path))
    asks = notebook.metadata.get("accelerator") == "GPU"
    assert says_so == asks, f"{md_path.stem}: el texto y los metadatos no dicen lo mismo sobre la GPU"
    if asks:
        assert notebook.metadata["colab"]["gpuType"] == "T4"   # la que nombra el texto


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_exercises_and_solutions_are_plain_markdown_and_code(md_path: Path) -> None:
    """Cada {exercise} es una cita «**Ejercicio N**»; cada solución, un título y su código ejecutado."""
    source = md_path.read_text(encoding="utf-8")
    cells = reader(md_path).cells
    exercises = [c for c in cells if c.cell_type == "markdown" and re.search(r"^> \*\*Ejercicio \d+\*\*", c.source, re.M)]
    titles = re.findall(r"^> \*\*Ejercicio (\d+)\*\*", "\n".join(c.source for c in exercises), re.M)
    assert titles == [str(n) for n in range(1, source.count(":::{exercise}") + 1)]
    solved = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
              and re.search(r"^\*\*Solución del ejercicio \d+\*\*$", c.source, re.M)]
    assert len(solved) == source.count(":::{solution-start}")
    for index in solved:
        number = re.search(r"^\*\*Solución del ejercicio (\d+)\*\*$", cells[index].source, re.M)[1]
        code = cells[index + 1]
        assert code.cell_type == "code" and code.outputs and f"ejercicio {number}" in code.source.lower()
