"""Siembra la caché de ejecución (jupyter-cache) con los gemelos .ipynb ya ejecutados.

Los gemelos `chapters/*.ipynb` guardan las salidas de ejecutar cada capítulo, y
`make test` comprueba (nbval) que volver a ejecutarlos las reproduce. Por eso el sitio
puede mostrar esas salidas sin ejecutar todo otra vez: la caché de jupyter-book solo
acepta un gemelo si su código coincide exactamente con el del .md (mismo hash), de modo
que un capítulo cuyo .md cambió y cuyo gemelo quedó viejo sí se vuelve a ejecutar.

El gemelo es la edición para lectores (_ext/edicion_lectores.py): sus celdas plegadas
llevan metadatos de más (`jupyter.source_hidden`, `cellView`) y jupyter-cache incluye
los metadatos de celda en el hash; por eso se siembra con los metadatos de celda del .md.

Uso: python tools/seed_cache.py [carpeta-de-caché]
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

ROOT = Path(__file__).resolve().parent.parent


def seed(cache_path: Path) -> int:
    """Añade cada gemelo ejecutado a la caché; devuelve cuántos se añadieron."""
    cache = get_cache(str(cache_path))
    added = 0
    for twin in sorted((ROOT / "chapters").glob("*.ipynb")):
        notebook = nbformat.read(twin, as_version=4)
        source = jupytext.read(twin.with_suffix(".md"))
        code = [c for c in notebook.cells if c.cell_type == "code"]
        source_code = [c for c in source.cells if c.cell_type == "code"]
        if [c.source for c in code] != [c.source for c in source_code]:
            continue                      # gemelo viejo: jupyter-book ejecutará el .md
        for cell, source_cell in zip(code, source_code):
            cell.metadata = source_cell.metadata
        try:
            cache.match_cache_notebook(notebook)
            continue                      # ya está en la caché
        except KeyError:
            pass
        bundle = CacheBundleIn(nb=notebook, uri=str(twin.with_suffix(".md")))
        cache.cache_notebook_bundle(bundle, check_validity=True, overwrite=True)
        added += 1
    return added


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".jupyter_cache"
    print(f"caché sembrada con {seed(target)} gemelo(s) ejecutado(s) nuevos")
