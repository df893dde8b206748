"""Las citas, en español y sin ambigüedad, en el sitio y en los cuadernos de lectores.

- Una cita es «[Kingma y Welling, 2013]» o «[Ho et al., 2020]», nunca «and».
- Dos referencias distintas nunca comparten etiqueta: los tres documentos de PyTorch de
  2024 son «PyTorch, 2024a», «2024b» y «2024c», y cada uno lleva la misma letra en todas
  las páginas y en todos los cuadernos.
- Las entradas de la lista de referencias no mezclan palabras de unión en inglés («In»,
  «volume», «pages», «and»…) con el texto en español; los títulos sí quedan como se
  publicaron.

El estilo está en _ext/citas.py (pybtex y sphinxcontrib-bibtex).
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file
from pybtex.plugin import find_plugin

from conftest import CHAPTERS, ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import citas  # noqa: E402  (registra los estilos «es», «autor_anno» y «etiqueta_es»)

BIBLIOGRAPHY = parse_file(str(ROOT / "references.bib"))
ENGLISH_CONNECTORS = re.compile(r"\b(and|In|in|volume|Volume|pages|editors?|of|Number|number|"
                                r"edition|chapter|Technical|thesis|preprint|visited|Accessed)\b")
READER_REFERENCE = re.compile(r'<a id="ref-(?P<key>[\w-]+)" name="ref-(?P=key)"></a>\*\*(?P<label>.+?)\.\*\* ')


def labels() -> dict[str, str]:
    return citas.disambiguated_labels(BIBLIOGRAPHY.entries.values())


def test_labels_use_y_and_et_al_never_and() -> None:
    found = labels()
    assert found["kingma2013vae"] == "Kingma y Welling, 2013"
    assert found["ho2020ddpm"] == "Ho et al., 2020"
    assert found["polyak2024moviegen"] == "Polyak et al., 2024"       # «and others» en el .bib
    assert not [label for label in found.values() if " and " in label]


def test_no_two_references_share_a_label() -> None:
    found = labels()
    assert len(set(found.values())) == len(found), "dos referencias con la misma etiqueta"
    pytorch = sorted(label for key, label in found.items() if key.startswith("pytorch2024"))
    assert pytorch == ["PyTorch, 2024a", "PyTorch, 2024b", "PyTorch, 2024c"]


def test_disambiguation_notices_any_duplicate() -> None:
    """Con una entrada más del mismo autor y año, las letras se reparten otra vez."""
    from pybtex.database import Entry, Person

    entries = dict(BIBLIOGRAPHY.entries)
    extra = Entry("misc", fields={"title": "Zzz otra página", "year": "2020"})
    extra.persons["author"] = [Person("Ho, Jonathan"), Person("Jain, Ajay"), Person("Abbeel, Pieter")]
    extra.key = "ho2020otro"
    entries["ho2020otro"] = extra
    found = citas.disambiguated_labels(entries.values())
    assert found["ho2020ddpm"] == "Ho et al., 2020a" and found["ho2020otro"] == "Ho et al., 2020b"


def test_reference_entries_have_no_english_connecting_words() -> None:
    """Cada entrada, con los campos que son texto publicado (títulos, revistas, editoriales)
    cambiados por «X», no conserva palabras de unión en inglés."""
    style = find_plugin("pybtex.style.formatting", "es")()
    citas.AuthorYearLabels.all_labels = labels()
    published = ("title", "booktitle", "journal", "series", "publisher", "organization",
                 "howpublished", "note", "url", "eprint", "doi")
    for entry in BIBLIOGRAPHY.entries.values():
        masked = entry.__class__(entry.type, fields={k: ("X" if k in published else v)
                                                       for k, v in entry.fields.items()},
                                 persons=entry.persons)
        masked.key = entry.key
        text = style.format_entry(entry.key, masked).text.render_as("text")
        found = ENGLISH_CONNECTORS.findall(text)
        assert not found, f"{entry.key}: «{', '.join(found)}» en «{text}»"


def test_connector_check_would_catch_the_english_style() -> None:
    """La comprobación de arriba falla con el estilo `alpha` de pybtex (en inglés)."""
    style = find_plugin("pybtex.style.formatting", "alpha")()
    text = style.format_entry("x", BIBLIOGRAPHY.entries["ho2020ddpm"]).text.render_as("text")
    assert ENGLISH_CONNECTORS.search(text.replace("Denoising diffusion probabilistic models", "X"))


# --- En los cuadernos de lectores y en el sitio construido -----------------------------

def reader_references() -> dict[str, dict[str, str]]:
    """Cuaderno → {clave: etiqueta} de su lista de referencias."""
    found = {}
    for notebook in sorted(CHAPTERS.glob("*.ipynb")):
        text = "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells
                         if c.cell_type == "markdown")
        found[notebook.stem] = {m["key"]: m["label"] for m in READER_REFERENCE.finditer(text)}
    return found


def test_reader_notebooks_use_the_same_label_for_each_reference_everywhere() -> None:
    expected = labels()
    for notebook, references in reader_references().items():
        assert references, f"{notebook}: sin lista de referencias"
        for key, label in references.items():
            assert label == expected[key], f"{notebook}: {key} es «{label}», no «{expected[key]}»"
        text = "\n".join(c.source for c in nbformat.read(CHAPTERS / f"{notebook}.ipynb", as_version=4).cells
                         if c.cell_type == "markdown")
        assert " and " not in " ".join(re.findall(r"\[\[([^\]]+)\]\(#ref-", text))


class Bibliography(HTMLParser):
    """Etiqueta y texto de cada entrada de las bibliografías de una página del sitio."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[list[str]] = []
        self._label_depth = 0           # >0 dentro de <span class="label"> (lleva spans dentro)
        self._in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "citation" in classes:
            self.entries.append(["", ""])
        elif self.entries and tag == "span" and (self._label_depth or "label" in classes):
            self._label_depth += 1
        elif self.entries and tag == "p":
            self._in_text = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._label_depth:
            self._label_depth -= 1
        elif tag == "p":
            self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._label_depth:
            self.entries[-1][0] += data
        elif self._in_text:
            self.entries[-1][1] += data


def test_site_labels_are_spanish_and_unambiguous(built_site: Path) -> None:
    """En cada página: ninguna etiqueta con «and», ninguna repetida; en todo el sitio, cada
    referencia (su texto) lleva siempre la misma etiqueta."""
    label_of: dict[str, str] = {}
    for page in sorted((built_site / "chapters").glob("*.html")):
        parser = Bibliography()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.entries, f"{page.name}: sin bibliografía"
        page_labels = [label.strip("[] ") for label, _ in parser.entries]
        assert len(set(page_labels)) == len(page_labels), f"{page.name}: etiquetas repetidas {page_labels}"
        for (label, text) in parser.entries:
            label = label.strip("[] ")
            assert " and " not in label, f"{page.name}: «{label}»"
            assert label_of.setdefault(text, label) == label, f"{page.name}: «{label}» y «{label_of[text]}»"
