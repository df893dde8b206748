"""El sitio construido se sostiene solo: enlaces, texto alternativo, español, búsqueda y portada.

Todo se lee del HTML que construye la sesión (`built_site`, en conftest.py), sin navegador:
lo que necesita un navegador de verdad está en test_browser.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jupytext
import pytest
import snowballstemmer
import yaml
from pybtex.database import parse_file

from conftest import CHAPTERS, ROOT, notebook_sources

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
TOC_CHAPTERS = [entry["file"] for entry in TOC["chapters"] if entry["file"].startswith("chapters/")]
SKIPPED_FOLDERS = {"_static", "_sources", "_downloads", "_images", "reports"}
LOCAL_ATTRIBUTES = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"),
                    ("source", "src"), ("iframe", "src"), ("video", "src"), ("audio", "src")}


def colab_url(stem: str) -> str:
    """URL de Colab de un capítulo, la misma que arma jupyter-book con _config.yml."""
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    return f"{CONFIG['launch_buttons']['colab_url']}/github/{repo}/blob/{CONFIG['repository']['branch']}/chapters/{stem}.ipynb"


@dataclass
class Page:
    """Lo que las pruebas necesitan de una página HTML."""

    path: Path
    lang: str = ""
    ids: set[str] = field(default_factory=set)
    refs: list[tuple[str, str]] = field(default_factory=list)        # (etiqueta, url)
    images: list[dict[str, str]] = field(default_factory=list)
    search_placeholders: list[str] = field(default_factory=list)
    note_sections: list[str] = field(default_factory=list)            # sección de cada {note}
    linked_images: list[tuple[str, str]] = field(default_factory=list)  # (src de <img>, href de su <a>)


class _Parser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._sections: list[str] = []
        self._open: list[str] = []               # pila de etiquetas section/div
        self._anchor: str | None = None
        self._title_of_admonition = False
        self._admonition_section: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        page = self.page
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                page.ids.add(a[key])
        if tag == "html":
            page.lang = a.get("lang", "")
        for attr in ("href", "src"):
            if (tag, attr) in LOCAL_ATTRIBUTES and attr in a:
                page.refs.append((tag, a[attr]))
        if tag == "a":
            self._anchor = a.get("href")
        if tag == "img":
            page.images.append(a)
            if self._anchor is not None:
                page.linked_images.append((a.get("src", ""), self._anchor))
        if tag == "input" and a.get("type") == "search":
            page.search_placeholders.append(a.get("placeholder", ""))
        if tag in ("section", "div"):
            self._open.append(tag)
            if tag == "section":
                self._sections.append(a.get("id", ""))
            classes = a.get("class", "").split()
            if tag == "div" and "admonition" in classes and "note" in classes:
                self._admonition_section = self._sections[-1] if self._sections else ""
        if tag == "p" and "admonition-title" in a.get("class", "") and self._admonition_section is not None:
            self._title_of_admonition = True

    def handle_data(self, data: str) -> None:
        if self._title_of_admonition:
            if data.strip() == "Nota":           # un {note}, no un admonition con clase note
                self.page.note_sections.append(self._admonition_section or "")
            self._title_of_admonition = False
            self._admonition_section = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._anchor = None
        if tag in ("section", "div") and self._open:
            if self._open.pop() == "section" and self._sections:
                self._sections.pop()


@cache
def parse(path: Path) -> Page:
    page = Page(path)
    _Parser(page).feed(path.read_text(encoding="utf-8"))
    return page


def html_pages(site: Path) -> list[Path]:
    """Todas las páginas HTML del sitio (sin los recursos del tema)."""
    return sorted(p for p in site.rglob("*.html")
                  if not SKIPPED_FOLDERS & set(p.relative_to(site).parts[:-1]))


def is_local(url: str) -> bool:
    scheme = urlsplit(url).scheme
    return not url.startswith("//") and scheme in ("", "file")


# --- Enlaces -----------------------------------------------------------------------------


def test_the_site_has_every_page_of_the_toc(built_site: Path) -> None:
    pages = {p.relative_to(built_site).as_posix() for p in html_pages(built_site)}
    expected = {f"{TOC['root']}.html"} | {f"{e['file']}.html" for e in TOC["chapters"]}
    assert expected <= pages, f"faltan páginas: {sorted(expected - pages)}"


def test_no_local_link_or_resource_dangles(built_site: Path) -> None:
    """Cada href/src relativo de cada página apunta a un archivo que existe, y su #ancla a un id."""
    broken: list[str] = []
    for path in html_pages(built_site):
        page = parse(path)
        for tag, url in page.refs:
            if not url or not is_local(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            where = f"{path.relative_to(built_site)}: <{tag}> {url}"
            if parts.path.startswith("/"):   # la 404: rutas absolutas bajo la ruta de html.baseurl
                site_path = urlsplit(CONFIG["html"]["baseurl"]).path
                assert parts.path.startswith(site_path), f"{where}: fuera del sitio"
                target = (built_site / unquote(parts.path.removeprefix(site_path))).resolve()
            else:
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{where} → no existe")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                broken.append(f"{where} → no hay id «{fragment}»")
    assert not broken, "enlaces rotos:\n" + "\n".join(broken)


def test_pages_load_nothing_from_other_hosts(built_site: Path) -> None:
    """Scripts, hojas de estilo e imágenes salen del propio sitio: funciona sin red."""
    remote: list[str] = []
    for path in html_pages(built_site):
        for tag, url in parse(path).refs:
            if tag in ("script", "img", "source", "iframe", "video", "audio") or (tag == "link" and url.endswith(".css")):
                if url and not is_local(url):
                    remote.append(f"{path.relative_to(built_site)}: <{tag}> {url}")
    assert not remote, "recursos de otro servidor:\n" + "\n".join(remote)


def bib_entries() -> list[tuple[str, object]]:
    return list(parse_file(str(ROOT / "references.bib"), bib_format="bibtex").entries.items())


def test_reference_urls_are_well_formed() -> None:
    entries = bib_entries()
    assert len(entries) >= 30
    for key, entry in entries:
        url = entry.fields.get("url", "")
        assert url, f"{key}: sin url"
        parts = urlsplit(url)
        assert parts.scheme == "https", f"{key}: {url} no es https"
        assert parts.netloc and "." in parts.netloc, f"{key}: {url} sin servidor"
        assert not re.search(r"\s", url), f"{key}: {url} tiene espacios"
        assert "{" not in url and "\\" not in url, f"{key}: {url} tiene restos de LaTeX"
        doi = entry.fields.get("doi")
        if doi:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", doi), f"{key}: doi mal formado {doi!r}"


# --- Lectura cómoda: texto alternativo, español, búsqueda, celdas ---------------------------


def test_every_image_has_alt_text(built_site: Path) -> None:
    missing = [f"{path.relative_to(built_site)}: {img.get('src')}"
               for path in html_pages(built_site) for img in parse(path).images
               if not img.get("alt", "").strip()]
    assert not missing, "imágenes sin texto alternativo:\n" + "\n".join(missing)


def is_redirect(path: Path) -> bool:
    """index.html de jupyter-book: solo redirige a la portada."""
    return 'http-equiv="Refresh"' in path.read_text(encoding="utf-8")[:500]


def test_interface_is_in_spanish(built_site: Path) -> None:
    for path in html_pages(built_site):
        if is_redirect(path):
            continue
        page = parse(path)
        assert page.lang == "es", f"{path.relative_to(built_site)}: lang={page.lang!r}"
        for placeholder in page.search_placeholders:
            assert placeholder.startswith("Buscar"), f"{path.relative_to(built_site)}: buscador «{placeholder}»"
    intro = parse(built_site / "intro.html")
    assert intro.search_placeholders, "la portada no tiene buscador"
    options = (built_site / "_static" / "documentation_options.js").read_text(encoding="utf-8")
    assert re.search(r"LANGUAGE:\s*'es'", options), "el sitio no está marcado como español"


@cache
def search_index(site: Path) -> dict:
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1: text.rindex(")")])


SEARCHES = [
    ("varianza", "chapters/04-esperanza-varianza"),
    ("varianzas", "chapters/04-esperanza-varianza"),
    ("probabilidades", "chapters/02-probabilidad"),
    ("condicionada", "chapters/03-condicional"),
    ("neuronales", "chapters/05-redes-neuronales"),
    ("clasificación", "chapters/06-clasificacion"),
    ("erratas", "erratas"),
]


@pytest.mark.parametrize(("word", "docname"), SEARCHES, ids=[w for w, _ in SEARCHES])
def test_search_index_finds_spanish_words(built_site: Path, word: str, docname: str) -> None:
    """El índice usa la raíz española de Snowball (la misma que el buscador en JavaScript)."""
    index = search_index(built_site)
    stem = snowballstemmer.stemmer("spanish").stemWord(word.lower())
    docs = set()
    for table in ("terms", "titleterms"):
        found = index[table].get(stem, [])
        docs |= {found} if isinstance(found, int) else set(found)
    assert index["docnames"].index(docname) in docs, (
        f"«{word}» (raíz «{stem}») no lleva a {docname}: {[index['docnames'][d] for d in docs]}")


def test_spanish_stemming_is_active(built_site: Path) -> None:
    terms = search_index(built_site)["terms"]
    assert "varianz" in terms and "varianza" not in terms, "el índice no usa raíces en español"
    assert (built_site / "_static" / "spanish-stemmer.js").exists()


def code_cells(md_path: Path) -> list:
    return [c for c in jupytext.read(md_path).cells if c.cell_type == "code"]


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_install_cells_hide_their_output(md_path: Path) -> None:
    """La celda de Colab (instalaciones) no distrae: su salida queda plegada."""
    setup = [c for c in code_cells(md_path)
             if "google.colab" in c.source or re.search(r"%pip|pip install", c.source)]
    assert setup, f"{md_path.stem}: no hay celda de preparación para Colab"
    for cell in setup:
        tags = cell.metadata.get("tags", [])
        assert {"hide-output", "remove-output", "hide-cell"} & set(tags), (
            f"{md_path.stem}: celda de instalación sin hide-output:\n{cell.source[:200]}")


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
def test_chapter_pages_load_the_copy_button(built_site: Path, md_path: Path) -> None:
    page = parse(built_site / "chapters" / f"{md_path.stem}.html")
    scripts = [url for tag, url in page.refs if tag == "script"]
    assert any("copybutton.js" in s for s in scripts), f"{md_path.stem}: sin sphinx-copybutton"


# --- Portada y fe de erratas ------------------------------------------------------------


def test_toc_ends_with_the_errata_page() -> None:
    files = [entry["file"] for entry in TOC["chapters"]]
    assert files[-1] == "erratas" and files[:-1] == TOC_CHAPTERS and len(TOC_CHAPTERS) == 6


@pytest.mark.parametrize("chapter", TOC_CHAPTERS, ids=lambda c: c.split("/")[-1])
def test_landing_page_row_of_each_chapter(built_site: Path, chapter: str) -> None:
    """Portada: enlace al capítulo, insignia local de Colab, descarga del .ipynb y sus figuras."""
    stem = chapter.split("/")[-1]
    intro = parse(built_site / "intro.html")
    hrefs = [url for tag, url in intro.refs if tag == "a"]
    assert f"{chapter}.html" in hrefs, f"la portada no enlaza {chapter}"

    badges = [src for src, href in intro.linked_images if href == colab_url(stem)]
    assert badges, f"la portada no tiene insignia de Colab hacia {colab_url(stem)}"
    for src in badges:
        assert is_local(src) and (built_site / src).is_file(), f"insignia {src} no es local"
    assert (CHAPTERS / f"{stem}.ipynb").is_file(), f"la insignia apunta a chapters/{stem}.ipynb, que no existe"

    downloads = [url for url in hrefs if url.startswith("_downloads/") and url.endswith(f"/{stem}.ipynb")]
    assert downloads, f"la portada no ofrece descargar {stem}.ipynb"
    for url in downloads:
        served = built_site / unquote(url)
        assert served.read_bytes() == (CHAPTERS / f"{stem}.ipynb").read_bytes(), f"{url} no es el gemelo actual"

    figures = sorted(i for i in parse(built_site / f"{chapter}.html").ids if i.startswith("fig-"))
    missing = [f for f in figures if f"{chapter}.html#{f}" not in hrefs]
    assert not missing, f"la portada no enlaza estas figuras de {stem}: {missing}"


def test_every_note_of_a_chapter_is_in_the_errata_page(built_site: Path) -> None:
    """Cada {note} de un capítulo (una discrepancia con el libro) tiene su entrada en Fe de erratas."""
    errata = {url for tag, url in parse(built_site / "erratas.html").refs if tag == "a"}
    missing = []
    for chapter in TOC_CHAPTERS:
        for section in parse(built_site / f"{chapter}.html").note_sections:
            if f"{chapter}.html#{section}" not in errata:
                missing.append(f"{chapter}.html#{section}")
    assert not missing, "notas sin entrada en erratas.md:\n" + "\n".join(missing)
