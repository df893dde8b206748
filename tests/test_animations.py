"""Las animaciones: procesos que se ven ocurrir, en el sitio, en Colab y en Jupyter, sin servidor.

Cada animación es el reproductor de matplotlib (`FuncAnimation.to_jshtml`) que devuelve
`animate` (`chapters/animacion.py`), con su pie «Animación 01a.» y su figura fija, el último
fotograma, en figures/ (la compara tests/test_figures.py con las tolerancias de las figuras).

- **En el cuaderno de lectores**: cada una está guardada con su salida, pesa como mucho
  1.5 MB, abre en el último fotograma, que es también la imagen que se ve sin JavaScript, y no
  pide nada a otro servidor; ningún cuaderno pasa de 8 MB.
- **En el sitio**: la página no pide los fotogramas al abrirse (el reproductor está en su
  archivo, detrás de un iframe perezoso) y, al acercarse, el reproductor funciona.
- **En Chromium**, en el sitio y en cada cuaderno convertido con nbconvert, en modo claro y
  oscuro: los controles están, ▶ avanza, la barra elige el fotograma, sin errores en la
  consola ni recursos de otros servidores; y el cuaderno sin JavaScript (como lo muestra
  JupyterLab si no confía en él) enseña la figura fija. Deja una captura de cada animación
  del sitio, en modo claro y oscuro, en `_build/screenshots/animaciones/`.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from support import ROOT, animation_names, chapter_sources, figure_names

MB = 1_000_000
ANIMATION_BUDGET = 1.5 * MB          # cada animación, con sus fotogramas dentro
NOTEBOOK_BUDGET = 8 * MB             # cada cuaderno de lectores
FIGURE = re.compile(r'<figure class="animacion" id="animacion-(\w+)" aria-label="Animación (\w+)">')
FRAME = re.compile(r'frames\[(\d+)\] = "data:image/png;base64,([^"]+)"')
STILL = re.compile(r'<img id="_anim_img\w+" src="data:image/png;base64,([^"]+)" alt="([^"]+)">')
ANIMATED = [md for md in chapter_sources() if animation_names(md)]
SCREENSHOTS = ROOT / "_build" / "screenshots" / "animaciones"     # una captura de cada una, clara y oscura
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def number(name: str) -> str:
    """«01a» de «anim-01a-algo»."""
    return name.split("-")[1]


def animation_outputs(md_path: Path) -> dict[str, str]:
    """El HTML de cada animación guardada en el cuaderno de lectores, por su número."""
    found = {}
    for cell in nbformat.read(md_path.with_suffix(".ipynb"), as_version=4).cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            match = FIGURE.search(html)
            if match:
                found[match[1]] = html
    return found


def png_pixels(encoded: str) -> np.ndarray:
    data = base64.b64decode(re.sub(r"[\\\s]", "", encoded))
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --- Cuántas y dónde ----------------------------------------------------------------------

def test_eight_processes_are_animated_where_the_issue_asks() -> None:
    """Seis en 01 (autorregresivo, GAN, VAE, Langevin, flow matching, difusión), el límite
    central en 02 y el descenso del gradiente en 05; números únicos y en orden."""
    names = {md.stem[:2]: animation_names(md) for md in chapter_sources()}
    assert [number(n) for n in names["01"]] == ["01a", "01b", "01c", "01d", "01e", "01f"]
    assert [number(n) for n in names["02"]] == ["02a"]
    assert [number(n) for n in names["05"]] == ["05a"]
    assert sum(map(len, names.values())) >= 8


@pytest.mark.parametrize("md_path", ANIMATED, ids=lambda p: p.stem)
def test_every_animation_still_is_a_committed_figure(md_path: Path) -> None:
    for name in animation_names(md_path):
        assert name in figure_names(md_path)
        assert (ROOT / "figures" / f"{name}.png").exists(), f"falta figures/{name}.png"


# --- En el cuaderno de lectores ------------------------------------------------------------

@pytest.mark.parametrize("md_path", ANIMATED, ids=lambda p: p.stem)
def test_the_reader_notebook_carries_each_animation_with_its_output(md_path: Path) -> None:
    outputs = animation_outputs(md_path)
    assert sorted(outputs) == [number(n) for n in animation_names(md_path)]
    for key, html in outputs.items():
        size = len(html.encode("utf-8"))
        assert size <= ANIMATION_BUDGET, f"animación {key}: {size / MB:.2f} MB"
        assert f"<strong>Animación {key}.</strong>" in html, f"animación {key} sin su pie"
        assert "ejecute la celda" in html, f"el pie de {key} no dice cómo hacerla andar"
        assert not re.search(r"https?://", html), f"la animación {key} pide algo a otro servidor"
        assert "Reproducir" in html and 'aria-label="Fotograma"' in html


@pytest.mark.parametrize("md_path", ANIMATED, ids=lambda p: p.stem)
def test_each_animation_opens_on_its_last_frame_which_is_the_still(md_path: Path) -> None:
    """La imagen puesta en el HTML (la que se ve sin JavaScript) es el último fotograma."""
    for key, html in animation_outputs(md_path).items():
        still = STILL.search(html)
        assert still, f"la animación {key} no lleva la imagen fija con su texto alternativo"
        frames = dict((int(i), data) for i, data in FRAME.findall(html))
        assert len(frames) >= 10, f"la animación {key} tiene {len(frames)} fotogramas"
        assert np.array_equal(png_pixels(still[1]), png_pixels(frames[max(frames)])), key
        assert not np.array_equal(png_pixels(frames[0]), png_pixels(frames[max(frames)])), (
            f"la animación {key} no cambia del primer al último fotograma")
        # Al crearlo, el reproductor va al último fotograma y nada lo pone en marcha.
        created = re.search(r"setTimeout\(function\(\) \{(.*?)\}, 0\);", html, re.S)[1]
        assert re.search(r"= new Animation\([^;]*\);\s*anim\w+\.last_frame\(\);", created), (
            f"la animación {key} no abre en el último fotograma")
        assert not re.search(r"\.(play|reverse)_animation\(\)", created), f"la animación {key} se reproduce sola"


def test_no_reader_notebook_exceeds_8_mb() -> None:
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert notebook.stat().st_size <= NOTEBOOK_BUDGET, f"{notebook.name}: {notebook.stat().st_size / MB:.1f} MB"


def test_animation_cells_are_not_compared_as_text_by_nbval() -> None:
    """Su HTML cambia en cada ejecución (identificadores al azar): lo comprueban sus fotogramas."""
    for md_path in ANIMATED:
        for cell in nbformat.read(md_path.with_suffix(".ipynb"), as_version=4).cells:
            if any(FIGURE.search(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", [])):
                assert "nbval-ignore-output" in cell.metadata.get("tags", []), md_path.stem


# --- En Chromium ------------------------------------------------------------------------------

PLAYER_STATE = """
(root) => {
  root = document.querySelector(root);
  const slider = root.querySelector('input.anim-slider');
  const img = root.querySelector('img[id^="_anim_img"]');
  return {slider: slider && Number(slider.value), max: slider && Number(slider.max),
          src: img && img.src.slice(-80), shown: img && img.complete && img.naturalWidth > 0,
          buttons: [...root.querySelectorAll('.anim-buttons button')].map(b => b.getAttribute('aria-label')),
          background: getComputedStyle(document.body).backgroundColor};
}
"""
ADVANCED = """(root) => {
  const slider = document.querySelector(root).querySelector('input.anim-slider');
  return 0 < Number(slider.value) && Number(slider.value) < Number(slider.max);
}"""


def exercise_player(document, root: str, label: str) -> list[str]:
    """Pulsa ▶ y mueve la barra en el reproductor que está dentro de `root` (un selector) en
    `document` (el iframe del sitio o la página del cuaderno); devuelve lo que no funcionó."""
    problems = []
    state = document.evaluate(PLAYER_STATE, root)
    if not state["slider"] == state["max"] > 0:
        problems.append(f"{label}: no abre en el último fotograma ({state['slider']} de {state['max']})")
    for needed in ("Reproducir", "Pausa", "Primer fotograma", "Último fotograma"):
        if needed not in state["buttons"]:
            problems.append(f"{label}: falta el botón {needed}")
    if not state["shown"]:
        problems.append(f"{label}: la imagen no se ve")
    player = document.locator(root)
    player.locator('button[aria-label="Reproducir"]').first.click()
    try:
        document.wait_for_function(ADVANCED, arg=root, timeout=3000)   # un fotograma cada 250 ms
    except Exception:
        problems.append(f"{label}: ▶ no avanza")
    player.locator('button[aria-label="Pausa"]').first.click()
    player.locator("input.anim-slider").first.evaluate("(s) => { s.value = 3; s.dispatchEvent(new Event('input')); }")
    chosen = document.evaluate(PLAYER_STATE, root)
    if chosen["slider"] != 3 or chosen["src"] == state["src"]:
        problems.append(f"{label}: la barra no elige el fotograma")
    return problems


def dark(background: str) -> bool:
    red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
    return (red + green + blue) / 3 < 80


def watch(page, problems: list[str], allowed: tuple[str, ...]) -> None:
    """Anota en `problems` los errores de JavaScript y de consola, y corta lo que no empiece por `allowed`."""
    page.on("pageerror", lambda error: problems.append(f"error de JavaScript: {error}"))
    page.on("console", lambda msg: problems.append(f"consola: {msg.text}") if msg.type == "error" else None)

    def only_local(route) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            problems.append(f"pide un recurso de otro servidor: {route.request.url}")
            route.abort()

    page.route("**/*", only_local)


@pytest.mark.parametrize("md_path", ANIMATED, ids=lambda p: p.stem)
def test_on_the_site_frames_load_only_near_the_animation_and_play(chromium, site_url: str, md_path: Path) -> None:
    """En modo claro: la página no pide los reproductores al abrirse; cada uno carga al
    acercarse, reproduce y elige fotograma. Después el lector pasa el sistema a modo oscuro:
    la página y cada reproductor ya cargado lo siguen."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES", color_scheme="light")
    page = context.new_page()
    problems: list[str] = []
    watch(page, problems, (site_url, "data:"))
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    page.goto(f"{site_url}chapters/{md_path.stem}.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    players = [url for url in fetched if "/_static/animaciones/" in url]
    assert players == [], f"la página pide fotogramas al abrirse: {players}"
    loaded = {}
    for name in animation_names(md_path):
        key = number(name)
        iframe = page.locator(f"#animacion-{key} iframe")
        assert iframe.get_attribute("loading") == "lazy"
        assert iframe.get_attribute("title", timeout=1000).startswith(f"Animación {key}: ")
        assert page.locator(f"#animacion-{key} figcaption").text_content().startswith(f"Animación {key}.")
        for _ in range(2):   # dos veces: las secciones de content-visibility: auto cambian de alto al dibujarse
            page.evaluate(f"document.getElementById('animacion-{key}').scrollIntoView({{block: 'center'}})")
            page.wait_for_timeout(200)
        page.frame_locator(f"#animacion-{key} iframe").locator("input.anim-slider").wait_for(timeout=10_000)
        player = next(f for f in page.frames if f.url.endswith(f"animacion-{key}.html"))
        player.wait_for_function("document.querySelector('img[id^=\"_anim_img\"]').complete")
        problems += exercise_player(player, "body", f"sitio {key}")
        if dark(player.evaluate(PLAYER_STATE, "body")["background"]):
            problems.append(f"sitio {key}: el reproductor no está en modo claro")
        page.locator(f"#animacion-{key}").screenshot(path=str(SCREENSHOTS / f"{key}-claro.png"))
        loaded[key] = player
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("document.documentElement.dataset.theme === 'dark'", timeout=3000)
    for key, player in loaded.items():
        try:
            player.wait_for_function("getComputedStyle(document.body).backgroundColor !== 'rgb(255, 255, 255)'",
                                     timeout=3000)
        except Exception:
            pass
        state = player.evaluate(PLAYER_STATE, "body")
        if not (state["shown"] and dark(state["background"])):
            problems.append(f"sitio {key}: el reproductor no sigue el modo oscuro ({state['background']})")
        page.evaluate(f"document.getElementById('animacion-{key}').scrollIntoView({{block: 'center'}})")
        page.locator(f"#animacion-{key}").screenshot(path=str(SCREENSHOTS / f"{key}-oscuro.png"))
    context.close()
    assert not problems, "\n".join(problems)


def test_with_reduced_motion_the_site_player_only_plays_once(chromium, site_url: str) -> None:
    context = chromium.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{site_url}_static/animaciones/animacion-02a.html", wait_until="load")
    page.wait_for_timeout(500)
    state = page.evaluate(PLAYER_STATE, "body")
    assert state["slider"] == state["max"], "se movió sola"
    assert page.locator('.anim-state input[value="loop"]').is_disabled()
    assert page.locator('.anim-state input[value="reflect"]').is_disabled()
    context.close()


def notebook_html(md_path: Path, theme: str) -> Path:
    """`jupyter nbconvert --to html` del cuaderno de lectores, con el tema claro u oscuro."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(theme=theme)
    body, _ = exporter.from_notebook_node(nbformat.read(md_path.with_suffix(".ipynb"), as_version=4))
    target = ROOT / "_build" / "screenshots" / "cuadernos" / f"{md_path.stem}-animaciones-{theme}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("md_path", ANIMATED, ids=lambda p: p.stem)
def test_in_the_converted_notebook_each_animation_plays(chromium, md_path: Path, theme: str) -> None:
    """Sin servidor: el cuaderno convertido con nbconvert. Lo que se pide fuera (MathJax y
    require.js de la plantilla, la insignia de Colab de la cabecera) se corta, y no sale de
    ninguna animación."""
    html = notebook_html(md_path, theme)
    page = chromium.new_page(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"error de JavaScript: {error}"))
    outside: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(html.as_uri(), wait_until="load")
    animations = "".join(animation_outputs(md_path).values())
    assert not [url for url in outside if url in animations], outside
    for name in animation_names(md_path):
        key = number(name)
        page.locator(f"#animacion-{key}").scroll_into_view_if_needed()
        if theme == "light":
            problems += exercise_player(page, f"#animacion-{key}", f"cuaderno {key}")
        else:                          # el tema oscuro de JupyterLab: los controles están y se ven
            state = page.evaluate(PLAYER_STATE, f"#animacion-{key}")
            if not (state["shown"] and "Reproducir" in state["buttons"] and dark(state["background"])):
                problems.append(f"cuaderno {key} (oscuro): {state}")
    page.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("md_path", ANIMATED, ids=lambda p: p.stem)
def test_without_scripts_the_notebook_shows_the_still(chromium, md_path: Path) -> None:
    """Sin JavaScript (un cuaderno en el que JupyterLab no confía, el visor de GitHub) se ve la
    figura fija, no una caja vacía: cada salida, sin sus `<script>`, en Chromium sin JavaScript.
    No se usa el limpiador de nbconvert (`sanitize_html`): quita todas las imágenes, también las
    de las figuras, y no es el de JupyterLab, que las deja."""
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("data:") else route.abort())
    for key, output in animation_outputs(md_path).items():
        without_scripts = re.sub(r"<script\b.*?</script>", "", output, flags=re.S)
        page.set_content(f"<!DOCTYPE html><html lang=es><body>{without_scripts}</body></html>", wait_until="load")
        image = page.locator(f'img[alt="{STILL.search(output)[2]}"]')
        assert image.count() == 1, f"animación {key}: sin su imagen fija"
        assert image.evaluate("(img) => img.complete && img.naturalWidth > 100"), f"animación {key}: no se ve"
        assert page.locator("figcaption").text_content().startswith(f"Animación {key}."), key
    context.close()
