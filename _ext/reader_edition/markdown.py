"""Del markdown MyST de un capítulo al markdown corriente de un cuaderno.

Cada referencia se resuelve con el mismo entorno de Sphinx que escribe el sitio, de modo
que el cuaderno dice lo mismo que la página: `{numref}` → «Figura 20», `{eq}` →
«[(3)](#eq-…)», `{cite}` → «[Kingma y Welling, 2013]» enlazada a su referencia, `{doc}` y
`{ref}` → enlaces absolutos al sitio (`html_baseurl`). Las ecuaciones con etiqueta llevan
`\\tag{n}` y un ancla. Cada bloque (`:::{note}`, `{exercise}`, `{bibliography}`…) pasa por
su traductor de la tabla `BLOCKS`; un bloque sin traductor es un error, no un silencio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from docutils import nodes
from docutils.nodes import make_id
from pybtex.backends.markdown import Backend as MarkdownBackend
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.locale import admonitionlabels
from sphinx.util import docname_join

ROLE = re.compile(r"\{(?P<role>[a-z]+(?::[a-z]+)?)\}`(?P<body>[^`]*)`")
EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
LABEL_LINE = re.compile(r"^\([\w-]+\)=[ \t]*\n", re.MULTILINE)
LABELLED_MATH = re.compile(r"\$\$(?P<body>.*?)\$\$[ \t]*\((?P<label>[\w-]+)\)", re.DOTALL)
FENCE_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w-]+)\}[ \t]*(?P<argument>.*)$")
OPTION_LINE = re.compile(r"^:(?P<name>[\w-]+):[ \t]*(?P<value>.*)$")
HEADING = re.compile(r"^#{1,6} \S")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")
REFERENCES_ANCHOR = "ref-"
EQUATION_ANCHOR = "eq-"
REFERENCES = "{{REFERENCIAS}}"
SOLUTION_START = "{{SOLUCION:%d}}"
SOLUTION_END = "{{FIN-SOLUCION}}"
SOLUTION_MARK = re.compile(r"^\{\{SOLUCION:(?P<number>\d+)\}\}$")


class ReaderEditionError(ExtensionError):
    """Algo del capítulo que la edición para lectores no sabe escribir: la construcción falla."""


@dataclass
class Block:
    """Un bloque de MyST: su nombre, su argumento, sus opciones y su contenido."""

    name: str
    argument: str
    lines: list[str]

    @property
    def options(self) -> dict[str, str]:
        found = {}
        for line in self.lines:
            option = OPTION_LINE.match(line)
            if not option:
                break
            found[option["name"]] = option["value"].strip()
        return found

    @property
    def body(self) -> list[str]:
        body = list(self.lines)
        while body and OPTION_LINE.match(body[0]):
            body.pop(0)
        while body and not body[0].strip():
            body.pop(0)
        return body


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
            raise ReaderEditionError(f"{self.docname}: no encuentro la figura «{target}»")
        return resolved.astext()

    def equation_number(self, label: str) -> str:
        """El número que el sitio escribe junto a la ecuación `label` (sin paréntesis)."""
        math = self.env.get_domain("math")
        if label not in math.equations:
            raise ReaderEditionError(f"{self.docname}: no encuentro la ecuación «{label}»")
        docname, number = math.equations[label]
        if self.env.config.math_numfig and self.env.config.numfig:
            numbers = self.env.toc_fignumbers.get(docname, {}).get("displaymath", {})
            return ".".join(map(str, numbers.get(make_id(f"equation-{label}"), ())))
        return str(number)

    def eq(self, target: str, title: str | None = None) -> str:
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
            raise ReaderEditionError(f"{self.docname}: no encuentro la página «{target}»")
        return f"[{title or self.env.titles[docname].astext()}]({self.page_url(docname)})"

    def ref(self, target: str, title: str | None) -> str:
        std = self.env.get_domain("std")
        if target not in std.labels:
            raise ReaderEditionError(f"{self.docname}: no encuentro la etiqueta «{target}»")
        docname, anchor, section = std.labels[target]
        return f"[{title or section}]({self.page_url(docname, anchor)})"

    def role(self, match: re.Match[str]) -> str:
        """Cada rol `{nombre}` pasa por su traductor (`ROLES`; `{cite:…}` por `cite`)."""
        role, body = match["role"], match["body"]
        explicit = EXPLICIT_TITLE.match(body)
        title, target = (explicit["title"], explicit["target"]) if explicit else (None, body)
        if role == "cite" or role.startswith("cite:"):
            return self.cite(role, body)
        translate = ROLES.get(role)
        if translate is None:
            raise ReaderEditionError(f"{self.docname}: el rol {{{role}}} no tiene traducción para cuadernos")
        return translate(self, target, title)

    # --- Bloques ------------------------------------------------------------------------

    def labelled_math(self, match: re.Match[str]) -> str:
        """La ecuación con su número (`\\tag`) y, antes, el ancla a la que llevan sus referencias."""
        body = match["body"].rstrip()
        label = match["label"]
        anchor = f'<a id="{equation_anchor(label)}" name="{equation_anchor(label)}"></a>'
        return f"{anchor}\n\n$${body} \\tag{{{self.equation_number(label)}}}\n$$"

    def blocks(self, text: str) -> str:
        """Cada bloque `:::{nombre}` o ```` ```{nombre} ```` pasa por su traductor (`BLOCKS`)."""
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
                raise ReaderEditionError(f"{self.docname}: el bloque {{{name}}} no se cierra")
            block = Block(name, opened["argument"].strip(), lines[index + 1:end])
            translate = BLOCKS.get(name) or (admonition if name in admonitionlabels else None)
            if translate is None:
                raise ReaderEditionError(f"{self.docname}: la directiva {{{name}}} no tiene traducción "
                                         "para cuadernos (añádala a BLOCKS)")
            out.extend(translate(self, block))
            index = end + 1
        return "\n".join(out)

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


def quoted(renderer: "ReaderRenderer", title: str, block: Block) -> list[str]:
    """Un bloque como cita en bloque con su título en negrita (los bloques de dentro, traducidos)."""
    inner = renderer.blocks("\n".join(block.body)).split("\n")
    return [f"> **{title}**", ">"] + [f"> {line}".rstrip() for line in inner]


def admonition(renderer: "ReaderRenderer", block: Block) -> list[str]:
    title = block.argument if block.name == "admonition" else admonitionlabels[block.name]
    return quoted(renderer, title, block)


def exercise(renderer: "ReaderRenderer", block: Block) -> list[str]:
    return quoted(renderer, f"Ejercicio {renderer.exercises[block.options['label']]}", block)


def solution_start(renderer: "ReaderRenderer", block: Block) -> list[str]:
    return ["", SOLUTION_START % renderer.exercises[block.argument], ""]


def solution_end(renderer: "ReaderRenderer", block: Block) -> list[str]:
    return ["", SOLUTION_END, ""]


def bibliography(renderer: "ReaderRenderer", block: Block) -> list[str]:
    return [REFERENCES]


# Traductor de cada rol de referencia cruzada: (renderer, destino, título explícito) → markdown.
ROLES: dict[str, Callable[["ReaderRenderer", str, str | None], str]] = {
    "numref": ReaderRenderer.numref,
    "eq": ReaderRenderer.eq,
    "doc": ReaderRenderer.doc,
    "ref": ReaderRenderer.ref,
}

# Traductor de cada clase de bloque; las admoniciones de Sphinx (`note`, `tip`…) van a `admonition`.
BLOCKS: dict[str, Callable[["ReaderRenderer", Block], list[str]]] = {
    "admonition": admonition,
    "exercise": exercise,
    "solution-start": solution_start,
    "solution-end": solution_end,
    "bibliography": bibliography,
}


def split_at_headings(text: str) -> list[str]:
    """Parte el markdown para que cada título, y cada marca de solución, empiece su propia celda.

    Colab y JupyterLab toman una sección de la tabla de contenidos (y lo que pliegan bajo
    ella) del primer título de cada celda. Las líneas con `#` de un bloque de código no son títulos.
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
        elif SOLUTION_MARK.match(line) or line == SOLUTION_END:
            chunks += [[line], []]
            continue
        elif HEADING.match(line):
            chunks.append([])
        chunks[-1].append(line)
    return [joined for chunk in chunks if (joined := "\n".join(chunk).strip())]
