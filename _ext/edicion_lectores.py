"""Edición para lectores: el .ipynb de cada capítulo, legible fuera del sitio.

Colab, Jupyter, VS Code y el visor de GitHub muestran el markdown de un cuaderno tal
cual: un `{numref}` o un `:::{note}` de MyST se ven como código. Al terminar de
construir el sitio (evento `build-finished`), esta extensión escribe para cada capítulo
`_build/lectores/chapters/NN-nombre.ipynb`:

- las celdas de código y sus salidas son las del gemelo ejecutado `chapters/NN-nombre.ipynb`
  (las que comprueba nbval), con el código exactamente igual al del .md;
- el markdown sale del .md con cada referencia resuelta por el mismo entorno de Sphinx
  que dibuja el sitio, de modo que dice lo mismo que la página: «Figura 20», «(3)»,
  «[Kingma and Welling, 2013]», enlaces absolutos al sitio (`html_baseurl`) para
  `{doc}` y `{ref}`; las ecuaciones numeradas llevan `\\tag{n}`; las notas y
  admoniciones son citas en bloque con su título en negrita; el bloque
  `{bibliography}` es una lista de referencias con ancla para cada cita;
- debajo de cada figura, una celda de markdown con su leyenda («**Figura 20.** …»);
- arriba de todo, una cabecera con el libro, el capítulo y la sección, los enlaces a
  esta página del sitio, la portada, las erratas y el repositorio, la insignia de Colab,
  los cuadernos anterior y siguiente y cómo usar el cuaderno (todo desde `_config.yml`);
- las celdas plegadas en el sitio (`hide-input`, `hide-cell` y las soluciones de los
  ejercicios) llegan plegadas a Jupyter (`jupyter.source_hidden`) y a Colab como un
  formulario con título (`cellView: form` y la primera línea `# @title …`, que el .md
  ya trae: si falta, la construcción falla); las soluciones pliegan también su salida;
- cada título (`#`, `##`…) empieza su propia celda de markdown, de modo que las tablas
  de contenidos de Colab y JupyterLab siguen a la página; el ejercicio, el título de su
  solución y la solución van en celdas separadas;
- cada referencia a una ecuación es un enlace a su ancla dentro del cuaderno
  («[(12)](#eq-…)»), como las citas lo son a la lista de referencias;
- no se guarda la salida de error (stderr) que el sitio quita (`remove-stderr` o
  `execute.stderr_output: remove…`): las barras de progreso siguen viéndose al ejecutar.

`make notebooks` copia esos cuadernos sobre `chapters/*.ipynb`, que es lo que abren el
botón de Colab, la portada y la descarga; tests/test_lectores.py comprueba que los
cuadernos guardados son exactamente los que resultan de la construcción.

Se eligió este paso propio frente a `sphinx-tojupyter` (el constructor de QuantEcon):
aquel genera cuadernos sin ejecutar (habría que volver a fundir las salidas celda a
celda), pierde las leyendas de las figuras de myst-nb (están en los metadatos de la
celda de código), convierte las admoniciones en títulos y exige una segunda
construcción de Sphinx con otro constructor. Aquí se reutiliza la construcción HTML que
`make book` y `make test` ya hacen y las funciones de resolución de los dominios de
Sphinx (`std`, `math`, `cite`), que son las que escriben el texto del sitio.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jupytext
import nbformat
from pybtex.backends.markdown import Backend as MarkdownBackend
from docutils import nodes
from docutils.nodes import make_id
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.locale import admonitionlabels
from sphinx.util import docname_join, logging


logger = logging.getLogger(__name__)

OUTPUT_FOLDER = "lectores"          # _build/lectores/chapters/NN-nombre.ipynb
CHAPTER_PREFIX = "chapters/"
ROLE = re.compile(r"\{(?P<role>[a-z]+(?::[a-z]+)?)\}`(?P<body>[^`]*)`")
EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
LABEL_LINE = re.compile(r"^\([\w-]+\)=[ \t]*\n", re.MULTILINE)
LABELLED_MATH = re.compile(r"\$\$(?P<body>.*?)\$\$[ \t]*\((?P<label>[\w-]+)\)", re.DOTALL)
FENCE_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w-]+)\}[ \t]*(?P<argument>.*)$")
OPTION_LINE = re.compile(r"^:[\w-]+:.*$")
FOLDED_TAGS = {"hide-input", "hide-cell"}       # el sitio pliega el código
OUTPUT_FOLDED_TAGS = {"hide-output", "hide-cell"}   # el sitio pliega la salida
UNTRANSLATED_TAGS = {"remove-input", "remove-output", "remove-cell"}
COLAB_TITLE = re.compile(r"^# @title \S")
HEADING = re.compile(r"^#{1,6} \S")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")
CAPTION_CELL = "leyenda"            # metadata["edicion_lectores"] de las celdas añadidas
HEADER_CELL = "cabecera"
REFERENCES_ANCHOR = "ref-"
EQUATION_ANCHOR = "eq-"
ERRATA_DOC = "erratas"
SOLUTION_START = "{{SOLUCION:%d}}"
SOLUTION_END = "{{FIN-SOLUCION}}"
SOLUTION_MARK = re.compile(r"^\{\{SOLUCION:(?P<number>\d+)\}\}$")
HOW_TO_USE = (
    "**Cómo usar este cuaderno.** Ejecute las celdas en orden, de arriba abajo (en Colab, "
    "*Entorno de ejecución → Ejecutar todas*). La primera celda de código instala solo los "
    "paquetes que falten. Las celdas plegadas, que muestran solo su título, también hay que "
    "ejecutarlas: definen lo que usan las celdas siguientes."
)


def equation_anchor(label: str) -> str:
    """Ancla de una ecuación en el cuaderno: su etiqueta, con el prefijo «eq-» si no lo trae."""
    return label if label.startswith(EQUATION_ANCHOR) else f"{EQUATION_ANCHOR}{label}"


class ReaderRenderer:
    """Convierte el markdown MyST de un capítulo en markdown corriente, con el entorno del sitio."""

    def __init__(self, app: Sphinx, docname: str) -> None:
        self.app = app
        self.env = app.env
        self.builder = app.builder
        self.docname = docname
        self.baseurl = app.config.html_baseurl.rstrip("/") + "/"
        self.cited: dict[str, str] = {}       # clave → texto de la cita, por orden de aparición
        self.exercises: dict[str, int] = {}   # etiqueta de cada {exercise} → su número en la página

    # --- Referencias cruzadas -----------------------------------------------------------

    def _pending(self, domain: str, role: str, target: str, explicit: bool) -> pending_xref:
        node = pending_xref("", refdomain=domain, reftype=role, reftarget=target,
                            refexplicit=explicit, refwarn=True, refdoc=self.docname)
        return node

    def numref(self, target: str, title: str | None) -> str:
        """«Figura 20», como el `{numref}` del sitio (con el número del libro)."""
        std = self.env.get_domain("std")
        contnode = nodes.inline("", title or "")
        node = self._pending("std", "numref", target, title is not None)
        resolved = std.resolve_xref(self.env, self.docname, self.builder, "numref",
                                    target, node, contnode)
        if resolved is None:
            raise ValueError(f"{self.docname}: no encuentro la figura «{target}»")
        return resolved.astext()

    def equation_number(self, label: str) -> str:
        """El número que el sitio escribe junto a la ecuación `label` (sin paréntesis)."""
        math = self.env.get_domain("math")
        if label not in math.equations:
            raise ValueError(f"{self.docname}: no encuentro la ecuación «{label}»")
        docname, number = math.equations[label]
        if self.env.config.math_numfig and self.env.config.numfig:
            numbers = self.env.toc_fignumbers.get(docname, {}).get("displaymath", {})
            return ".".join(map(str, numbers.get(make_id(f"equation-{label}"), ())))
        return str(number)

    def eq(self, target: str) -> str:
        """«[(12)](#eq-…)»: el número del sitio, enlazado a la ecuación dentro del cuaderno."""
        return f"[({self.equation_number(target)})](#{equation_anchor(target)})"

    def cite(self, role: str, keys: str) -> str:
        """La cita con el texto del sitio («[Ho et al., 2020]»), cada nombre enlazado a su referencia."""
        cite = self.env.get_domain("cite")
        typ = role.split(":", 1)[1] if ":" in role else "p"
        resolved = cite.resolve_xref(self.env, self.docname, self.builder, typ, keys,
                                     self._pending("cite", typ, keys, False), nodes.inline())
        text = resolved.astext()
        for key in [k.strip() for k in keys.split(",")]:
            single = cite.resolve_xref(self.env, self.docname, self.builder, typ, key,
                                       self._pending("cite", typ, key, False), nodes.inline())
            label = next(single.findall(nodes.reference)).astext()
            self.cited.setdefault(key, label)
            text = text.replace(label, f"[{label}](#{REFERENCES_ANCHOR}{key})", 1)
        return text

    def page_url(self, docname: str, anchor: str = "") -> str:
        return self.baseurl + docname + ".html" + (f"#{anchor}" if anchor else "")

    def doc(self, target: str, title: str | None) -> str:
        docname = docname_join(self.docname, target)       # relativa o absoluta («/erratas»)
        if docname not in self.env.titles:
            raise ValueError(f"{self.docname}: no encuentro la página «{target}»")
        return f"[{title or self.env.titles[docname].astext()}]({self.page_url(docname)})"

    def ref(self, target: str, title: str | None) -> str:
        std = self.env.get_domain("std")
        if target not in std.labels:
            raise ValueError(f"{self.docname}: no encuentro la etiqueta «{target}»")
        docname, anchor, section = std.labels[target]
        return f"[{title or section}]({self.page_url(docname, anchor)})"

    def role(self, match: re.Match[str]) -> str:
        role, body = match["role"], match["body"]
        explicit = EXPLICIT_TITLE.match(body)
        title, target = (explicit["title"], explicit["target"]) if explicit else (None, body)
        if role == "numref":
            return self.numref(target, title)
        if role == "eq":
            return self.eq(target)
        if role.startswith("cite"):
            return self.cite(role, body)
        if role == "doc":
            return self.doc(target, title)
        if role == "ref":
            return self.ref(target, title)
        raise ValueError(f"{self.docname}: el rol {{{role}}} no tiene traducción para cuadernos")

    # --- Bloques ------------------------------------------------------------------------

    def labelled_math(self, match: re.Match[str]) -> str:
        """La ecuación con su número (`\\tag`) y, antes, el ancla a la que llevan sus referencias."""
        body = match["body"].rstrip()
        label = match["label"]
        anchor = f'<a id="{equation_anchor(label)}" name="{equation_anchor(label)}"></a>'
        return f"{anchor}\n\n$${body} \\tag{{{self.equation_number(label)}}}\n$$"

    def blocks(self, text: str) -> str:
        """Admoniciones `:::{note}` y `:::{admonition} Título` → citas en bloque; la bibliografía → lista."""
        lines = text.split("\n")
        out: list[str] = []
        index = 0
        while index < len(lines):
            opened = FENCE_OPEN.match(lines[index])
            if not opened:
                out.append(lines[index])
                index += 1
                continue
            fence, name = opened["fence"], opened["name"]
            end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == fence), None)
            if end is None:
                raise ValueError(f"{self.docname}: bloque {{{name}}} sin cerrar")
            body = [line for line in lines[index + 1:end]]
            while body and OPTION_LINE.match(body[0]):
                body.pop(0)
            while body and not body[0].strip():
                body.pop(0)
            if name == "bibliography":
                out.append("{{REFERENCIAS}}")
            elif name == "exercise":
                label = self.option(lines[index + 1:end], "label")
                title = f"Ejercicio {self.exercises[label]}"
                out.extend([f"> **{title}**", ">"] + [f"> {line}".rstrip() for line in self.blocks("\n".join(body)).split("\n")])
            elif name == "solution-start":
                out.extend(["", SOLUTION_START % self.exercises[opened["argument"].strip()], ""])
            elif name == "solution-end":
                out.extend(["", SOLUTION_END, ""])
            elif name == "admonition" or name in admonitionlabels:
                title = opened["argument"].strip() if name == "admonition" else admonitionlabels[name]
                quoted = [f"> **{title}**", ">"] + [f"> {line}".rstrip() for line in self.blocks("\n".join(body)).split("\n")]
                out.extend(quoted)
            else:
                raise ValueError(f"{self.docname}: la directiva {{{name}}} no tiene traducción para cuadernos")
            index = end + 1
        return "\n".join(out)

    @staticmethod
    def option(lines: list[str], name: str) -> str:
        """Valor de la opción `:name:` de una directiva."""
        return next(line.split(":", 2)[2].strip() for line in lines if line.startswith(f":{name}:"))

    def markdown(self, text: str) -> str:
        text = LABEL_LINE.sub("", text)
        text = LABELLED_MATH.sub(self.labelled_math, text)
        text = self.blocks(text)
        return ROLE.sub(self.role, text)

    def reference_list(self) -> str:
        """Las referencias citadas en el cuaderno, con el texto de la bibliografía del sitio."""
        cite = self.env.get_domain("cite")
        markdown = PlainMarkdown()
        entries = {c.key: c for c in cite.citations if c.bibliography_key.docname == self.docname}
        items = []
        for key, label in self.cited.items():
            entry = entries.get(key) or next(c for c in cite.citations if c.key == key)
            text = " ".join(entry.formatted_entry.text.render(markdown).split())
            anchor = f"{REFERENCES_ANCHOR}{key}"
            items.append(f'- <a id="{anchor}" name="{anchor}"></a>**{label}.** {text}')
        return "\n".join(items)


class PlainMarkdown(MarkdownBackend):
    """Markdown de pybtex sin barras ante cada punto o guion: solo escapa lo que marca formato."""

    symbols = {**MarkdownBackend.symbols, "ndash": "–"}

    def format_str(self, text: str) -> str:
        for special in ("\\", "`", "*", "_", "[", "]"):
            text = text.replace(special, "\\" + special)
        return text


def caption_cell(renderer: ReaderRenderer, figure: dict[str, str]) -> nbformat.NotebookNode:
    """La leyenda de una figura de myst-nb como celda de markdown: «**Figura 20.** …»."""
    number = renderer.numref(figure["name"], None)
    caption = renderer.markdown(figure["caption"].strip())
    cell = nbformat.v4.new_markdown_cell(f"**{number}.** {caption}")
    cell.metadata["edicion_lectores"] = CAPTION_CELL
    return cell


def split_at_headings(text: str) -> list[str]:
    """Parte el markdown para que cada título, y cada marca de solución, empiece su propia celda.

    Colab y JupyterLab toman una sección de la tabla de contenidos (y lo que pliegan bajo
    ella) del primer título de cada celda: un título a media celda cae en el sitio equivocado.
    Las líneas que empiezan por `#` dentro de un bloque de código no son títulos.
    """
    chunks: list[list[str]] = [[]]
    fence: str | None = None
    for line in text.split("\n"):
        opened = CODE_FENCE.match(line.strip())
        if fence is not None:
            if opened and line.strip().startswith(fence):
                fence = None
        elif opened:
            fence = opened[1]
        elif HEADING.match(line) or SOLUTION_MARK.match(line) or line == SOLUTION_END:
            chunks.append([])
            if SOLUTION_MARK.match(line) or line == SOLUTION_END:
                chunks[-1].append(line)
                chunks.append([])
                continue
        chunks[-1].append(line)
    return [joined for chunk in chunks if (joined := "\n".join(chunk).strip())]


def fold(cell: nbformat.NotebookNode, title: str | None, outputs_too: bool, where: str) -> None:
    """Pliega una celda de código en JupyterLab y en Colab; exige su línea `# @title`.

    `title`: el título exacto que debe llevar (las soluciones), o None si basta con que
    tenga uno (celdas de preparación y de datos).
    """
    first_line = cell.source.split("\n", 1)[0]
    if title is not None and first_line != f"# @title {title}":
        raise ValueError(f"{where}: la celda plegada debe empezar por «# @title {title}»")
    if not COLAB_TITLE.match(first_line):
        raise ValueError(f"{where}: la celda plegada no empieza por «# @title …» (Colab la mostraría "
                         "sin título)")
    cell.metadata["jupyter"] = {"source_hidden": True, **({"outputs_hidden": True} if outputs_too else {})}
    cell.metadata["cellView"] = "form"
    if outputs_too:
        cell.metadata["collapsed"] = True   # lo que JupyterLab añade al abrirlo: así no lo da por cambiado


def keeps_stderr(app: Sphinx, tags: set[str]) -> bool:
    """¿Muestra el sitio la salida de error de esta celda? (myst-nb: `nb_output_stderr`)."""
    return "remove-stderr" not in tags and not app.config.nb_output_stderr.startswith("remove")


def site_outputs(app: Sphinx, outputs: list, tags: set[str]) -> list:
    """Las salidas ejecutadas tal como las deja el sitio: sin stderr si el sitio la quita."""
    kept = copy.deepcopy(outputs)
    if keeps_stderr(app, tags):
        return kept
    return [o for o in kept if not (o.output_type == "stream" and o.name == "stderr")]


class Neighbours:
    """La cabecera de cada cuaderno: libro, capítulo, sección, enlaces y vecinos en el índice."""

    def __init__(self, app: Sphinx) -> None:
        from enlaces import colab_url   # la misma URL que las insignias de la portada

        self.app = app
        self.env = app.env
        self.baseurl = app.config.html_baseurl.rstrip("/") + "/"
        self.colab_url = lambda docname: colab_url(app.config, f"{docname}.ipynb")
        self.relations = app.env.collect_relations()
        if ERRATA_DOC not in self.env.titles:
            raise ValueError(f"no encuentro la página de erratas «{ERRATA_DOC}»")

    def title(self, docname: str) -> str:
        return self.env.titles[docname].astext()

    def neighbour(self, docname: str | None) -> str:
        """Enlace al vecino: en Colab si es un cuaderno; si no (portada, erratas), al sitio."""
        if docname.startswith(CHAPTER_PREFIX):
            return f"[{self.title(docname)}]({self.colab_url(docname)}) (en Colab)"
        if docname == self.app.config.root_doc:
            return f"[Portada]({self.baseurl}) (en el sitio)"
        return f"[{self.title(docname)}]({self.baseurl}{docname}.html) (en el sitio)"

    def header(self, docname: str) -> nbformat.NotebookNode:
        _, previous, following = self.relations[docname]
        config = self.app.config
        repository = config.html_theme_options["repository_url"].rstrip("/")
        badge = f"[![Abrir en Colab]({self.baseurl}_static/abrir-en-colab.svg)]({self.colab_url(docname)})"
        links = " · ".join([
            badge,
            f"[Esta página en el sitio]({self.baseurl}{docname}.html)",
            f"[Portada]({self.baseurl})",
            f"[Erratas]({self.baseurl}{ERRATA_DOC}.html)",
            f"[Repositorio]({repository})",
        ])
        around = " · ".join(filter(None, [
            previous and f"← Anterior: {self.neighbour(previous)}",
            following and f"Siguiente: {self.neighbour(following)} →",
        ]))
        text = "\n".join([
            f"> **[{config.html_title}]({self.baseurl})**, compañero del {config.lectores_capitulo}. "
            f"Este cuaderno es la sección **{self.title(docname)}**.",
            ">",
            f"> {links}",
            ">",
            f"> {around}",
            ">",
            f"> {HOW_TO_USE}",
        ])
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["edicion_lectores"] = HEADER_CELL
        return cell


def reader_notebook(app: Sphinx, docname: str) -> nbformat.NotebookNode:
    """Funde el .md (texto y código) con su gemelo ejecutado (salidas) en la edición para lectores."""
    source_path = Path(app.srcdir) / f"{docname}.md"
    executed_path = source_path.with_suffix(".ipynb")
    source = jupytext.read(source_path)
    executed = nbformat.read(executed_path, as_version=4)
    executed_code = [c for c in executed.cells if c.cell_type == "code"]
    source_code = [c for c in source.cells if c.cell_type == "code"]
    if [c.source for c in executed_code] != [c.source for c in source_code]:
        raise ValueError(f"{executed_path.name} no tiene el código de {source_path.name}: "
                         "ejecute `make notebooks`")
    renderer = ReaderRenderer(app, docname)
    labels = re.findall(r"^:{3,}\{exercise\}.*\n:label: ([\w-]+)", source_path.read_text(encoding="utf-8"), re.M)
    renderer.exercises = {label: number for number, label in enumerate(labels, 1)}
    cells: list[nbformat.NotebookNode] = [Neighbours(app).header(docname)]
    outputs = iter(executed_code)
    solution: int | None = None          # número del ejercicio cuya solución se está leyendo
    for cell in source.cells:
        if cell.cell_type == "markdown":
            for chunk in split_at_headings(renderer.markdown(cell.source)):
                if mark := SOLUTION_MARK.match(chunk):
                    solution = int(mark["number"])
                    chunk = (f"**Solución del ejercicio {solution}** (plegada debajo: ábrala para leerla; "
                             "ejecútela como las demás celdas).")
                elif chunk == SOLUTION_END:
                    solution = None
                    continue
                cells.append(nbformat.v4.new_markdown_cell(chunk))
            continue
        if cell.cell_type != "code":
            raise ValueError(f"{source_path.name}: celda {cell.cell_type} inesperada")
        ran = next(outputs)
        tags = set(cell.metadata.get("tags", []))
        if tags & UNTRANSLATED_TAGS:
            raise ValueError(f"{source_path.name}: las etiquetas {tags & UNTRANSLATED_TAGS} no tienen "
                             "traducción para cuadernos")
        code = nbformat.v4.new_code_cell(cell.source, execution_count=ran.execution_count,
                                         outputs=site_outputs(app, ran.outputs, tags))
        code.metadata = copy.deepcopy(cell.metadata)
        where = f"{source_path.name}, celda «{cell.source[:40]}…»"
        if solution is not None:
            fold(code, f"Solución del ejercicio {solution}", outputs_too=True, where=where)
        elif tags & FOLDED_TAGS:
            fold(code, None, outputs_too=bool(tags & OUTPUT_FOLDED_TAGS), where=where)
        elif tags & OUTPUT_FOLDED_TAGS:
            code.metadata["jupyter"] = {"outputs_hidden": True}
            code.metadata["collapsed"] = True
        cells.append(code)
        figure = cell.metadata.get("mystnb", {}).get("figure")
        if figure:
            cells.append(caption_cell(renderer, figure))
    references = renderer.reference_list()
    for cell in cells:
        if "{{REFERENCIAS}}" in cell.source:
            cell.source = cell.source.replace("{{REFERENCIAS}}", references)
    for index, cell in enumerate(cells):
        cell.id = f"c{index:03d}"
    metadata = {key: value for key, value in source.metadata.items() if key != "jupytext"}
    metadata["language_info"] = executed.metadata.get("language_info", {"name": "python"})
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    return notebook


def write_reader_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    folder = Path(app.outdir).parent / OUTPUT_FOLDER
    for docname in sorted(app.env.found_docs):
        if not docname.startswith(CHAPTER_PREFIX):
            continue
        try:
            notebook = reader_notebook(app, docname)
        except (ValueError, StopIteration) as error:
            logger.warning(f"edición para lectores de {docname}: {error}", type="lectores")
            continue
        target = folder / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(notebook)
        target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("lectores_capitulo", "", "html", types=[str])   # p. ej. «capítulo 1, «…»»
    app.connect("build-finished", write_reader_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
