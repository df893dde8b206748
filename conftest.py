"""Configuración de pytest para el compañero: ganchos y recursos compartidos (fixtures).

- Las figuras que regeneran los cuadernos durante la prueba van a una carpeta temporal
  propia de la sesión (variable BOOK_FIGURES), nunca a `figures/`: así la prueba compara lo
  regenerado con lo que está en el repositorio (tests/test_figures.py).
- Los ítems de nbval (las celdas de chapters/*.ipynb) se ejecutan antes que tests/, cada
  cuaderno entero en un mismo proceso de pytest-xdist (su núcleo es uno), y las figuras de
  un cuaderno se comparan en ese mismo proceso.
- Segundos por celda en nbval: los de la construcción del libro (`execute.timeout`).
- El sitio se construye una sola vez por sesión (`built_site`). Al construir se reescriben
  los cuadernos de lectores; `reader_notebooks_before_build` guarda cómo estaban, para
  comprobar que ya eran los que escribe la construcción. Con BOOK_HTML=ruta/a/_build/html
  las pruebas usan esa carpeta sin construir.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
from support import BUILD, CHAPTERS, CHROMIUM_FLAGS, CONFIG, ROOT, chromium_path  # noqa: E402

BUILD.mkdir(exist_ok=True)
REGENERATED = Path(tempfile.mkdtemp(prefix="figuras-regeneradas-", dir=BUILD))
BUILD_HTML = BUILD / "html"
SNAPSHOT: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    os.environ["BOOK_FIGURES"] = str(REGENERATED)
    os.environ.setdefault("BOOK_DATA", str(ROOT / "data"))
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = int(CONFIG["execute"]["timeout"])


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(REGENERATED, ignore_errors=True)


def _is_nbval(item: pytest.Item) -> bool:
    return item.path.suffix == ".ipynb"


@pytest.hookimpl(tryfirst=True)   # antes de que xdist lea las marcas xdist_group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval primero; con pytest-xdist (`--dist loadgroup`), grupos que no se parten."""
    items.sort(key=lambda item: 0 if _is_nbval(item) else 1)  # orden estable
    for item in items:
        if _is_nbval(item):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
        elif "built_site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("sitio"))


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Construye el libro como `make book` (`jupyter-book build . --all -W -n --keep-going`).

    Antes guarda el texto de los cuadernos de lectores (SNAPSHOT), que la construcción
    reescribe si no estaban al día. Con BOOK_HTML definida no construye nada.
    """
    if os.environ.get("BOOK_HTML"):
        return Path(os.environ["BOOK_HTML"]).resolve()
    SNAPSHOT.update({p.name: p.read_text(encoding="utf-8") for p in CHAPTERS.glob("*.ipynb")})
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going"]
    # A un archivo y no a una tubería: un proceso que la construcción dejara vivo no la bloquea.
    log = BUILD / "construccion.log"
    with log.open("w", encoding="utf-8") as output:
        result = subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True)
    assert result.returncode == 0, f"la construcción estricta falló:\n{log.read_text(encoding='utf-8')[-8000:]}"
    return BUILD_HTML


@pytest.fixture(scope="session")
def reader_notebooks_before_build(built_site: Path) -> dict[str, str]:
    """Los cuadernos de lectores tal como estaban antes de que esta sesión construyera el libro."""
    return SNAPSHOT


@pytest.fixture(scope="session")
def chromium():
    """El Chromium de Debian, sin red; sin él la prueba falla en CI y se omite fuera de CI."""
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass                                       # el navegador cierra conexiones a medias


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """El sitio construido, servido en 127.0.0.1 (un puerto libre) mientras dure la sesión."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
