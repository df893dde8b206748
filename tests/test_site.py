"""El sitio construido: estricto, completo, sin red y en español.

Se construye una vez por sesión (`built_site`, en conftest.py) con `jupyter-book build .
--all -W -n --keep-going`: cualquier advertencia es un error. Después:

- **el HTML**: cada página del índice existe, ningún enlace ni recurso local está roto,
  nada se pide a otro servidor, cada imagen tiene texto alternativo,
  la interfaz y el buscador están en español, cada capítulo tiene su botón de Colab hacia
  su cuaderno, sus figuras con el número del libro y sus citas resueltas, y la portada
  enlaza cada capítulo, su insignia, su descarga y sus figuras;
- **en Chromium** (el de Debian, con Playwright; sitio servido en 127.0.0.1 y cualquier
  otra petición cortada): cada página carga sin errores de JavaScript ni 404, las imágenes
  cargan, las fórmulas llegan ya compuestas (sin TeX a la vista), las citas llevan a su entrada, los bloques de
  código tienen botón de copiar, las soluciones de los ejercicios empiezan plegadas y el
  buscador encuentra una palabra en español. Deja una captura de cada página en
  `_build/screenshots/`.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import snowballstemmer
from pybtex.database import parse_file

from support import (BOOK_CHAPTER, CHAPTERS, CONFIG, ROOT, TOC, chapter_sources, colab, html_pages, is_local,
                     parse)

TOC_CHAPTERS = [entry["file"] for entry in TOC["chapters"] if entry["file"].startswith("chapters/")]
PAGES = ([f"{TOC['root']}.html"] + [f"{entry['file']}.html" for entry in TOC["chapters"]]
         + ["search.html", "genindex.html"])
CHAPTER_PAGES = [p for p in PAGES if p.startswith("chapters/")]
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
FIGURE_NAME = re.compile(r"^\s*name: (fig-[\w-]+)\s*$", re.M)


# --- Páginas de capítulo ---------------------------------------------------------------

def test_landing_page_is_spanish(built_site: Path) -> None:
    page = parse(built_site / "intro.html")
    assert page.lang == "es"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_page_has_a_colab_button_to_its_notebook(built_site: Path, md_path: Path) -> None:
    page = parse(built_site / "chapters" / f"{md_path.stem}.html")
    expected = colab(f"chapters/{md_path.stem}.ipynb")
    buttons = [href for href in page.links if href.startswith(CONFIG["launch_buttons"]["colab_url"])]
    assert buttons and set(buttons) == {expected}, f"{md_path.stem}.html: botones de Colab {buttons}"
    assert md_path.with_suffix(".ipynb").exists(), f"el botón de Colab apunta a {expected}, que no existe"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_chapter_figures_are_embedded_with_alt_text(built_site: Path, md_path: Path) -> None:
    html_path = built_site / "chapters" / f"{md_path.stem}.html"
    page = parse(html_path)
    for name in FIGURE_NAME.findall(md_path.read_text(encoding="utf-8")):
        assert name in page.ids, f"{md_path.stem}: falta la figura {name} en la página"
        images = [img for img in page.images if img["figure"] == name]
        assert images, f"{md_path.stem}: la figura {name} no tiene imagen"
        for img in images:
            assert img.get("alt", "").strip(), f"{name}: imagen sin texto alternativo"
            assert (html_path.parent / img["src"]).exists(), f"{name}: {img['src']} no existe"


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
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


def test_math_is_typeset_when_the_book_is_built(built_site: Path) -> None:
    """Las fórmulas llegan compuestas (KaTeX: HTML y MathML para lectores de pantalla): ninguna
    página carga un motor de fórmulas, y la hoja de estilo y las fuentes de KaTeX son del sitio."""
    for path in html_pages(built_site):
        page = parse(path)
        assert not [s for s in page.scripts if "mathjax" in s.lower() or "katex" in s.lower()], path.name
    html = (built_site / "chapters" / "02-probabilidad.html").read_text(encoding="utf-8")
    formulas = html.count('class="math')
    assert formulas >= 100 and html.count('<span class="katex">') >= formulas, formulas
    assert html.count("<math ") >= formulas, "cada fórmula lleva su MathML"
    assert "katex-error" not in html
    katex_css = built_site / "_static" / "katex" / "katex.min.css"
    fonts = set(re.findall(r"url\((fonts/[\w-]+\.woff2)\)", katex_css.read_text(encoding="utf-8")))
    assert fonts and all((katex_css.parent / font).is_file() for font in fonts)


def test_numbered_equations_are_linkable(built_site: Path) -> None:
    """Cada ecuación numerada tiene su ancla, y cada «ecuación (12)» del texto lleva a ella."""
    for md_path in chapter_sources():
        html = (built_site / "chapters" / f"{md_path.stem}.html").read_text(encoding="utf-8")
        ids = set(re.findall(r'<div[^>]*class="math[^"]*"[^>]*id="(equation-[\w-]+)"', html)) | set(
            re.findall(r'<span id="(equation-[\w-]+)"', html))
        labels = set(re.findall(r"\$\$[ \t]*\(([\w-]+)\)", md_path.read_text(encoding="utf-8")))
        assert {f"equation-{label}" for label in labels} <= ids, md_path.stem
        for target in re.findall(r'href="#(equation-[\w-]+)"', html):
            assert target in ids, f"{md_path.stem}: el enlace a {target} no lleva a ninguna ecuación"


# --- Números de figura: los del libro ------------------------------------------------

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
    named = {m for md in chapter_sources() for m in FIGURE_NAME.findall(md.read_text(encoding="utf-8"))}
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



# --- Portada y fe de erratas ------------------------------------------------------------


@pytest.mark.parametrize("chapter", TOC_CHAPTERS, ids=lambda c: c.split("/")[-1])
def test_landing_page_row_of_each_chapter(built_site: Path, chapter: str) -> None:
    """Portada: enlace al capítulo, insignia local de Colab, descarga del .ipynb y sus figuras."""
    stem = chapter.split("/")[-1]
    intro = parse(built_site / "intro.html")
    hrefs = [url for tag, url in intro.refs if tag == "a"]
    assert f"{chapter}.html" in hrefs, f"la portada no enlaza {chapter}"

    badges = [src for src, href in intro.linked_images if href == colab(f"{chapter}.ipynb")]
    assert badges, f"la portada no tiene insignia de Colab hacia {colab(f'{chapter}.ipynb')}"
    for src in badges:
        assert is_local(src) and (built_site / src).is_file(), f"insignia {src} no es local"
    assert (CHAPTERS / f"{stem}.ipynb").is_file(), f"la insignia apunta a chapters/{stem}.ipynb, que no existe"

    downloads = [url for url in hrefs if url.startswith("_downloads/") and url.endswith(f"/{stem}.ipynb")]
    assert downloads, f"la portada no ofrece descargar {stem}.ipynb"
    for url in downloads:
        served = built_site / unquote(url)
        assert served.read_bytes() == (CHAPTERS / f"{stem}.ipynb").read_bytes(), f"{url} no es el cuaderno de lectores actual"

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


# --- En Chromium ------------------------------------------------------------------------

# Todo lo que se mira en la página ya dibujada, en una sola llamada.
INSPECT_PAGE = r"""
() => {
  const article = document.querySelector('article') || document.body;
  const text = (root) => {
    const clone = root.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, .katex').forEach(e => e.remove());
    return clone.textContent;
  };
  const prose = text(article);
  const citations = [...document.querySelectorAll('.bibtex-citation')].map(span => {
    const links = [...span.querySelectorAll('a[href^="#"]')];
    const ok = links.length > 0 && !span.textContent.includes('?') && links.every(a => {
      const target = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
      return target !== null && target.closest('.citation, .bibtex, [role="doc-biblioentry"]') !== null;
    });
    return {text: span.textContent.trim(), ok};
  });
  return {
    images: [...document.images].map(i => ({src: i.getAttribute('src'), alt: i.alt,
                                           ok: i.complete && i.naturalWidth > 0})),
    math: document.querySelectorAll('.math').length,
    rendered: document.querySelectorAll('.math .katex').length,
    unrendered: [...document.querySelectorAll('.math')]
                  .filter(m => !m.querySelector('.katex')).map(m => m.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll('.katex-error')].map(e => e.textContent.slice(0, 80)),
    cutOff: [...document.querySelectorAll('div.math')].filter((box) => {
      const shown = box.querySelector('.katex-display');
      return shown && shown.getBoundingClientRect().left < box.getBoundingClientRect().left - 1;
    }).map((box) => box.id),
    rawTex: ['$$', '\\(', '\\)', '\\[', '\\begin{'].filter(s => prose.includes(s)),
    unresolved: prose.includes('??'),
    colab: [...document.querySelectorAll('a[href^="https://colab.research.google.com/"]')].map(a => a.href),
    citations,
    codeBlocks: document.querySelectorAll('div.highlight pre').length,
    copyButtons: document.querySelectorAll('button.copybtn').length,
    exercises: document.querySelectorAll('div.exercise').length,
    solutions: [...document.querySelectorAll('div.solution')].map(s => ({
      folded: s.classList.contains('dropdown') && !!s.querySelector('.cell')
              && !s.querySelector('.cell').checkVisibility({checkVisibilityCSS: true}),
      linksToExercise: !!s.querySelector('.admonition-title a[href^="#ej-"]'),
    })),
  };
}
"""

LOAD_EVERY_IMAGE = """
async () => {
  const images = [...document.images];
  images.forEach((image) => { image.loading = 'eager'; });
  await Promise.all(images.map((image) => image.complete ? null
    : new Promise((done) => { image.onload = image.onerror = done; })));
}
"""


@dataclass
class Visit:
    """Lo que pasó al abrir una página."""

    page: str
    problems: list[str] = field(default_factory=list)       # errores JS, 404, peticiones externas
    data: dict = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)        # todo lo pedido al sitio
    first_load: list[str] = field(default_factory=list)     # lo pedido al abrir, antes de bajar por la página


@pytest.fixture(scope="module")
def visits(chromium, site_url: str, built_site: Path) -> dict[str, Visit]:
    """Abre cada página una vez, guarda su captura y devuelve lo observado."""
    screenshots = built_site.parent / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    for old in screenshots.glob("*.png"):      # las de los cuadernos (cuadernos/) son de test_notebooks.py
        old.unlink()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    current: list[Visit] = []

    def only_local(route) -> None:
        url = route.request.url
        if url.startswith(site_url) or url.startswith("data:"):
            route.continue_()
        else:
            current[-1].problems.append(f"pide un recurso de otro servidor: {url}")
            route.abort()

    context.route("**/*", only_local)
    results: dict[str, Visit] = {}
    for name in PAGES:
        visit = Visit(name)
        current.append(visit)
        page = context.new_page()
        page.on("pageerror", lambda error, v=visit: v.problems.append(f"error de JavaScript: {error}"))
        page.on("console", lambda msg, v=visit: v.problems.append(f"consola ({msg.type}): {msg.text}")
                if msg.type == "error" else None)
        page.on("response", lambda response, v=visit: v.problems.append(
            f"HTTP {response.status}: {response.url}") if response.status >= 400 else None)
        page.on("requestfailed", lambda request, v=visit: v.problems.append(
            f"falló la carga: {request.url} ({request.failure})")
            if request.url.startswith(site_url) else None)
        page.on("requestfinished", lambda request, v=visit: v.fetched.append(request.url)
                if request.url.startswith(site_url) else None)
        response = page.goto(site_url + name, wait_until="load")
        if response is None or response.status != 200:
            visit.problems.append(f"la página respondió {response and response.status}")
        page.wait_for_load_state("networkidle")       # también las imágenes perezosas cercanas
        visit.first_load = list(dict.fromkeys(visit.fetched))
        page.evaluate(LOAD_EVERY_IMAGE)                # las perezosas también tienen que cargar
        visit.data = page.evaluate(INSPECT_PAGE)
        page.screenshot(path=str(screenshots / (name.replace("/", "_").removesuffix(".html") + ".png")))
        if visit.data.get("exercises"):          # los ejercicios, con las soluciones plegadas
            page.locator("div.exercise").first.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshots / ("ejercicios_" + name.replace("/", "_").removesuffix(".html") + ".png")))
        page.close()
        results[name] = visit
    context.close()
    return results


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_and_offline(visits: dict[str, Visit], name: str) -> None:
    """Sin errores de JavaScript, sin 404 y sin pedir nada fuera del sitio."""
    assert not visits[name].problems, f"{name}:\n" + "\n".join(visits[name].problems)


@pytest.mark.parametrize("name", PAGES)
def test_math_is_rendered(visits: dict[str, Visit], name: str) -> None:
    data = visits[name].data
    assert not data["unrendered"], f"{name}: fórmulas sin dibujar: {data['unrendered'][:5]}"
    assert not data["mathErrors"], f"{name}: errores de KaTeX: {data['mathErrors'][:5]}"
    assert not data["cutOff"], f"{name}: ecuaciones que se salen por la izquierda: {data['cutOff']}"
    assert not data["rawTex"], f"{name}: TeX sin procesar a la vista: {data['rawTex']}"
    assert data["rendered"] >= data["math"], f"{name}: {data['math']} fórmulas, {data['rendered']} dibujadas"
    assert not data["unresolved"], f"{name}: una referencia sin resolver («??»)"


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_math_on_chapter_pages(visits: dict[str, Visit], name: str) -> None:
    assert visits[name].data["rendered"] >= 5, f"{name}: casi sin fórmulas dibujadas"


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_exercises_show_with_their_solutions_folded(visits: dict[str, Visit], name: str, built_site: Path) -> None:
    """sphinx-exercise: cada solución empieza plegada, enlazada a su ejercicio (captura en _build/screenshots)."""
    data = visits[name].data
    assert data["exercises"] >= 2 and data["solutions"], name
    assert all(s["folded"] and s["linksToExercise"] for s in data["solutions"]), data["solutions"]
    shot = built_site.parent / "screenshots" / ("ejercicios_" + name.replace("/", "_").removesuffix(".html") + ".png")
    assert shot.is_file()


@pytest.mark.parametrize("name", PAGES)
def test_what_the_page_points_to_is_there(visits: dict[str, Visit], name: str) -> None:
    """Cada imagen carga, cada cita lleva a su entrada y cada enlace a Colab, a un cuaderno que existe."""
    data = visits[name].data
    problems = [f"imagen que no cargó: {img['src']}" for img in data["images"] if not img["ok"]]
    problems += [f"cita que no lleva a su referencia: {c['text']}" for c in data["citations"] if not c["ok"]]
    for href in data["colab"]:
        relative = href.split("/blob/", 1)[1].split("/", 1)[1]
        if not (ROOT / relative).is_file():
            problems.append(f"{href} apunta a {relative}, que no existe")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_code_blocks_have_a_copy_button(visits: dict[str, Visit], name: str) -> None:
    data = visits[name].data
    assert data["codeBlocks"] > 0, f"{name}: sin bloques de código"
    assert data["copyButtons"] >= data["codeBlocks"], (
        f"{name}: {data['codeBlocks']} bloques de código, {data['copyButtons']} botones de copiar")


def test_screenshots_were_saved(visits: dict[str, Visit], built_site: Path) -> None:
    shots = sorted(s for s in (built_site.parent / "screenshots").glob("*.png") if not s.name.startswith("ejercicios_"))
    assert len(shots) == len(PAGES) and all(s.stat().st_size > 5_000 for s in shots)


def test_search_finds_a_spanish_word(chromium, site_url: str) -> None:
    """El buscador del sitio, en el navegador: «varianza» lleva a la página de esperanza y varianza."""
    page = chromium.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site_url) else route.abort())
    page.goto(site_url + "search.html?q=varianza", wait_until="load")
    result = page.wait_for_selector('#search-results a[href*="04-esperanza-varianza"]', timeout=15_000)
    assert result is not None
    page.close()


# --- Presupuestos: bytes, no tiempos --------------------------------------------------------

KB = 1000
FIRST_LOAD_BUDGET = {"landing": 300 * KB, "chapter": 600 * KB}
SCRIPT_BUDGET = 100 * KB                 # ningún script, una vez comprimido
BLOCKING_BUDGET = 50 * KB                # ningún script ni hoja de estilo que bloquee la primera pintura
COMPRESSED = {".html", ".css", ".js", ".svg", ".json", ".txt", ".xml"}   # lo que GitHub Pages sirve con gzip


def transferred_bytes(path: Path) -> int:
    """Bytes que viajan: comprimido con gzip si GitHub Pages lo comprime, si no tal cual."""
    content = path.read_bytes()
    return len(gzip.compress(content, mtime=0)) if path.suffix in COMPRESSED else len(content)


def served_file(built_site: Path, url: str) -> Path:
    target = built_site / unquote(urlsplit(url).path.lstrip("/"))
    return target / "index.html" if target.is_dir() else target


@pytest.mark.parametrize("name", [p for p in PAGES if p == f"{TOC['root']}.html" or p in CHAPTER_PAGES])
def test_first_load_stays_within_its_byte_budget(visits: dict[str, Visit], built_site: Path, name: str) -> None:
    """La portada pesa como mucho 300 KB al abrirse y cada capítulo 600 KB (con las imágenes de
    la primera pantalla; las de más abajo son perezosas), comprimido como lo sirve GitHub Pages."""
    budget = FIRST_LOAD_BUDGET["chapter" if name in CHAPTER_PAGES else "landing"]
    sizes = {url: transferred_bytes(served_file(built_site, url)) for url in visits[name].first_load}
    total = sum(sizes.values())
    heaviest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
    assert total <= budget, f"{name}: {total / KB:.0f} KB al abrir (presupuesto {budget / KB:.0f} KB): {heaviest}"


def page_resources(path: Path) -> list[tuple[str, str, bool]]:
    """(tipo, ruta local, ¿bloquea la primera pintura?) de cada script y hoja de estilo de la página."""
    head = path.read_text(encoding="utf-8").split("</head>", 1)[0]
    found = []
    for tag in re.findall(r"<script\b[^>]*\bsrc=\"[^\"]+\"[^>]*>", head):
        src = re.search(r'src="([^"]+)"', tag)[1]
        blocking = not re.search(r"\b(defer|async)\b|type=\"module\"", tag)
        found.append(("script", src, blocking))
    for tag in re.findall(r"<link\b[^>]*rel=\"stylesheet\"[^>]*>", head):
        href = re.search(r'href="([^"]+)"', tag)[1]
        found.append(("stylesheet", href, "media=\"print\"" not in tag))
    return [(kind, url, blocking) for kind, url, blocking in found if is_local(url)]


def test_no_script_or_blocking_resource_is_too_heavy(built_site: Path) -> None:
    """Ningún script pasa de 100 KB comprimido, y nada que bloquee la primera pintura, de 50 KB."""
    problems = set()
    for path in html_pages(built_site):
        for kind, url, blocking in page_resources(path):
            local = unquote(urlsplit(url).path)
            if local.startswith("/"):   # la 404 usa rutas absolutas bajo la ruta de html.baseurl
                target = built_site / local.removeprefix(urlsplit(CONFIG["html"]["baseurl"]).path)
            else:
                target = (path.parent / local).resolve()
            size = transferred_bytes(target)
            if kind == "script" and size > SCRIPT_BUDGET:
                problems.add(f"script de {size / KB:.0f} KB: {url}")
            if blocking and size > BLOCKING_BUDGET:
                problems.add(f"{kind} que bloquea, de {size / KB:.0f} KB: {url}")
    assert not problems, "\n".join(sorted(problems))


def test_content_images_have_a_size_and_load_lazily(built_site: Path) -> None:
    """Cada figura lleva su tamaño (la página no salta al cargarla) y se carga perezosamente."""
    for path in html_pages(built_site):
        for image in parse(path).images:
            if "_images/" in image.get("src", ""):
                assert image.get("width") and image.get("height"), f"{path.name}: {image['src']} sin tamaño"
                assert image.get("loading") == "lazy", f"{path.name}: {image['src']} no es perezosa"


def test_the_site_has_a_favicon(built_site: Path) -> None:
    icon = re.search(r'<link rel="icon" href="([^"]+)"', (built_site / "intro.html").read_text(encoding="utf-8"))
    assert icon and (built_site / icon[1]).is_file()
