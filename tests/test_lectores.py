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
import yaml

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
REFERENCE_ANCHOR = re.compile(r'<a id="ref-(?P<key>[\w-]+)" name="ref-(?P=key)"></a>')
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


def solution_cells(md_path: Path) -> dict[int, int]:
    """Índice de cada celda de código que es la solución de un ejercicio → número del ejercicio."""
    cells = reader(md_path).cells
    found = {}
    for index, cell in enumerate(cells):
        title = re.match(r"\*\*Solución del ejercicio (\d+)\*\*", cell.source)
        if cell.cell_type == "markdown" and title:
            assert cells[index + 1].cell_type == "code", f"{md_path.stem}: la solución {title[1]} sin código"
            found[index + 1] = int(title[1])
    return found


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_folded_cells_arrive_folded_with_a_title(md_path: Path) -> None:
    """Lo que el sitio pliega llega plegado: en Colab, un formulario con título; en JupyterLab,
    el código oculto. Las soluciones pliegan también su salida, y el texto de encima de una
    celda de preparación plegada dice que está plegada y que hay que ejecutarla."""
    cells = reader(md_path).cells
    solutions = solution_cells(md_path)
    assert len(solutions) == md_path.read_text(encoding="utf-8").count(":::{solution-start}")
    folded = 0
    for index, cell in enumerate(cells):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type != "code" or not (tags & {"hide-input", "hide-cell"} or index in solutions):
            assert cell.metadata.get("cellView") != "form", f"{md_path.stem}, celda {index}: formulario de más"
            continue
        folded += 1
        first_line = cell.source.split("\n", 1)[0]
        assert re.match(r"# @title \S", first_line), f"{md_path.stem}, celda {index}: sin «# @title»"
        assert cell.metadata.get("cellView") == "form", f"{md_path.stem}, celda {index}"
        assert cell.metadata["jupyter"].get("source_hidden") is True, f"{md_path.stem}, celda {index}"
        if index in solutions:
            assert first_line == f"# @title Solución del ejercicio {solutions[index]}"
            assert cell.metadata["jupyter"].get("outputs_hidden") is True, "la salida revelaría la solución"
            assert cell.metadata.get("collapsed") is True, "JupyterLab lo añadiría y daría el cuaderno por cambiado"
        else:
            above = cells[index - 1]
            assert above.cell_type == "markdown" and "plegada" in above.source and re.search(r"ejec[uú]t", above.source), (
                f"{md_path.stem}, celda {index}: el texto de encima no dice que está plegada y hay que ejecutarla")
    assert folded >= 1 + len(solutions)     # la preparación común, al menos


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_exercise_text_and_solution_are_separate_cells(md_path: Path) -> None:
    for index, cell in enumerate(reader(md_path).cells):
        if cell.cell_type == "markdown" and "**Solución del ejercicio" in cell.source:
            assert cell.source.startswith("**Solución del ejercicio"), (
                f"{md_path.stem}, celda {index}: la solución comparte celda con el texto del ejercicio")
            assert "Ejercicio" not in cell.source


def heading_lines(markdown: str) -> list[int]:
    """Números de línea de los títulos (`#`…) de una celda, sin contar los de bloques de código."""
    found, fence = [], None
    for number, line in enumerate(markdown.split("\n")):
        opened = re.match(r"(`{3,}|~{3,})", line.strip())
        if fence:
            fence = None if opened and line.strip().startswith(fence) else fence
        elif opened:
            fence = opened[1]
        elif re.match(r"#{1,6} \S", line):
            found.append(number)
    return found


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_each_heading_starts_its_own_cell(md_path: Path) -> None:
    """Las tablas de contenidos de Colab y JupyterLab toman cada sección del primer título de una celda."""
    cells = reader(md_path).cells
    headings = 0
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            lines = heading_lines(cell.source)
            assert lines in ([], [0]), f"{md_path.stem}, celda {index}: títulos a media celda {lines}"
            headings += len(lines)
    source_headings = sum(len(heading_lines(c.source)) for c in jupytext.read(md_path).cells
                          if c.cell_type == "markdown")
    assert headings == source_headings, "cada título del .md llega al cuaderno"


def stderr_is_removed(config: dict, tags: set[str]) -> bool:
    """¿Quita el sitio la salida de error de esta celda? (`execute.stderr_output`, `remove-stderr`)."""
    return "remove-stderr" in tags or config["execute"].get("stderr_output", "show").startswith("remove")


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_no_stderr_is_stored_where_the_site_removes_it(md_path: Path) -> None:
    """JupyterLab pinta la salida de error en rosa: las barras de progreso no se guardan."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    for index, cell in enumerate(reader(md_path).cells):
        if cell.cell_type == "code" and stderr_is_removed(config, set(cell.metadata.get("tags", []))):
            stored = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not stored, f"{md_path.stem}, celda {index}: salida de error guardada"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_equation_references_link_to_their_equation(md_path: Path) -> None:
    """«la ecuación (12)» es un enlace al ancla de la ecuación 12, dentro del mismo cuaderno."""
    text = "\n".join(markdown_cells(md_path))
    links = re.findall(r"\[\((?P<number>[^)\]]+)\)\]\(#(?P<anchor>eq-[\w-]+)\)", text)
    assert len(links) == md_path.read_text(encoding="utf-8").count("{eq}`")
    for number, anchor in links:
        equation = re.search(rf'<a id="{anchor}" name="{anchor}"></a>\s*\$\$.*?\\tag\{{(?P<tag>[^}}]+)\}}',
                             text, re.S)
        assert equation, f"{md_path.stem}: ({number}) lleva a #{anchor}, que no existe"
        assert equation["tag"] == number, f"{md_path.stem}: ({number}) lleva a la ecuación {equation['tag']}"


# Palabras de quien mantiene el libro, no de quien lo lee (en el texto y en los comentarios).
MAINTAINERS_WORDING = re.compile(
    r"\bmake\b|tests/|test_\w+\.py|\bBOOK_[A-Z]+|\bnbval\b|\bpytest\b|\bjupytext\b|_build|"
    r"variable de entorno|\.md\b")


def comments(code: str) -> list[str]:
    return [line.split("#", 1)[1] for line in code.split("\n") if line.lstrip().startswith("#")]


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_a_reader_never_reads_maintainers_wording(md_path: Path) -> None:
    for index, cell in enumerate(reader(md_path).cells):
        texts = [cell.source] if cell.cell_type == "markdown" else comments(cell.source)
        for text in texts:
            found = MAINTAINERS_WORDING.search(text)
            assert not found, f"{md_path.stem}, celda {index}: «{found[0]}» es cosa del repositorio: {text[:120]!r}"


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
    solved = solution_cells(md_path)
    assert len(solved) == source.count(":::{solution-start}")
    for index, number in solved.items():
        code = cells[index]
        assert code.cell_type == "code" and code.outputs and f"ejercicio {number}" in code.source.lower()


# --- La cabecera: de dónde viene el cuaderno y cómo volver al libro --------------------

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
SITE = CONFIG["html"]["baseurl"].rstrip("/") + "/"
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
URL = re.compile(r"\]\((https?://[^)\s]+)\)")
ERRATA = next(entry["file"] for entry in TOC["chapters"] if not entry["file"].startswith("chapters/"))


def colab(notebook: str) -> str:
    """La URL de Colab de `notebook`, con la función que usa la construcción (_ext/enlaces.py)."""
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    from enlaces import colab_link

    return colab_link(REPOSITORY, BRANCH, CONFIG["launch_buttons"]["colab_url"], notebook)


def neighbour_url(docname: str) -> str:
    """Adónde lleva «Anterior»/«Siguiente»: a Colab si es un cuaderno; si no, a su página."""
    if docname.startswith("chapters/"):
        return colab(f"{docname}.ipynb")
    return SITE if docname == TOC["root"] else f"{SITE}{docname}.html"


def header(md_path: Path) -> str:
    first = reader(md_path).cells[0]
    assert first.cell_type == "markdown" and first.metadata.get("edicion_lectores") == "cabecera", (
        f"{md_path.stem}: el cuaderno no empieza por su cabecera; ejecute `make reader-notebooks`")
    return first.source


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_every_notebook_starts_with_its_header(md_path: Path) -> None:
    """Libro, capítulo y sección; esta página, la portada, las erratas, el repositorio, Colab,
    los vecinos en el índice y cómo usar el cuaderno."""
    text = header(md_path)
    docname = f"chapters/{md_path.stem}"
    section = re.search(r"^# (.+)$", md_path.read_text(encoding="utf-8"), re.M)[1]
    for expected in (CONFIG["title"], CONFIG["sphinx"]["config"]["lectores_capitulo"], section):
        assert expected in text, f"{md_path.stem}: la cabecera no nombra «{expected}»"
    urls = URL.findall(text)
    for expected in (f"{SITE}{docname}.html", SITE, f"{SITE}{ERRATA}.html", REPOSITORY,
                     colab(f"{docname}.ipynb"), f"{SITE}_static/abrir-en-colab.svg"):
        assert expected in urls, f"{md_path.stem}: falta el enlace {expected}"
    order = [TOC["root"]] + [entry["file"] for entry in TOC["chapters"]]
    position = order.index(docname)
    previous = re.search(r"← Anterior: .*?\]\((\S+?)\)", text)
    following = re.search(r"Siguiente: .*?\]\((\S+?)\)", text)
    assert previous and previous[1] == neighbour_url(order[position - 1]), md_path.stem
    if position + 1 < len(order):
        assert following and following[1] == neighbour_url(order[position + 1]), md_path.stem
    for advice in ("Ejecute las celdas en orden", "instala solo", "celdas plegadas", "ejecutarlas"):
        assert advice in text, f"{md_path.stem}: la cabecera no dice «{advice}»"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_header_links_are_not_broken(built_site: Path, md_path: Path) -> None:
    """Cada enlace de la cabecera lleva a una página del sitio construido, a un cuaderno que
    existe en el repositorio (por Colab) o al repositorio."""
    for url in URL.findall(header(md_path)):
        if url.startswith(SITE):
            target = built_site / (url.removeprefix(SITE).split("#")[0] or "index.html")
            assert target.is_file(), f"{md_path.stem}: {url} no existe en el sitio construido"
        elif "/blob/" in url:
            notebook = url.split(f"/blob/{BRANCH}/", 1)[1]
            assert (ROOT / notebook).is_file() and url == colab(notebook), f"{md_path.stem}: {url}"
        else:
            assert url == REPOSITORY, f"{md_path.stem}: enlace desconocido {url}"


# --- Las fórmulas, con el MathJax de Colab y Jupyter (2 y 3), sin red -------------------

def mathjax_2() -> Path:
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js"


def mathjax_3() -> Path:
    import importlib

    package = importlib.import_module("sphinx-mathjax-offline")   # el MathJax 3 que sirve el sitio
    return Path(package.__file__).parent / "static" / "mathjax" / "tex-chtml.js"


# Configuración como la del Jupyter clásico (MathJax 2 con la fuente STIX-Web, la única que
# trae el paquete) y la de JupyterLab (MathJax 3), con los errores a la vista:
# sin `noErrors`/`noUndefined`, una macro desconocida es un error que se cuenta.
MATHJAX_SETUP = {
    2: """<script type="text/x-mathjax-config">
window.texErrors = [];
MathJax.Hub.Config({
  tex2jax: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
            processEscapes: true, processEnvironments: true},
  TeX: {extensions: ['AMSmath.js', 'AMSsymbols.js'], noErrors: {disabled: true}, noUndefined: {disabled: true}},
  'HTML-CSS': {availableFonts: [], imageFont: null, preferredFont: null, webFont: 'STIX-Web'},
  messageStyle: 'none', menuSettings: {assistiveMML: false}
});
MathJax.Hub.Register.MessageHook('TeX Jax - parse error', m => window.texErrors.push(String(m[1])));
MathJax.Hub.Register.MessageHook('Math Processing Error', m => window.texErrors.push(String(m[2])));
MathJax.Hub.Queue(() => {
  window.mathML = MathJax.Hub.getAllJax().map(jax => jax.root.toMathML(''));
  window.mathDone = true;
});
</script>
<script src="{src}?config=TeX-AMS-MML_HTMLorMML-full"></script>""",
    3: """<script>
window.texErrors = [];
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true, packages: {'[-]': ['noundefined', 'noerrors']},
        formatError: (jax, error) => { window.texErrors.push(error.message); return jax.formatError(error); }},
  startup: {pageReady: () => MathJax.startup.defaultPageReady().then(() => {
    window.mathML = Array.from(MathJax.startup.document.math).map(item => MathJax.startup.toMML(item.root));
    window.mathDone = true;
  })}
};
</script>
<script src="{src}"></script>""",
}


def markdown_page(md_path: Path, version: int, target: Path) -> Path:
    """Las celdas de markdown del cuaderno como las convierte Jupyter (nbconvert), con MathJax `version`."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    cells = "\n".join(f'<div class="celda">{markdown2html_mistune(text)}</div>' for text in markdown_cells(md_path))
    source = (mathjax_2() if version == 2 else mathjax_3()).as_uri()
    setup = MATHJAX_SETUP[version].replace("{src}", source)
    target.write_text(f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">{setup}</head>'
                      f"<body>{cells}</body></html>", encoding="utf-8")
    return target


@pytest.mark.parametrize("version", [2, 3], ids=["mathjax2", "mathjax3"])
@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_every_formula_renders_with_mathjax(chromium, md_path: Path, version: int) -> None:
    """Ninguna fórmula del cuaderno da error en MathJax 2 (Jupyter clásico) ni 3 (JupyterLab), y
    ninguna deja una barra invertida a la vista (p. ej. `\\_` dentro de `\\text{}`)."""
    folder = ROOT / "_build" / "mathjax"
    folder.mkdir(parents=True, exist_ok=True)
    page_path = markdown_page(md_path, version, folder / f"{md_path.stem}-mathjax{version}.html")
    page = chromium.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else route.abort())
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.mathDone === true", timeout=120_000)
    errors, mathml = page.evaluate("[window.texErrors, window.mathML]")
    page.close()
    assert not errors, f"{md_path.stem}, MathJax {version}: {len(errors)} errores: {errors[:5]}"
    source_formulas = sum(text.count("$$") // 2 for text in markdown_cells(md_path))
    assert len(mathml) >= source_formulas > 0, f"{md_path.stem}: MathJax {version} dibujó {len(mathml)} fórmulas"
    literal = [m for m in mathml if "\\" in re.sub(r"<[^>]+>", "", m)]
    assert not literal, f"{md_path.stem}, MathJax {version}: barras invertidas a la vista: {literal[:2]}"
