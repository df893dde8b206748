"""El sitio se construye en modo estricto y cada página de capítulo tiene lo que promete."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, notebook_sources

COLAB_PREFIX = "https://colab.research.google.com/github/"
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
FIGURE_NAME = re.compile(r"^\s*name: (fig-[\w-]+)\s*$", re.M)


class PageParser(HTMLParser):
    """Recoge enlaces, imágenes (con su figura) e ids de una página HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[dict[str, str]] = []
        self.ids: set[str] = set()
        self.scripts: list[str] = []
        self.lang = ""
        self._figures: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "script" and "src" in a:
            self.scripts.append(a["src"])
        if tag == "figure":
            self._figures.append(a.get("id", ""))
        if tag == "img":
            self.images.append({**a, "figure": self._figures[-1] if self._figures else ""})

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._figures:
            self._figures.pop()


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_landing_page_is_spanish(built_site: Path) -> None:
    page = parse_page(built_site / "intro.html")
    assert page.lang == "es"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_chapter_page_has_a_colab_button_to_its_twin(built_site: Path, md_path: Path) -> None:
    page = parse_page(built_site / "chapters" / f"{md_path.stem}.html")
    colab = [href for href in page.links if href.startswith(COLAB_PREFIX)]
    assert colab, f"{md_path.stem}.html no tiene botón de Colab"
    for href in colab:
        assert href.endswith(f"/blob/main/chapters/{md_path.stem}.ipynb"), href
        relative = href.split("/blob/main/", 1)[1]
        assert (ROOT / relative).exists(), f"el botón de Colab apunta a {relative}, que no existe"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_chapter_figures_are_embedded_with_alt_text(built_site: Path, md_path: Path) -> None:
    html_path = built_site / "chapters" / f"{md_path.stem}.html"
    page = parse_page(html_path)
    for name in FIGURE_NAME.findall(md_path.read_text(encoding="utf-8")):
        assert name in page.ids, f"{md_path.stem}: falta la figura {name} en la página"
        images = [img for img in page.images if img["figure"] == name]
        assert images, f"{md_path.stem}: la figura {name} no tiene imagen"
        for img in images:
            assert img.get("alt", "").strip(), f"{name}: imagen sin texto alternativo"
            assert (html_path.parent / img["src"]).exists(), f"{name}: {img['src']} no existe"
    for img in page.images:
        assert img.get("alt", "").strip(), f"{md_path.stem}: imagen sin texto alternativo: {img.get('src')}"


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_chapter_citations_resolve_to_its_bibliography(built_site: Path, md_path: Path) -> None:
    source = md_path.read_text(encoding="utf-8")
    keys = {k.strip() for group in CITE_ROLE.findall(source) for k in group.split(",")}
    html = (built_site / "chapters" / f"{md_path.stem}.html").read_text(encoding="utf-8")
    if not keys:
        return
    entries = re.findall(r'<div class="citation" id="([^"]+)"', html)
    assert len(entries) == len(keys), f"{md_path.stem}: {len(keys)} claves citadas, {len(entries)} en la bibliografía"
    for entry_id in entries:
        assert f'href="#{entry_id}"' in html, f"{md_path.stem}: entrada {entry_id} sin cita que enlace"


def test_math_is_served_from_the_site_itself(built_site: Path) -> None:
    """MathJax viene dentro del sitio: la página renderiza fórmulas sin red."""
    page = parse_page(built_site / "chapters" / "02-probabilidad.html")
    mathjax = [s for s in page.scripts if "mathjax" in s.lower()]
    assert mathjax and all(not s.startswith(("http:", "https:", "//")) for s in mathjax), mathjax
    for src in mathjax:
        assert (built_site / "chapters" / src.split("?")[0]).resolve().exists(), src
    html = (built_site / "chapters" / "02-probabilidad.html").read_text(encoding="utf-8")
    assert html.count('class="math notranslate nohighlight"') >= 5


# --- Números de figura: los del libro ------------------------------------------------

BOOK_CHAPTER = ROOT.parent / "shared" / "seed" / "capitulo-1.md"
CAPTION = re.compile(r'<figure[^>]*id="(?P<id>fig-[^"]+)".*?<span class="caption-number">Figura (?P<number>[^<]+?)\s*</span>', re.S)


def site_figure_numbers(built_site: Path) -> dict[str, str]:
    """id de figura → número que muestra su leyenda, en todas las páginas de capítulo."""
    numbers = {}
    for page in sorted((built_site / "chapters").glob("*.html")):
        for match in CAPTION.finditer(page.read_text(encoding="utf-8")):
            numbers[match["id"]] = match["number"]
    return numbers


def test_book_figures_carry_the_book_number_and_companion_figures_a_letter(built_site: Path) -> None:
    numbers = site_figure_numbers(built_site)
    named = {m for md in notebook_sources() for m in FIGURE_NAME.findall(md.read_text(encoding="utf-8"))}
    assert set(numbers) == named, f"figuras con leyenda en el sitio {len(numbers)}, con nombre en los .md {len(named)}"
    book_captions = set(re.findall(r"^Figura (\d+):", BOOK_CHAPTER.read_text(encoding="utf-8"), re.M)) \
        if BOOK_CHAPTER.exists() else {str(n) for n in range(1, 23)}
    for figure_id, number in numbers.items():
        own = re.match(r"fig-(\d{2})([a-z]?)-", figure_id)
        if own[2]:                                   # del compañero: «06a», nunca un número del libro
            assert number == own[1] + own[2], f"{figure_id} se numera «{number}»"
        else:                                        # del libro: el mismo número que en el capítulo
            assert number == str(int(own[1])) and number in book_captions, f"{figure_id} se numera «{number}»"


def test_numref_text_uses_the_book_number(built_site: Path) -> None:
    """Las referencias {numref} del texto dicen «Figura 20», no el orden de construcción."""
    page = (built_site / "chapters" / "06-clasificacion.html").read_text(encoding="utf-8")
    assert re.search(r'href="#fig-20-muestra-fashionmnist"[^>]*>.*?Figura 20</span>', page, re.S)
    assert not re.search(r"Figura 2[3-9]\b", page)
