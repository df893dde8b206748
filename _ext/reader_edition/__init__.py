"""Edición para lectores: el `.ipynb` de cada capítulo, legible fuera del sitio.

Un solo camino: `chapters/NN-nombre.md` → myst-nb lo ejecuta con la caché de jupyter-book
(la única ejecución) → la página del sitio y, antes de escribirla, el cuaderno de
lectores `chapters/NN-nombre.ipynb`, que escribe esta extensión y nada más reescribe. Es
lo que abren Colab, la portada y la descarga, y lo que comprueba nbval.

Dos momentos de la construcción:

- `builder-inited` (**arranque en caliente**): siembra la caché de ejecución con los
  cuadernos de lectores guardados, cuyas salidas comprobó nbval. Un clon nuevo construye
  así el sitio sin ejecutar los seis cuadernos; un capítulo cuyo código cambió no
  coincide con su cuaderno guardado, no se siembra y se ejecuta.
- `write-started`: escribe cada cuaderno de lectores a partir del cuaderno ejecutado que
  myst-nb acaba de usar, el de la caché (`notebook.py`, con el markdown traducido por
  `markdown.py`). Lo que no sabe escribir es un error de la construcción, no un aviso.

Configuración (en `_config.yml`, `sphinx.config`): `reader_edition_prefix` (qué páginas
son capítulos), `reader_edition_folder` (dónde se escriben, relativo a la raíz del libro;
vacío: junto a su `.md`), `reader_edition_chapter` (el capítulo del libro, para la
cabecera) y `reader_edition_errata` (la página de erratas).

Se eligió este paso propio frente a `sphinx-tojupyter` (el constructor de QuantEcon):
aquel genera cuadernos sin ejecutar, pierde las leyendas de myst-nb (están en los
metadatos de la celda), convierte las admoniciones en títulos y exige otra construcción.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig
from sphinx.application import Sphinx
from sphinx.util import logging

from .markdown import ReaderEditionError
from .notebook import reader_notebook

logger = logging.getLogger(__name__)
COLD_START = "READER_EDITION_COLD_START"     # `make book-full`: sin arranque en caliente


def read_source(md_path: Path, extensions: set[str] | None = None) -> nbformat.NotebookNode:
    """El cuaderno del `.md` tal como lo lee myst-nb: celdas `:load:` ya con su archivo.

    Es el contrato entre la fuente y el cuaderno de lectores: mismo código, en el mismo
    orden, con los mismos metadatos de celda. Lo usan la siembra de la caché y las pruebas.
    """
    config = MdParserConfig(enable_extensions=set(extensions or ()))
    return read_myst_markdown_notebook(md_path.read_text(encoding="utf-8"), config=config, path=md_path)


def code_cells_of(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if c.cell_type == "code"]


def reader_path(app: Sphinx, docname: str) -> Path:
    """Dónde va el cuaderno de lectores de `docname` (por omisión, junto a su `.md`)."""
    return Path(app.srcdir) / app.config.reader_edition_folder / f"{docname}.ipynb"


def chapter_docnames(app: Sphinx) -> list[str]:
    return sorted(d for d in app.env.found_docs if d.startswith(app.config.reader_edition_prefix))


def seed_execution_cache(app: Sphinx) -> None:
    """Arranque en caliente: la caché de ejecución recibe las salidas de los cuadernos guardados.

    Con la variable de entorno READER_EDITION_COLD_START (la pone `make book-full`) no se
    siembra nada: la construcción ejecuta cada capítulo que no esté ya en la caché.
    """
    config = app.env.mystnb_config
    if config.execution_mode != "cache" or os.environ.get(COLD_START):
        return
    cache = get_cache(config.execution_cache_path)
    extensions = set(app.config.myst_enable_extensions)
    sources = sorted(Path(app.srcdir).glob(f"{app.config.reader_edition_prefix}*.md"))
    for md_path in sources:
        docname = md_path.relative_to(app.srcdir).with_suffix("").as_posix()
        stored_path = reader_path(app, docname)
        if not stored_path.exists():
            continue
        source = read_source(md_path, extensions)
        stored = code_cells_of(nbformat.read(stored_path, as_version=4))
        code = code_cells_of(source)
        if [c.source for c in code] != [c.source for c in stored]:
            logger.info(f"[lectores] {docname}: el código cambió; se ejecutará")
            continue
        for cell, ran in zip(code, stored):
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
        try:
            cached = code_cells_of(cache.merge_match_into_notebook(source)[1])
            if [(c.outputs, c.execution_count) for c in cached] == [(c.outputs, c.execution_count) for c in code]:
                continue              # la caché ya tiene las salidas del cuaderno guardado
        except KeyError:
            pass
        # El cuaderno guardado manda: sus salidas son las que comprobó nbval.
        cache.cache_notebook_bundle(CacheBundleIn(nb=source, uri=str(md_path)), check_validity=True,
                                    overwrite=True)
        logger.info(f"[lectores] {docname}: caché sembrada con el cuaderno guardado")


def executed_notebook(app: Sphinx, docname: str) -> nbformat.NotebookNode:
    """El cuaderno del capítulo con las salidas que myst-nb acaba de usar: las de la caché."""
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    source = read_source(Path(app.srcdir) / f"{docname}.md", set(app.config.myst_enable_extensions))
    try:
        return cache.merge_match_into_notebook(source)[1]
    except KeyError:
        raise ReaderEditionError(f"{docname}: la caché de ejecución no tiene su cuaderno ejecutado "
                                 "(¿execute_notebooks no es “cache”?)") from None


def write_reader_notebooks(app: Sphinx, builder: object) -> None:
    """Escribe el cuaderno de lectores de cada capítulo (error de la construcción si no puede).

    Corre en `write-started`: ya están los números de figura y ecuación y las citas, y aún
    no se han copiado las descargas, así que la portada ofrece el cuaderno recién escrito.
    """
    if app.builder.name != "html":
        return
    for docname in chapter_docnames(app):
        notebook = reader_notebook(app, docname, executed_notebook(app, docname))
        target = reader_path(app, docname)
        text = nbformat.writes(notebook) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            logger.info(f"[lectores] escrito {target.relative_to(app.srcdir)}")


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("reader_edition_prefix", "chapters/", "env", types=[str])
    app.add_config_value("reader_edition_folder", "", "env", types=[str])
    app.add_config_value("reader_edition_chapter", "", "html", types=[str])
    app.add_config_value("reader_edition_errata", "erratas", "html", types=[str])
    app.connect("builder-inited", seed_execution_cache, priority=900)   # después de myst-nb
    app.connect("write-started", write_reader_notebooks)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
