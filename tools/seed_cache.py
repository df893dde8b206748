"""Siembra la caché de ejecución (jupyter-cache) con los gemelos .ipynb ya ejecutados.

Los gemelos `chapters/*.ipynb` guardan las salidas de ejecutar cada capítulo, y
`make test` comprueba (nbval) que volver a ejecutarlos las reproduce. Por eso el sitio
puede mostrar esas salidas sin ejecutar todo otra vez: la caché de jupyter-book solo
acepta un gemelo si su código coincide exactamente con el del .md (mismo hash), de modo
que un capítulo cuyo .md cambió y cuyo gemelo quedó viejo sí se vuelve a ejecutar.

Uso: python tools/seed_cache.py [carpeta-de-caché]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent


def seed(cache_path: Path) -> int:
    """Añade cada gemelo ejecutado a la caché; devuelve cuántos se añadieron."""
    cache = get_cache(str(cache_path))
    added = 0
    for twin in sorted((ROOT / "chapters").glob("*.ipynb")):
        notebook = nbformat.read(twin, as_version=4)
        try:
            cache.match_cache_notebook(notebook)
            continue                      # ya está en la caché
        except KeyError:
            pass
        cache.cache_notebook_file(str(twin), uri=str(twin.with_suffix(".md")), check_validity=True, overwrite=True)
        added += 1
    return added


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".jupyter_cache"
    print(f"caché sembrada con {seed(target)} gemelo(s) ejecutado(s) nuevos")
