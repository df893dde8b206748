"""Cada página del sitio, abierta en Chromium sin pantalla como la vería un lector.

Se sirve `_build/html` en 127.0.0.1 (un hilo con http.server) y Playwright maneja el
Chromium de Debian (`/usr/bin/chromium`; otro con la variable CHROMIUM). Cualquier
petición a otro servidor se corta y cuenta como fallo: el sitio debe funcionar sin red.
Falla si una imagen no carga, si un recurso local da 404, si hay un error de JavaScript,
si MathJax deja fórmulas sin dibujar, si un capítulo no tiene su botón de Colab hacia un
.ipynb que existe, o si una cita no lleva a su referencia. Deja una captura de cada
página en `_build/screenshots/`.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import CHAPTERS, ROOT

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
PAGES = ([f"{TOC['root']}.html"] + [f"{entry['file']}.html" for entry in TOC["chapters"]]
         + ["search.html", "genindex.html"])
CHAPTER_PAGES = [p for p in PAGES if p.startswith("chapters/")]
COLAB_PREFIX = "https://colab.research.google.com/github/"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Todo lo que se mira en la página ya dibujada, en una sola llamada.
INSPECT_PAGE = r"""
() => {
  const article = document.querySelector('article') || document.body;
  const text = (root) => {
    const clone = root.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
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
    rendered: document.querySelectorAll('mjx-container').length,
    unrendered: [...document.querySelectorAll('.math')]
                  .filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
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

WAIT_FOR_MATHJAX = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
}
"""


@dataclass
class Visit:
    """Lo que pasó al abrir una página."""

    page: str
    problems: list[str] = field(default_factory=list)       # errores JS, 404, peticiones externas
    data: dict = field(default_factory=dict)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass                                       # el navegador cierra conexiones a medias


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        message = "no hay Chromium: instale el paquete `chromium` (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def visits(browser, site_url: str, built_site: Path) -> dict[str, Visit]:
    """Abre cada página una vez, guarda su captura y devuelve lo observado."""
    screenshots = built_site.parent / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    for old in screenshots.glob("*.png"):      # las de los cuadernos (cuadernos/) son de test_lectores.py
        old.unlink()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
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
        response = page.goto(site_url + name, wait_until="load")
        if response is None or response.status != 200:
            visit.problems.append(f"la página respondió {response and response.status}")
        page.evaluate(WAIT_FOR_MATHJAX)
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
def test_every_image_loads(visits: dict[str, Visit], name: str) -> None:
    broken = [img["src"] for img in visits[name].data["images"] if not img["ok"]]
    assert not broken, f"{name}: imágenes que no cargaron: {broken}"


@pytest.mark.parametrize("name", PAGES)
def test_math_is_rendered(visits: dict[str, Visit], name: str) -> None:
    data = visits[name].data
    assert not data["unrendered"], f"{name}: fórmulas sin dibujar: {data['unrendered'][:5]}"
    assert not data["mathErrors"], f"{name}: errores de MathJax: {data['mathErrors'][:5]}"
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


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_chapter_has_its_colab_button(visits: dict[str, Visit], name: str) -> None:
    notebook = Path(name).with_suffix(".ipynb").name
    colab = [href for href in visits[name].data["colab"] if href.startswith(COLAB_PREFIX)]
    assert colab, f"{name}: sin botón de Colab"
    for href in colab:
        assert href.endswith(f"/chapters/{notebook}"), f"{name}: el botón de Colab va a {href}"
        assert (CHAPTERS / notebook).is_file(), f"{name}: el botón de Colab va a chapters/{notebook}, que no existe"


@pytest.mark.parametrize("name", PAGES)
def test_every_colab_link_points_to_an_existing_notebook(visits: dict[str, Visit], name: str) -> None:
    for href in visits[name].data["colab"]:
        relative = href.split("/blob/", 1)[1].split("/", 1)[1]
        assert (ROOT / relative).is_file(), f"{name}: {href} apunta a {relative}, que no existe"


@pytest.mark.parametrize("name", PAGES)
def test_citations_resolve(visits: dict[str, Visit], name: str) -> None:
    bad = [c["text"] for c in visits[name].data["citations"] if not c["ok"]]
    assert not bad, f"{name}: citas que no llevan a su referencia: {bad}"


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_code_blocks_have_a_copy_button(visits: dict[str, Visit], name: str) -> None:
    data = visits[name].data
    assert data["codeBlocks"] > 0, f"{name}: sin bloques de código"
    assert data["copyButtons"] >= data["codeBlocks"], (
        f"{name}: {data['codeBlocks']} bloques de código, {data['copyButtons']} botones de copiar")


def test_screenshots_were_saved(visits: dict[str, Visit], built_site: Path) -> None:
    shots = sorted(s for s in (built_site.parent / "screenshots").glob("*.png") if not s.name.startswith("ejercicios_"))
    assert len(shots) == len(PAGES) and all(s.stat().st_size > 5_000 for s in shots)


def test_search_finds_a_spanish_word(browser, site_url: str) -> None:
    """El buscador del sitio, en el navegador: «varianza» lleva a la página de esperanza y varianza."""
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site_url) else route.abort())
    page.goto(site_url + "search.html?q=varianza", wait_until="load")
    result = page.wait_for_selector('#search-results a[href*="04-esperanza-varianza"]', timeout=15_000)
    assert result is not None
    page.close()
