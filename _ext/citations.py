"""Citas y referencias en español y sin ambigüedad.

El estilo `author_year` de sphinxcontrib-bibtex escribe «[Kingma and Welling, 2013]», y
tres documentos distintos de PyTorch del mismo año salían los tres como
«[PyTorch, 2024]»; el estilo `alpha` de pybtex llena además las entradas de «In»,
«volume», «pages» y «and». Esta extensión registra:

- un estilo de **etiquetas** de pybtex (`autor_anno`): «Kingma y Welling, 2013»,
  «Ho et al., 2020» (tres autores o más) y, si dos referencias darían la misma
  etiqueta, «PyTorch, 2024a», «2024b», «2024c» (por orden de título). Las letras se
  reparten sobre **todo** `references.bib`, no página a página, de modo que una
  referencia lleva la misma etiqueta en cualquier página y en cualquier cuaderno;
- un estilo de **entradas** de pybtex (`es`), el `alpha` con las palabras en español:
  «y» entre autores, «En» ante las actas, «vol.», «págs.»;
- un estilo de **citas** de sphinxcontrib-bibtex (`etiqueta_es`): la cita es la
  etiqueta entre corchetes, «[Kingma y Welling, 2013]», y varias se separan con punto y
  coma, «[Kingma y Ba, 2015; PyTorch, 2024a]».

Así la cita del texto y la etiqueta de la lista de referencias son la misma cadena, en
el sitio y en los cuadernos de lectores (_ext/reader_edition usa los mismos
resolvedores). tests/test_site.py y tests/test_notebooks.py lo comprueban.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Iterable, cast

from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.database import Entry, Person
from pybtex.plugin import register_plugin as register_pybtex_plugin
from pybtex.richtext import Symbol, Text
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.formatting.unsrt import date, pages
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from pybtex.style.template import (FieldIsMissing, field as bib_field, first_of, href, join, node,
                                   optional, optional_field, sentence, tag, together, words)
from sphinx.application import Sphinx
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.label import LabelReferenceStyle

PLAIN_TEXT = PlainTextBackend()
AND = " y "
ET_AL = " et al."


@lru_cache(maxsize=None)
def plain(latex: str) -> str:
    """Texto sin llaves ni escapes de LaTeX: «Bj{\\"o}rn» → «Björn», «{PyTorch}» → «PyTorch»."""
    return Text.from_latex(latex).render(PLAIN_TEXT)


def author_label(entry: Entry) -> str:
    """Autores de la etiqueta: «Apellido», «Apellido y Apellido» o «Apellido et al.»."""
    people: list[Person] = list(entry.persons.get("author") or entry.persons.get("editor") or [])
    surnames = [plain(" ".join(p.prelast_names + p.last_names)) for p in people]
    if not surnames:
        return plain(entry.fields.get("title", entry.key))
    if "others" in surnames or len(surnames) >= 3:
        return surnames[0] + ET_AL
    return AND.join(surnames)


def base_label(entry: Entry) -> str:
    return f"{author_label(entry)}, {entry.fields.get('year', 's. f.')}"


def disambiguated_labels(entries: Iterable[Entry]) -> dict[str, str]:
    """Etiqueta de cada clave; las repetidas llevan a, b, c… tras el año, por orden de título."""
    base = {entry.key: (base_label(entry), entry) for entry in entries}
    count = Counter(label for label, _ in base.values())
    labels = {}
    seen: Counter[str] = Counter()
    for label, entry in sorted(base.values(), key=lambda pair: (pair[0], plain(pair[1].fields.get("title", "")).lower())):
        if count[label] > 1:
            labels[entry.key] = label + chr(ord("a") + seen[label])
            seen[label] += 1
        else:
            labels[entry.key] = label
    return labels


def sorting_text(text: str) -> str:
    """Clave de orden alfabético: minúsculas y sin tildes («Ö» junto a «O»)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


class AuthorYearTitleSorting(BaseSortingStyle):
    """Orden de la lista de referencias: por etiqueta (autores y año) y título, sin llaves de LaTeX.

    El orden de pybtex compara los apellidos tal como están escritos en el .bib, de modo que
    un autor institucional entre llaves («{PyTorch}») quedaba detrás de la «Z».
    """

    def sorting_key(self, entry: Entry) -> tuple[str, str, str]:
        return (sorting_text(author_label(entry)), entry.fields.get("year", ""),
                sorting_text(plain(entry.fields.get("title", ""))))


@node
def spanish_names(children, context, role, **kwargs):
    """Los nombres de `role` unidos con «y»; un «and others» del .bib se escribe «et al.»."""
    if children:
        raise ValueError(children)
    try:
        persons = context["entry"].persons[role]
    except KeyError:
        raise FieldIsMissing(role, context["entry"])
    style = context["style"]
    listed = [p for p in persons if str(p) != "others"]
    formatted = join(**kwargs)[[style.format_name(p, style.abbreviate_names) for p in listed]]
    if len(listed) < len(persons):
        formatted = join[formatted, ET_AL]
    return formatted.format_data(context)


class AuthorYearLabels(BaseLabelStyle):
    """Etiquetas «Autor, año» con las letras repartidas sobre toda la bibliografía.

    `all_labels` lo llena `remember_bibliography` con todo references.bib al empezar la
    construcción; una entrada que no esté ahí (no debería pasar) toma su etiqueta base.
    """

    all_labels: dict[str, str] = {}

    def format_labels(self, sorted_entries: Iterable[Entry]) -> Iterable[str]:
        for entry in sorted_entries:
            yield self.all_labels.get(entry.key) or base_label(entry)


class SpanishStyle(AlphaStyle):
    """El estilo `alpha` de pybtex con las palabras de unión en español."""

    default_label_style = "autor_anno"
    default_sorting_style = "autor_anno"

    def format_names(self, role, as_sentence=True):
        formatted = spanish_names(role, sep=", ", sep2=AND, last_sep=AND)
        return sentence[formatted] if as_sentence else formatted

    def format_editor(self, e, as_sentence=True):
        editors = self.format_names("editor", as_sentence=False)
        if "editor" not in e.persons:
            return editors
        word = "eds." if len(e.persons["editor"]) > 1 else "ed."
        result = join(sep=" ")[editors, f"({word})"]
        return sentence[result] if as_sentence else result

    def format_volume_and_series(self, e, as_sentence=True):
        volume = optional[words[together["vol.", bib_field("volume")],
                                optional[words["de", bib_field("series")]]]]
        number = optional[words[join(sep=Symbol("nbsp"))["núm.", bib_field("number")],
                                optional[words["en", bib_field("series")]]]]
        result = first_of[volume, number, optional_field("series")]
        return sentence(capfirst=True)[result] if as_sentence else result

    def format_chapter_and_pages(self, e):
        return join(sep=", ")[optional[together["cap.", bib_field("chapter")]],
                              optional[together["págs.", pages]]]

    def get_article_template(self, e):
        volume_and_pages = first_of[
            optional[join[bib_field("volume"), optional["(", bib_field("number"), ")"], ":", pages]],
            words["págs.", pages],
        ]
        return self._toplevel(e, [
            self.format_names("author"),
            self.format_title(e, "title"),
            sentence[self._em("journal"), optional[volume_and_pages], date],
        ])

    def get_inproceedings_template(self, e):
        return self._toplevel(e, [
            sentence[self.format_names("author")],
            self.format_title(e, "title"),
            words["En", sentence[
                optional[self.format_editor(e, as_sentence=False)],
                self.format_btitle(e, "booktitle", as_sentence=False),
                self.format_volume_and_series(e, as_sentence=False),
                optional[together["págs.", pages]],
            ], self.format_address_organization_publisher_date(e)],
        ])

    def format_url(self, e):
        url = bib_field("url", raw=True)
        return words["URL:", href(url)[url]]

    def format_web_refs(self, e):
        return sentence[
            optional[self.format_url(e), optional[" (consultado el ", bib_field("urldate"), ")"]],
            optional[self.format_eprint(e)],
            optional[self.format_pubmed(e)],
            optional[self.format_doi(e)],
        ]

    def _toplevel(self, e, parts):
        return toplevel[(*parts, sentence[optional_field("note")], self.format_web_refs(e))]

    @staticmethod
    def _em(name: str):
        return tag("em")[bib_field(name)]


@dataclass
class SpanishLabelReferences(LabelReferenceStyle):
    """Citas «[Kingma y Welling, 2013]»; varias, «[Kingma y Ba, 2015; PyTorch, 2024a]»."""

    bracket_parenthetical: BracketStyle = field(default_factory=lambda: BracketStyle(sep="; "))
    bracket_textual: BracketStyle = field(default_factory=lambda: BracketStyle(sep="; "))
    person: PersonStyle = field(default_factory=lambda: PersonStyle(
        sep=", ", sep2=AND, last_sep=AND, other=ET_AL))


def remember_bibliography(app: Sphinx) -> None:
    """Reparte las letras sobre todo references.bib (lo acaba de leer sphinxcontrib-bibtex)."""
    from sphinxcontrib.bibtex.domain import BibtexDomain

    domain = cast(BibtexDomain, app.env.get_domain("cite"))
    AuthorYearLabels.all_labels = disambiguated_labels(domain.bibdata.data.entries.values())


register_pybtex_plugin("pybtex.style.labels", "autor_anno", AuthorYearLabels)
register_pybtex_plugin("pybtex.style.sorting", "autor_anno", AuthorYearTitleSorting)
register_pybtex_plugin("pybtex.style.formatting", "es", SpanishStyle)
register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "etiqueta_es", SpanishLabelReferences)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("builder-inited", remember_bibliography, priority=600)   # después de sphinxcontrib-bibtex
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
