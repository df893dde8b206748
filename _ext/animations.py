"""Las animaciones en el sitio: el reproductor, en su propio archivo detrás de un iframe perezoso.

Cada animación de los cuadernos es una salida HTML (`animate` de `chapters/animacion.py`):
`<figure class="animacion" id="animacion-01a">`, el reproductor de matplotlib con todos sus
fotogramas y un `<figcaption>`. En el cuaderno se queda así. En el sitio los fotogramas no
deben costar nada al abrir la página: esta extensión escribe el reproductor en
`_static/animaciones/animacion-01a.html` y deja en la página el pie y un
`<iframe loading="lazy">` del tamaño del reproductor, que Chromium pide solo cuando el lector
se acerca a él.

La página del reproductor sigue el modo claro u oscuro del libro (lee el `data-theme` de la
página que la contiene, también cuando cambia) y, con `prefers-reduced-motion`, solo deja
reproducir una vez: nunca se mueve sola, y se abre en el último fotograma, la figura fija.
"""

from __future__ import annotations

import base64
import html
import posixpath
import re
import struct
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

FIGURE = re.compile(r'<figure class="animacion" id="animacion-(\w+)" aria-label="([^"]*)">(.*)'
                    r"(<figcaption>.*</figcaption>)</figure>", re.S)
STILL = re.compile(r'<img id="_anim_img\w+" src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">')
FOLDER = "_static/animaciones"
CONTROLS_HEIGHT = 96          # barra, botones y modos de repetición del reproductor, en píxeles
MIN_WIDTH = 480               # los nueve botones y los tres modos, en una fila cada uno

PLAYER_PAGE = """<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  :root {{ color-scheme: light; --fondo: #fff; --texto: #222; --boton: #f2f2f2; --borde: #999; }}
  :root[data-theme="dark"] {{ color-scheme: dark; --fondo: #121212; --texto: #ddd; --boton: #2a2a2a; --borde: #777; }}
  html, body {{ margin: 0; background: var(--fondo); color: var(--texto); font: 14px system-ui, sans-serif; }}
  .animation {{ display: flex; flex-direction: column; align-items: center; }}
  .animation img {{ max-width: 100%; height: auto; }}
  .anim-buttons button {{ color: var(--texto); background: var(--boton); border: 1px solid var(--borde);
                          border-radius: 3px; padding: 3px 6px; margin: 1px; cursor: pointer; }}
  .anim-slider {{ width: min(100%, 420px); }}
</style>
<script>
  // Claro u oscuro como la página del libro que contiene este reproductor.
  function followTheme() {{
    try {{
      var theme = window.parent.document.documentElement.dataset.theme;
      if (theme) {{ document.documentElement.dataset.theme = theme; }}
      var fondo = window.parent.getComputedStyle(window.parent.document.body).backgroundColor;
      if (fondo) {{ document.documentElement.style.setProperty("--fondo", fondo); }}
    }} catch (error) {{ /* abierta sola, fuera del libro */ }}
  }}
  followTheme();
  try {{
    new MutationObserver(followTheme).observe(window.parent.document.documentElement,
                                              {{attributes: true, attributeFilter: ["data-theme"]}});
  }} catch (error) {{}}
  // Con «reducir movimiento», reproducir solo una vez: sin bucle ni ida y vuelta.
  window.addEventListener("DOMContentLoaded", function () {{
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) {{
      document.querySelectorAll('.anim-state input[value="loop"], .anim-state input[value="reflect"]')
        .forEach(function (input) {{ input.disabled = true; }});
    }}
  }});
</script>
</head>
<body>
{player}
</body>
</html>
"""


def png_size(data: bytes) -> tuple[int, int]:
    """Ancho y alto de un PNG, de su cabecera IHDR."""
    return struct.unpack(">II", data[16:24])


def extract_player(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Saca cada reproductor de la página a su archivo y deja un iframe perezoso en su lugar."""
    outdir = Path(app.outdir) / FOLDER
    for raw in list(doctree.findall(nodes.raw)):
        found = FIGURE.search(raw.astext())
        if "html" not in raw.get("format", "").split() or not found:
            continue
        number, label, player, caption = found.groups()
        still = STILL.search(player)
        if still is None:
            raise RuntimeError(f"{docname}: la animación {number} no lleva su imagen fija")
        width, height = png_size(base64.b64decode(still[1]))
        outdir.mkdir(parents=True, exist_ok=True)
        name = f"animacion-{number}.html"
        (outdir / name).write_text(PLAYER_PAGE.format(title=html.escape(label), player=player), encoding="utf-8")
        source = posixpath.relpath(f"{FOLDER}/{name}", posixpath.dirname(docname) or ".")
        title = html.escape(f"{html.unescape(label)}: {html.unescape(still[2])}")
        iframe = (f'<iframe class="animacion-reproductor" src="{source}" loading="lazy" title="{title}" '
                  f'width="{max(width + 16, MIN_WIDTH)}" height="{height + CONTROLS_HEIGHT}" '
                  f'style="max-width: 100%; border: 0"></iframe>')
        caption = caption.replace("; si no se mueve, ejecute la celda.", ".")     # en el sitio siempre se mueve
        page = f'<figure class="animacion" id="animacion-{number}">{iframe}{caption}</figure>'
        raw.replace_self(nodes.raw("", page, format="html"))


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("doctree-resolved", extract_player)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
