"""Entre «…» van solo palabras del capítulo, tal cual.

La fe de erratas y las páginas citan el capítulo para discutirlo: un lector que busque
la cita en el libro tiene que encontrarla. Por eso las comillas angulares quedan para
las palabras del capítulo, literales; lo demás (lo que proponemos decir, los títulos, una
palabra usada en un sentido especial) va entre comillas “…”, y una paráfrasis va sin
comillas. La comparación normaliza los espacios y el énfasis de markdown (`*`, `_`,
acentos graves de código); «…» dentro de una cita marca un salto entre fragmentos que
aparecen, en ese orden, en el mismo pasaje del capítulo.

Se revisan el texto de erratas.md y de la portada, y el de cada capítulo: celdas de
markdown, leyendas y textos alternativos de las figuras (no el código).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupytext
import pytest

from conftest import ROOT, notebook_sources

CHAPTER = ROOT.parent / "shared" / "seed" / "capitulo-1.md"
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
    for index, cell in enumerate(jupytext.read(md_path).cells):
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
    for md_path in notebook_sources():
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
