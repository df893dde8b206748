"""Lo que el compañero cita: las palabras del capítulo y sus referencias.

- **Entre «…» van solo palabras del capítulo, tal cual.** La fe de erratas y las páginas
  citan el capítulo para discutirlo: quien busque la cita en el libro tiene que
  encontrarla. Lo demás (lo que proponemos decir, los títulos, una palabra usada en un
  sentido especial) va entre “…”, y una paráfrasis, sin comillas. La comparación normaliza
  los espacios y el énfasis de markdown; «…» dentro de una cita marca un salto entre
  fragmentos que aparecen, en ese orden, en el mismo pasaje del capítulo. Se revisan el
  texto de erratas.md, de la portada y de cada capítulo (markdown, leyendas y textos
  alternativos; no el código).
- **Las citas, en español y sin ambigüedad**, en el sitio y en los cuadernos de lectores:
  «[Kingma y Welling, 2013]», «[Ho et al., 2020]», nunca «and»; dos referencias distintas
  nunca comparten etiqueta (los tres documentos de PyTorch de 2024 son 2024a, b y c, con
  la misma letra en todas partes), y las entradas no mezclan palabras de unión en inglés.
  El estilo está en _ext/citations.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file
from pybtex.plugin import find_plugin

from support import BOOK_CHAPTER, CHAPTERS, ROOT, chapter_sources, parse, source_notebook

import citations  # noqa: E402  (_ext/, en sys.path por support: registra los estilos de cita)


# --- Citas literales del capítulo ------------------------------------------------------

CHAPTER = BOOK_CHAPTER
QUOTE = re.compile(r"«([^«»]*)»")
GAP = "…"
PASSAGE = 1500       # los fragmentos de una cita con «…» están a menos de esto en el capítulo


def normalise(text: str) -> str:
    """Sin énfasis de markdown ni acentos graves, con los espacios colapsados."""
    text = re.sub(r"[*_`]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def chapter_text() -> str:
    if not CHAPTER.exists():
        if os.environ.get("CI"):
            pytest.fail(f"falta el texto del capítulo en {CHAPTER}")
        pytest.skip(f"no está el texto del capítulo en {CHAPTER}")
    return normalise(CHAPTER.read_text(encoding="utf-8"))


def is_verbatim(quote: str, chapter: str) -> bool:
    """¿Está la cita en el capítulo? Con «…», cada fragmento en orden y cerca del anterior."""
    fragments = [normalise(f) for f in quote.split(GAP) if normalise(f)]
    if not fragments:
        return False
    start = chapter.find(fragments[0])
    while start != -1:
        position, ok = start + len(fragments[0]), True
        for fragment in fragments[1:]:
            found = chapter.find(fragment, position)
            if found == -1 or found - position > PASSAGE:
                ok = False
                break
            position = found + len(fragment)
        if ok:
            return True
        start = chapter.find(fragments[0], start + 1)
    return False


def quotes_in(text: str, where: str) -> list[tuple[str, str]]:
    """(cita, lugar) de cada «…» de `text`; el lugar dice el archivo y la línea."""
    found = []
    for match in QUOTE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append((match[1], f"{where}, línea {line}"))
    return found


def page_quotes(md_path: Path) -> list[tuple[str, str]]:
    """Las citas del texto de un capítulo: markdown, leyendas y textos alternativos."""
    found = []
    for index, cell in enumerate(source_notebook(md_path).cells):
        where = f"{md_path.name}, celda {index}"
        if cell.cell_type == "markdown":
            found += quotes_in(cell.source, where)
        mystnb = cell.metadata.get("mystnb", {})
        for key, text in [("leyenda", mystnb.get("figure", {}).get("caption", "")),
                          ("texto alternativo", mystnb.get("image", {}).get("alt", ""))]:
            found += [(q, f"{where}, {key}") for q, _ in quotes_in(text, where)]
    return found


def all_quotes() -> list[tuple[str, str]]:
    found = []
    for page in (ROOT / "erratas.md", ROOT / "intro.md"):
        found += quotes_in(page.read_text(encoding="utf-8"), page.name)
    for md_path in chapter_sources():
        found += page_quotes(md_path)
    return found


def test_every_guillemet_quote_is_the_chapters_words() -> None:
    chapter = chapter_text()
    quotes = all_quotes()
    assert len(quotes) > 20, "la fe de erratas cita el capítulo: ¿se leyeron las citas?"
    wrong = [f"{where}: «{quote}»" for quote, where in quotes if not is_verbatim(quote, chapter)]
    assert not wrong, ("citas entre «» que no están tal cual en el capítulo (si es una paráfrasis "
                       "o una propuesta, vaya sin comillas o entre “”):\n" + "\n".join(wrong))


def test_the_check_rejects_a_paraphrase_and_accepts_a_gap() -> None:
    """La comprobación distingue una cita literal de una paráfrasis."""
    chapter = chapter_text()
    literal = next(q for q, _ in all_quotes() if len(q) > 25 and GAP not in q)
    assert is_verbatim(literal, chapter)
    assert not is_verbatim(literal.replace(" ", "  de ", 1), chapter)
    words = literal.split()
    assert is_verbatim(f"{' '.join(words[:2])} … {' '.join(words[-2:])}", chapter)
    assert not is_verbatim(f"{literal} palabra que el capítulo no tiene", chapter)


# --- Citas y referencias en español ------------------------------------------------------

BIBLIOGRAPHY = parse_file(str(ROOT / "references.bib"))
ENGLISH_CONNECTORS = re.compile(r"\b(and|In|in|volume|Volume|pages|editors?|of|Number|number|"
                                r"edition|chapter|Technical|thesis|preprint|visited|Accessed)\b")
READER_REFERENCE = re.compile(r'<a id="ref-(?P<key>[\w-]+)" name="ref-(?P=key)"></a>\*\*(?P<label>.+?)\.\*\* ')


def labels() -> dict[str, str]:
    return citations.disambiguated_labels(BIBLIOGRAPHY.entries.values())


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
    found = citations.disambiguated_labels(entries.values())
    assert found["ho2020ddpm"] == "Ho et al., 2020a" and found["ho2020otro"] == "Ho et al., 2020b"


def test_reference_entries_have_no_english_connecting_words() -> None:
    """Cada entrada, con los campos que son texto publicado (títulos, revistas, editoriales)
    cambiados por «X», no conserva palabras de unión en inglés."""
    style = find_plugin("pybtex.style.formatting", "es")()
    citations.AuthorYearLabels.all_labels = labels()
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


def test_site_labels_are_spanish_and_unambiguous(built_site: Path) -> None:
    """En cada página: ninguna etiqueta con «and», ninguna repetida; en todo el sitio, cada
    referencia (su texto) lleva siempre la misma etiqueta."""
    label_of: dict[str, str] = {}
    for page in sorted((built_site / "chapters").glob("*.html")):
        entries = parse(page).bibliography
        assert entries, f"{page.name}: sin bibliografía"
        page_labels = [label.strip("[] ") for label, _ in entries]
        assert len(set(page_labels)) == len(page_labels), f"{page.name}: etiquetas repetidas {page_labels}"
        for (label, text) in entries:
            label = label.strip("[] ")
            assert " and " not in label, f"{page.name}: «{label}»"
            assert label_of.setdefault(text, label) == label, f"{page.name}: «{label}» y «{label_of[text]}»"
