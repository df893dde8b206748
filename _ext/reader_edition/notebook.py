"""El cuaderno de lectores de un capítulo, celda a celda, a partir del cuaderno ejecutado.

El cuaderno ejecutado es el que myst-nb acaba de usar para la página (el de la caché de
ejecución, con el código del .md y el de los archivos que cargan sus celdas `:load:`).
De él salen el código y las salidas; el markdown se traduce con `ReaderRenderer`. Además:

- arriba, una cabecera con el libro, el capítulo y la sección, los enlaces a la página, la
  portada, las erratas y el repositorio, la insignia de Colab, los vecinos en el índice y
  cómo usar el cuaderno (todo desde `_config.yml`);
- lo que el sitio pliega (`hide-input`, `hide-cell`, las soluciones) llega plegado a
  JupyterLab (`jupyter.source_hidden`) y a Colab (`cellView: form`, con su línea
  `# @title …`, que el código ya trae); las soluciones pliegan también su salida;
- cada título empieza su celda; cada figura lleva debajo «**Figura N.** leyenda»;
- no se guarda la salida de error que el sitio quita (`remove-stderr`, `stderr_output`).
"""

from __future__ import annotations

import copy
import re

import nbformat
from sphinx.application import Sphinx

from .markdown import (REFERENCES, SOLUTION_END, SOLUTION_MARK, ReaderEditionError, ReaderRenderer,
                       split_at_headings)

FOLDED_TAGS = {"hide-input", "hide-cell"}           # el sitio pliega el código
OUTPUT_FOLDED_TAGS = {"hide-output", "hide-cell"}   # el sitio pliega la salida
UNTRANSLATED_TAGS = {"remove-input", "remove-output", "remove-cell"}
SOURCE_ONLY_METADATA = {"load"}                     # opciones de myst-nb que el lector no necesita
COLAB_TITLE = re.compile(r"^# @title \S")
CAPTION_CELL = "leyenda"                            # metadata["reader_edition"] de las celdas añadidas
HEADER_CELL = "cabecera"
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}
HOW_TO_USE = (
    "**Cómo usar este cuaderno.** Ejecute las celdas en orden, de arriba abajo (en Colab, "
    "*Entorno de ejecución → Ejecutar todas*). La primera celda de código instala solo los "
    "paquetes que falten. Las celdas plegadas, que muestran solo su título, también hay que "
    "ejecutarlas: definen lo que usan las celdas siguientes."
)


class Header:
    """La cabecera de cada cuaderno: libro, capítulo, sección, enlaces y vecinos en el índice."""

    def __init__(self, app: Sphinx) -> None:
        from links import colab_url   # la misma URL que las insignias de la portada

        self.app = app
        self.env = app.env
        self.baseurl = app.config.html_baseurl.rstrip("/") + "/"
        self.colab_url = lambda docname: colab_url(app.config, f"{docname}.ipynb")
        self.relations = app.env.collect_relations()
        self.errata = app.config.reader_edition_errata
        if self.errata not in self.env.titles:
            raise ReaderEditionError(f"no encuentro la página de erratas «{self.errata}»")

    def title(self, docname: str) -> str:
        return self.env.titles[docname].astext()

    def neighbour(self, docname: str) -> str:
        """Enlace al vecino: en Colab si es un cuaderno; si no (portada, erratas), al sitio."""
        if docname.startswith(self.app.config.reader_edition_prefix):
            return f"[{self.title(docname)}]({self.colab_url(docname)}) (en Colab)"
        if docname == self.app.config.root_doc:
            return f"[Portada]({self.baseurl}) (en el sitio)"
        return f"[{self.title(docname)}]({self.baseurl}{docname}.html) (en el sitio)"

    def cell(self, docname: str) -> nbformat.NotebookNode:
        _, previous, following = self.relations[docname]
        config = self.app.config
        repository = config.html_theme_options["repository_url"].rstrip("/")
        badge = f"[![Abrir en Colab]({self.baseurl}_static/abrir-en-colab.svg)]({self.colab_url(docname)})"
        links = " · ".join([
            badge,
            f"[Esta página en el sitio]({self.baseurl}{docname}.html)",
            f"[Portada]({self.baseurl})",
            f"[Erratas]({self.baseurl}{self.errata}.html)",
            f"[Repositorio]({repository})",
        ])
        around = " · ".join(filter(None, [
            previous and f"← Anterior: {self.neighbour(previous)}",
            following and f"Siguiente: {self.neighbour(following)} →",
        ]))
        text = "\n".join([
            f"> **[{config.html_title}]({self.baseurl})**, compañero del {config.reader_edition_chapter}. "
            f"Este cuaderno es la sección **{self.title(docname)}**.",
            ">", f"> {links}", ">", f"> {around}", ">", f"> {HOW_TO_USE}",
        ])
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["reader_edition"] = HEADER_CELL
        return cell


def fold(cell: nbformat.NotebookNode, title: str | None, outputs_too: bool, where: str) -> None:
    """Pliega una celda de código en JupyterLab y en Colab; exige su línea `# @title`.

    `title`: el título exacto que debe llevar (las soluciones), o None si basta con que
    tenga uno (celdas de preparación y de datos).
    """
    first_line = cell.source.split("\n", 1)[0]
    if title is not None and first_line != f"# @title {title}":
        raise ReaderEditionError(f"{where}: la celda plegada debe empezar por «# @title {title}»")
    if not COLAB_TITLE.match(first_line):
        raise ReaderEditionError(f"{where}: la celda plegada no empieza por «# @title …» "
                                 "(Colab la mostraría sin título)")
    cell.metadata["jupyter"] = {"source_hidden": True, **({"outputs_hidden": True} if outputs_too else {})}
    cell.metadata["cellView"] = "form"
    if outputs_too:
        cell.metadata["collapsed"] = True   # lo que JupyterLab añade al abrirlo: así no lo da por cambiado


def site_outputs(app: Sphinx, outputs: list, tags: set[str]) -> list:
    """Las salidas ejecutadas tal como las deja el sitio (sin stderr si el sitio la quita), con
    cada tramo seguido de stdout en una sola salida: el núcleo parte la salida en trozos que
    cambian de una ejecución a otra, y así el cuaderno no cambia si el texto no cambia."""
    kept = copy.deepcopy(outputs)
    if "remove-stderr" in tags or app.config.nb_output_stderr.startswith("remove"):
        kept = [o for o in kept if not (o.output_type == "stream" and o.name == "stderr")]
    merged: list = []
    for output in kept:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def caption_cell(renderer: ReaderRenderer, figure: dict[str, str]) -> nbformat.NotebookNode:
    """La leyenda de una figura de myst-nb como celda de markdown: «**Figura 20.** …»."""
    number = renderer.numref(figure["name"], None)
    caption = renderer.markdown(figure["caption"].strip())
    cell = nbformat.v4.new_markdown_cell(f"**{number}.** {caption}")
    cell.metadata["reader_edition"] = CAPTION_CELL
    return cell


def code_cell(app: Sphinx, ran: nbformat.NotebookNode, solution: int | None, where: str) -> nbformat.NotebookNode:
    """Una celda de código ejecutada, con las salidas del sitio y plegada si el sitio la pliega."""
    tags = set(ran.metadata.get("tags", []))
    if tags & UNTRANSLATED_TAGS:
        raise ReaderEditionError(f"{where}: las etiquetas {sorted(tags & UNTRANSLATED_TAGS)} no tienen "
                                 "traducción para cuadernos")
    cell = nbformat.v4.new_code_cell(ran.source, execution_count=ran.execution_count,
                                     outputs=site_outputs(app, ran.outputs, tags))
    cell.metadata = {k: copy.deepcopy(v) for k, v in ran.metadata.items() if k not in SOURCE_ONLY_METADATA}
    if solution is not None:
        fold(cell, f"Solución del ejercicio {solution}", outputs_too=True, where=where)
    elif tags & FOLDED_TAGS:
        fold(cell, None, outputs_too=bool(tags & OUTPUT_FOLDED_TAGS), where=where)
    elif tags & OUTPUT_FOLDED_TAGS:
        cell.metadata["jupyter"] = {"outputs_hidden": True}
        cell.metadata["collapsed"] = True
    return cell


def exercise_numbers(executed: nbformat.NotebookNode) -> dict[str, int]:
    """Etiqueta de cada `{exercise}` → su número en la página, en orden de aparición."""
    text = "\n".join(c.source for c in executed.cells if c.cell_type == "markdown")
    labels = re.findall(r"^:{3,}\{exercise\}.*\n:label: ([\w-]+)", text, re.M)
    return {label: number for number, label in enumerate(labels, 1)}


def reader_notebook(app: Sphinx, docname: str, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """El cuaderno ejecutado de `docname`, con el markdown traducido, en la edición para lectores."""
    renderer = ReaderRenderer(app, docname)
    renderer.exercises = exercise_numbers(executed)
    cells = [Header(app).cell(docname)]
    solution: int | None = None          # número del ejercicio cuya solución se está leyendo
    for index, ran in enumerate(executed.cells):
        if ran.cell_type == "markdown":
            for chunk in split_at_headings(renderer.markdown(ran.source)):
                if mark := SOLUTION_MARK.match(chunk):
                    solution = int(mark["number"])
                    chunk = (f"**Solución del ejercicio {solution}** (plegada debajo: ábrala para leerla; "
                             "ejecútela como las demás celdas).")
                elif chunk == SOLUTION_END:
                    solution = None
                    continue
                cells.append(nbformat.v4.new_markdown_cell(chunk))
        elif ran.cell_type == "code":
            cells.append(code_cell(app, ran, solution, f"{docname}, celda {index}"))
            figure = ran.metadata.get("mystnb", {}).get("figure")
            if figure:
                cells.append(caption_cell(renderer, figure))
        else:
            raise ReaderEditionError(f"{docname}, celda {index}: celda {ran.cell_type} inesperada")
    references = renderer.reference_list()
    for index, cell in enumerate(cells):
        cell.source = cell.source.replace(REFERENCES, references)
        cell.id = f"c{index:03d}"
    metadata = {k: v for k, v in executed.metadata.items() if k not in {"jupytext", "source_map"}}
    metadata["language_info"] = LANGUAGE_INFO    # sin la versión de Python de quien construye
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(notebook)
    return notebook
