"""Los cuadernos: la fuente `.md`, el cuaderno de lectores que escribe la construcción, y lo
que su código promete.

- **El contrato.** Cada `chapters/NN-nombre.md` tiene su cuaderno de lectores
  `chapters/NN-nombre.ipynb`, ejecutado de arriba abajo, con el mismo código en el mismo
  orden (el de las celdas `:load:` incluido: `chapters/comun.py`, `chapters/carga_fashionmnist.py`),
  y es exactamente el que escribe la construcción.
- **El cuaderno de lectores** se lee en Colab, JupyterLab o el visor de GitHub, que no
  entienden MyST: sin sintaxis MyST; cabecera con el libro, el capítulo, los enlaces y los
  vecinos; lo plegado en el sitio, plegado y con título; cada título en su celda; leyendas,
  citas y ecuaciones enlazadas; sin stderr; sin palabras de quien mantiene el libro; y
  cada fórmula se dibuja sin errores con MathJax 2 y 3.
- **El código**: la primera celda instala lo que falta; la carga de FashionMNIST falla,
  sin red, con una sola frase; la tabla de hitos contiene el diagrama del capítulo; los
  listados del libro están en el cuaderno 06; los números siguen la norma de la RAE.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
import socket
import sys
from pathlib import Path
from urllib.error import URLError

import nbformat
import pytest

from support import (BOOK_CHAPTER, BRANCH, CHAPTERS, CONFIG, ERRATA, REPOSITORY, ROOT, SITE, SPHINX, TOC,
                     chapter_sources, code_cells, colab, markdown_cells, reader, source_notebook, toc_order)


# --- El contrato entre la fuente y el cuaderno de lectores ---------------------------

EXPECTED_CHAPTERS = [
    "01-panorama",
    "02-probabilidad",
    "03-condicional",
    "04-esperanza-varianza",
    "05-redes-neuronales",
    "06-clasificacion",
]


def test_toc_lists_the_six_chapters_in_order() -> None:
    assert TOC["root"] == "intro"
    files = [c["file"] for c in TOC["chapters"]]
    assert files[:6] == [f"chapters/{n}" for n in EXPECTED_CHAPTERS]
    for extra in files[6:]:   # páginas de apoyo (p. ej. erratas) después de los capítulos
        assert not extra.startswith("chapters/") and (ROOT / f"{extra}.md").exists(), extra
    assert [p.stem for p in chapter_sources()] == EXPECTED_CHAPTERS


# Metadatos de celda que el cuaderno de lectores añade (plegado en JupyterLab y Colab) o
# que solo la fuente lleva (`load`: la celda que trae su código de un archivo).
READER_ONLY_METADATA = {"jupyter", "cellView", "collapsed"}
SOURCE_ONLY_METADATA = {"load"}


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_reader_notebook_has_the_code_of_its_source(md_path: Path) -> None:
    """El cuaderno de lectores tiene el código del `.md` (con el de sus `:load:`), en el mismo
    orden y con los mismos metadatos: lo que comprueba nbval es lo que dice la fuente."""
    notebook = md_path.with_suffix(".ipynb")
    assert notebook.exists(), f"falta {notebook.name}: ejecute `make book`"
    source, stored = code_cells(source_notebook(md_path)), code_cells(reader(md_path))
    assert len(source) == len(stored), (
        f"{notebook.name}: {len(stored)} celdas de código, el .md tiene {len(source)} (ejecute `make book`)")
    for index, (a, b) in enumerate(zip(source, stored)):
        assert a.source == b.source, f"{notebook.name}, celda de código {index}: no es la del .md (ejecute `make book`)"
        ours = {k: v for k, v in a.metadata.items() if k not in SOURCE_ONLY_METADATA}
        theirs = {k: v for k, v in b.metadata.items() if k not in READER_ONLY_METADATA}
        assert ours == theirs, f"{notebook.name}, celda de código {index}: metadatos distintos"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_reader_notebook_was_executed_top_to_bottom(md_path: Path) -> None:
    """Un cuaderno sin ejecutar haría que nbval no compare nada: esto lo detecta."""
    code = code_cells(reader(md_path))
    assert code, "el capítulo no tiene celdas de código"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{md_path.stem}: celdas sin ejecutar o fuera de orden ({counts}); ejecute `make book`")
    with_output = sum(1 for c in code if c.outputs)
    assert with_output >= len(code) // 2, f"{md_path.stem}: solo {with_output} celdas con salida"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{md_path.stem}: salidas de error guardadas"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_saved_reader_notebook_is_the_one_the_build_writes(reader_notebooks_before_build: dict[str, str],
                                                           md_path: Path) -> None:
    """La construcción de esta sesión no tuvo que cambiar el cuaderno guardado: ya estaba al día.

    Si falla, la construcción acaba de reescribirlo: revíselo y haga commit con el `.md`.
    """
    before = reader_notebooks_before_build.get(md_path.with_suffix(".ipynb").name)
    if before is None:      # BOOK_HTML: no se construyó en esta sesión
        pytest.skip("sitio ya construido (BOOK_HTML): no hay construcción con la que comparar")
    after = md_path.with_suffix(".ipynb").read_text(encoding="utf-8")
    assert before == after, f"{md_path.stem}.ipynb no era el que escribe la construcción: ejecute `make book`"


def imported_packages(md_path: Path) -> set[str]:
    """Paquetes de fuera de la biblioteca estándar que importan las celdas del cuaderno."""
    from IPython.core.inputtransformer2 import TransformerManager

    found = set()
    for cell in code_cells(source_notebook(md_path)):
        for node in ast.walk(ast.parse(TransformerManager().transform_cell(cell.source))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names)


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_first_cell_installs_whatever_the_notebook_imports_and_is_missing(md_path: Path) -> None:
    """Colab o un Jupyter propio: la primera celda instala lo que falte, no «si es Colab»."""
    first = code_cells(source_notebook(md_path))[0]
    assert "find_spec" in first.source and "%pip install" in first.source, first.source
    assert "google.colab" not in first.source, "la instalación no depende de estar en Colab"
    required = ast.literal_eval(re.search(r"REQUIRED = (\[.*?\])", first.source).group(1))
    # IPython viene con el núcleo de Jupyter, y PIL (Pillow) con matplotlib, que lo necesita.
    assert imported_packages(md_path) - {"IPython", "PIL"} == set(required), (
        f"{md_path.stem}: REQUIRED = {required} no coincide con lo que importa el cuaderno")


SHARED_CODE = CHAPTERS / "comun.py"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_the_shared_set_up_is_loaded_from_its_file(md_path: Path) -> None:
    """El estilo, `save_figure` y `thousands` viven en chapters/comun.py y cada capítulo los carga
    de ahí (una celda `:load:`); ningún capítulo los vuelve a escribir."""
    cells = code_cells(source_notebook(md_path))
    loaded = [c for c in cells if c.metadata.get("load") == SHARED_CODE.name]
    assert len(loaded) == 1, f"{md_path.stem}: debe cargar {SHARED_CODE.name} una vez"
    assert loaded[0].source.rstrip() == SHARED_CODE.read_text(encoding="utf-8").rstrip()
    assert sum("def save_figure" in c.source for c in cells) == 1, f"{md_path.stem}: save_figure repetida"


def test_thousands_follow_the_rae() -> None:
    """Espacio fino en los números de más de cuatro cifras; nada en los de cuatro."""
    namespace: dict = {}
    exec(SHARED_CODE.read_text(encoding="utf-8"), namespace)
    thousands = namespace["thousands"]
    assert thousands(12_760) == "12\u202f760"
    assert thousands(60_000) == "60\u202f000"
    assert thousands(101_770) == "101\u202f770"
    assert thousands(1620) == "1620" and thousands(3190) == "3190" and thousands(50) == "50"
    assert thousands(1620.0) == "1620"


ENGLISH_THOUSANDS = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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
    cells = [c.source for c in code_cells(source_notebook(chapter))
             if LISTING_TAG in c.metadata.get("tags", [])]
    ours = {line.strip() for source in cells for line in source.splitlines()}
    lines = book_listing_lines()
    assert len(lines) > 60, f"solo se leyeron {len(lines)} líneas de los listados del libro"
    missing = [line for line in lines if line not in ours and line not in BOOK_LINES_CHANGED]
    assert not missing, f"líneas del libro que no están en los listados de 06: {missing}"
    unused = [line for line in BOOK_LINES_CHANGED if line not in lines]
    assert not unused, f"cambios declarados que ya no corresponden al libro: {unused}"


# --- El cuaderno de lectores -------------------------------------------------------

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


def reader_markdown(md_path: Path) -> list[str]:
    return markdown_cells(reader(md_path))


def figure_name(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("mystnb", {}).get("figure", {}).get("name")


def shows_an_image(cell: nbformat.NotebookNode) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_no_myst_syntax_survives(md_path: Path) -> None:
    for index, text in enumerate(reader_markdown(md_path)):
        for what, pattern in MYST_SYNTAX.items():
            found = pattern.search(text)
            assert not found, (f"{md_path.stem}, celda de markdown {index}: queda una {what} de MyST "
                               f"({found[0]!r}); ejecute `make book`")


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_every_citation_leads_to_the_reference_list(md_path: Path) -> None:
    text = "\n".join(reader_markdown(md_path))
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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_each_heading_starts_its_own_cell(md_path: Path) -> None:
    """Las tablas de contenidos de Colab y JupyterLab toman cada sección del primer título de una celda."""
    cells = reader(md_path).cells
    headings = 0
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            lines = heading_lines(cell.source)
            assert lines in ([], [0]), f"{md_path.stem}, celda {index}: títulos a media celda {lines}"
            headings += len(lines)
    source_headings = sum(len(heading_lines(c.source)) for c in source_notebook(md_path).cells
                          if c.cell_type == "markdown")
    assert headings == source_headings, "cada título del .md llega al cuaderno"


def stderr_is_removed(config: dict, tags: set[str]) -> bool:
    """¿Quita el sitio la salida de error de esta celda? (`execute.stderr_output`, `remove-stderr`)."""
    return "remove-stderr" in tags or config["execute"].get("stderr_output", "show").startswith("remove")


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_no_stderr_is_stored_where_the_site_removes_it(md_path: Path) -> None:
    """JupyterLab pinta la salida de error en rosa: las barras de progreso no se guardan."""
    for index, cell in enumerate(reader(md_path).cells):
        if cell.cell_type == "code" and stderr_is_removed(CONFIG, set(cell.metadata.get("tags", []))):
            stored = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not stored, f"{md_path.stem}, celda {index}: salida de error guardada"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_equation_references_link_to_their_equation(md_path: Path) -> None:
    """«la ecuación (12)» es un enlace al ancla de la ecuación 12, dentro del mismo cuaderno."""
    text = "\n".join(reader_markdown(md_path))
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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_a_reader_never_reads_maintainers_wording(md_path: Path) -> None:
    for index, cell in enumerate(reader(md_path).cells):
        texts = [cell.source] if cell.cell_type == "markdown" else comments(cell.source)
        for text in texts:
            found = MAINTAINERS_WORDING.search(text)
            assert not found, f"{md_path.stem}, celda {index}: «{found[0]}» es cosa del repositorio: {text[:120]!r}"


# --- Contra el sitio construido --------------------------------------------------------

@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_equation_numbers_are_the_site_ones(built_site: Path, md_path: Path) -> None:
    html = (built_site / "chapters" / f"{md_path.stem}.html").read_text(encoding="utf-8")
    site = EQNO_HTML.findall(html)
    notebook = TAG.findall("\n".join(reader_markdown(md_path)))
    assert notebook == site, f"{md_path.stem}: ecuaciones {notebook} en el cuaderno y {site} en el sitio"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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
    // las animaciones llevan su pie dentro de su salida (tests/test_animations.py)
    image: cell.querySelector('.jp-OutputArea img:not([id^="_anim_img"])') !== null,
  }));
}
"""


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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_a_notebook_that_says_it_asks_for_a_gpu_does(md_path: Path) -> None:
    """Colab abre con GPU el cuaderno cuyos metadatos la piden (`accelerator: GPU`)."""
    notebook = reader(md_path)
    says_so = any("ya pide una GPU a Colab" in text for text in reader_markdown(md_path))
    asks = notebook.metadata.get("accelerator") == "GPU"
    assert says_so == asks, f"{md_path.stem}: el texto y los metadatos no dicen lo mismo sobre la GPU"
    if asks:
        assert notebook.metadata["colab"]["gpuType"] == "T4"   # la que nombra el texto


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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

URL = re.compile(r"\]\((https?://[^)\s]+)\)")


def neighbour_url(docname: str) -> str:
    """Adónde lleva «Anterior»/«Siguiente»: a Colab si es un cuaderno; si no, a su página."""
    if docname.startswith("chapters/"):
        return colab(f"{docname}.ipynb")
    return SITE if docname == TOC["root"] else f"{SITE}{docname}.html"


def header(md_path: Path) -> str:
    first = reader(md_path).cells[0]
    assert first.cell_type == "markdown" and first.metadata.get("reader_edition") == "cabecera", (
        f"{md_path.stem}: el cuaderno no empieza por su cabecera; ejecute `make book`")
    return first.source


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_every_notebook_starts_with_its_header(md_path: Path) -> None:
    """Libro, capítulo y sección; esta página, la portada, las erratas, el repositorio, Colab,
    los vecinos en el índice y cómo usar el cuaderno."""
    text = header(md_path)
    docname = f"chapters/{md_path.stem}"
    section = re.search(r"^# (.+)$", md_path.read_text(encoding="utf-8"), re.M)[1]
    for expected in (CONFIG["title"], SPHINX["reader_edition_chapter"], section):
        assert expected in text, f"{md_path.stem}: la cabecera no nombra «{expected}»"
    urls = URL.findall(text)
    for expected in (f"{SITE}{docname}.html", SITE, f"{SITE}{ERRATA}.html", REPOSITORY,
                     colab(f"{docname}.ipynb"), f"{SITE}_static/abrir-en-colab.svg"):
        assert expected in urls, f"{md_path.stem}: falta el enlace {expected}"
    order = toc_order()
    position = order.index(docname)
    previous = re.search(r"← Anterior: .*?\]\((\S+?)\)", text)
    following = re.search(r"Siguiente: .*?\]\((\S+?)\)", text)
    assert previous and previous[1] == neighbour_url(order[position - 1]), md_path.stem
    if position + 1 < len(order):
        assert following and following[1] == neighbour_url(order[position + 1]), md_path.stem
    for advice in ("Ejecute las celdas en orden", "instala solo", "celdas plegadas", "ejecutarlas"):
        assert advice in text, f"{md_path.stem}: la cabecera no dice «{advice}»"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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

    cells = "\n".join(f'<div class="celda">{markdown2html_mistune(text)}</div>' for text in reader_markdown(md_path))
    source = (mathjax_2() if version == 2 else mathjax_3()).as_uri()
    setup = MATHJAX_SETUP[version].replace("{src}", source)
    target.write_text(f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">{setup}</head>'
                      f"<body>{cells}</body></html>", encoding="utf-8")
    return target


@pytest.mark.parametrize("version", [2, 3], ids=["mathjax2", "mathjax3"])
@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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
    source_formulas = sum(text.count("$$") // 2 for text in reader_markdown(md_path))
    assert len(mathml) >= source_formulas > 0, f"{md_path.stem}: MathJax {version} dibujó {len(mathml)} fórmulas"
    literal = [m for m in mathml if "\\" in re.sub(r"<[^>]+>", "", m)]
    assert not literal, f"{md_path.stem}, MathJax {version}: barras invertidas a la vista: {literal[:2]}"


# --- La carga de FashionMNIST sin red -------------------------------------------------

RAW_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


DATA_LOADER = CHAPTERS / "carga_fashionmnist.py"


def load_data_source() -> str:
    """El cargador de FashionMNIST: un archivo, que cargan (`:load:`) 01 y 06."""
    for chapter in (CHAPTERS / "01-panorama.md", CHAPTERS / "06-clasificacion.md"):
        cells = [c for c in code_cells(source_notebook(chapter)) if c.metadata.get("load") == DATA_LOADER.name]
        assert len(cells) == 1, f"{chapter.name} debe cargar {DATA_LOADER.name} en una celda"
        assert "load-data" in cells[0].metadata.get("tags", [])
    return DATA_LOADER.read_text(encoding="utf-8")


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cualquier intento de conexión falla al instante, como en una máquina sin red."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("red bloqueada por la prueba")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def load_fashion_mnist_from_cell(data: Path, monkeypatch: pytest.MonkeyPatch):
    """La función `load_fashion_mnist` de la celda, con BOOK_DATA apuntando a `data`."""
    from torchvision import datasets
    from torchvision.transforms import ToTensor

    monkeypatch.setenv("BOOK_DATA", str(data))
    namespace = {
        "DATA": Path(os.environ.get("BOOK_DATA", "data")),   # igual que la celda de importaciones
        "Path": Path,
        "URLError": URLError,
        "datasets": datasets,
        "ToTensor": ToTensor,
    }
    exec(compile(load_data_source(), str(DATA_LOADER), "exec"), namespace)
    return namespace["load_fashion_mnist"]


def assert_clear_error(error: pytest.ExceptionInfo[RuntimeError], data: Path) -> None:
    message = str(error.value)
    assert str(data.resolve()) in message, message
    assert "raw" in message and "conexión" in message, message   # qué hacer: red, o copiar los .gz
    assert "\n" not in message, "el mensaje debe ser una sola frase"
    assert error.value.__cause__ is None and error.value.__suppress_context__, "falta `from None`"


def test_empty_folder_without_network_gives_one_clear_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_fashion_mnist = load_fashion_mnist_from_cell(tmp_path, monkeypatch)
    block_network(monkeypatch)
    with pytest.raises(RuntimeError) as error:
        load_fashion_mnist(True)
    assert_clear_error(error, tmp_path)


def test_corrupted_archive_without_network_gives_one_clear_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_FILES:                       # descarga a medias: bytes que no son gzip
        (raw / name).write_bytes(b"\x1f\x8b esto no es un gzip completo")
    load_fashion_mnist = load_fashion_mnist_from_cell(tmp_path, monkeypatch)
    block_network(monkeypatch)
    with pytest.raises(RuntimeError) as error:
        load_fashion_mnist(True)
    assert_clear_error(error, tmp_path)


# --- La tabla de hitos del cuaderno 01 ------------------------------------------------

NOTEBOOK = CHAPTERS / "01-panorama.md"
COLUMNS = ["paradigma", "hito", "fecha", "fecha_libro", "nota"]

SECTION = re.compile(r"^\s*(?:#+\s*)?section\s+(?P<name>.+?)\s*$")
MILESTONE = re.compile(r"^\s*(?P<name>[^:]+?)\s*:\s*milestone\s*,\s*(?P<date>\d{2}-\d{2}-\d{4})\s*,")


def gantt_milestones(text: str) -> list[tuple[str, str, str]]:
    """(paradigma, hito, fecha DD-MM-AAAA) de cada hito del bloque gantt del capítulo."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "gantt")
    section, found = None, []
    for line in lines[start:]:
        if match := SECTION.match(line):
            section = match["name"]
        elif match := MILESTONE.match(line):
            assert section is not None, f"hito fuera de una sección: {line!r}"
            found.append((section, match["name"], match["date"]))
    return found


def table_rows() -> list[dict[str, str]]:
    """Filas de la tabla `HITOS_CSV`, leída del código del cuaderno sin ejecutarlo."""
    cells = [c.source for c in code_cells(source_notebook(NOTEBOOK)) if "HITOS_CSV = " in c.source]
    assert len(cells) == 1, "el cuaderno 01 debe definir HITOS_CSV en una sola celda"
    assignments = [node for node in ast.parse(cells[0]).body if isinstance(node, ast.Assign)
                   and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["HITOS_CSV"]]
    reader = csv.DictReader(io.StringIO(ast.literal_eval(assignments[0].value)))
    assert reader.fieldnames == COLUMNS, reader.fieldnames
    return list(reader)


@pytest.fixture(scope="module")
def chapter_milestones() -> list[tuple[str, str, str]]:
    if not BOOK_CHAPTER.exists():
        pytest.skip(f"no está el texto del capítulo en {BOOK_CHAPTER}: no hay diagrama con el que comparar")
    milestones = gantt_milestones(BOOK_CHAPTER.read_text(encoding="utf-8"))
    assert len(milestones) >= 70, f"solo se leyeron {len(milestones)} hitos del diagrama gantt"
    return milestones


def test_every_gantt_milestone_is_in_the_table_with_the_chapter_date(chapter_milestones) -> None:
    rows = {(r["paradigma"], r["hito"]): r for r in table_rows()}
    for section, name, date in chapter_milestones:
        assert (section, name) in rows, f"falta en HITOS_CSV: {name} ({section})"
        assert rows[(section, name)]["fecha_libro"] == date, (
            f"{name}: fecha_libro {rows[(section, name)]['fecha_libro']} ≠ {date} del capítulo"
        )


def test_the_table_has_no_milestone_the_chart_lacks(chapter_milestones) -> None:
    in_chart = {(section, name) for section, name, _ in chapter_milestones}
    extra = [(r["paradigma"], r["hito"]) for r in table_rows() if (r["paradigma"], r["hito"]) not in in_chart]
    assert not extra, f"hitos de la tabla que no están en el diagrama: {extra}"
    assert len(table_rows()) == len(chapter_milestones)


def test_every_date_disagreement_is_explained() -> None:
    """Si la fecha verificada (AAAA-MM) no cae en el mes del capítulo, la fila lo explica en `nota`."""
    for row in table_rows():
        assert re.fullmatch(r"\d{4}(-\d{2})?", row["fecha"]), row
        day, month, year = row["fecha_libro"].split("-")
        same_month = row["fecha"] in (f"{year}-{month}", year)
        assert same_month == (row["nota"].strip() == ""), (
            f"{row['hito']}: fecha {row['fecha']} frente a {row['fecha_libro']} del capítulo, "
            f"nota {row['nota']!r}"
        )
