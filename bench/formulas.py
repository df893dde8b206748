"""Las mismas fórmulas en dos sitios construidos, lado a lado: para comparar a ojo dos motores.

Abre cada ecuación numerada de la muestra (`SAMPLE`: acentos en `\\operatorname{Categórica}`,
`\\operatorname`, números de ecuación, `\\mathtt{hidden\\_dim}`, fracciones y sumas) en los
dos sitios con Chromium, sin red, espera a que el motor de fórmulas termine si lo hay
(MathJax compone en el navegador; KaTeX ya viene compuesto) y guarda una captura de cada
una. Compone una imagen con una fila por fórmula: a la izquierda el primer sitio, a la
derecha el segundo.

Uso: .venv/bin/python bench/formulas.py ANTES/_build/html _build/html [--out _build/screenshots/formulas]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import os
import sys
import threading
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright

SAMPLE = [
    ("chapters/06-clasificacion", "equation-eq-modelo-discriminativo"),    # \operatorname{Categórica}
    ("chapters/06-clasificacion", "equation-eq-mlp-clasificador"),         # \mathtt{hidden\_dim}
    ("chapters/06-clasificacion", "equation-eq-softmax"),
    ("chapters/02-probabilidad", "equation-eq-prob-integral"),             # \operatorname{Prob}
    ("chapters/02-probabilidad", "equation-eq-limite-central"),
    ("chapters/04-esperanza-varianza", "equation-eq-pearson"),
    ("chapters/05-redes-neuronales", "equation-eq-nll-gaussiana"),
]
WAIT_FOR_MATH = """() => !window.MathJax || !MathJax.startup || MathJax.startup.promise.then(() => true)"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def shots(browser, base: str) -> list[Image.Image]:
    page = browser.new_page(viewport={"width": 1000, "height": 900}, device_scale_factor=1.5)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    images, current = [], None
    for name, anchor in SAMPLE:
        if name != current:
            page.goto(f"{base}{name}.html", wait_until="load")
            page.wait_for_load_state("networkidle")
            page.evaluate(WAIT_FOR_MATH)
            current = name
        element = page.locator(f"#{anchor}")
        element.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        images.append(Image.open(io.BytesIO(element.screenshot())).convert("RGB"))
    page.close()
    return images


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--out", type=Path, default=Path("_build/screenshots/formulas"))
    args = parser.parse_args(argv)
    columns = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                             args=["--no-sandbox"])
        for folder in (args.before, args.after):
            server, base = serve(folder)
            columns.append(shots(browser, base))
            server.shutdown()
        browser.close()
    width = max(im.width for column in columns for im in column)
    heights = [max(a.height, b.height) + 24 for a, b in zip(*columns)]
    sheet = Image.new("RGB", (2 * width + 30, sum(heights) + 30), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((10, 5), f"antes: {args.before}", fill="black")
    draw.text((width + 30, 5), f"después: {args.after}", fill="black")
    y = 30
    for (name, anchor), before, after, height in zip(SAMPLE, columns[0], columns[1], heights):
        draw.text((10, y), f"{name} #{anchor}", fill="gray")
        sheet.paste(before, (10, y + 18))
        sheet.paste(after, (width + 30, y + 18))
        y += height
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "formulas-antes-despues.png"
    sheet.save(target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
