"""Una sola fuente para las URL del repositorio y del sitio: `_config.yml`.

jupyter-book lleva `repository.url`, `repository.branch` y `launch_buttons.colab_url`
a `html_theme_options`, y `html.baseurl` a `html_baseurl`. Esta extensión construye con
ellos, al leer la configuración, las sustituciones MyST que usa la portada:

- `{{ colab_NN }}`: la insignia «Abrir en Colab» del capítulo NN
  (`<colab>/github/<usuario>/<repo>/blob/<rama>/chapters/NN-nombre.ipynb`);
- `{{ repositorio }}` y `{{ sitio }}`: enlaces al repositorio y al sitio publicado.

Así un fork cambia dos líneas de `_config.yml` (la URL del repositorio y la del sitio) y
cada botón, insignia y enlace de los cuadernos de lectores (_ext/reader_edition usa
`html_baseurl`) sigue al fork; tests/test_publishing.py lo comprueba reconstruyendo una copia.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.config import Config

BADGE = "[![Abrir en Colab](_static/abrir-en-colab.svg)]({url})"


def colab_link(repository_url: str, branch: str, colab: str, notebook: str) -> str:
    """URL de Colab que abre `notebook` (ruta dentro del repositorio de GitHub `repository_url`)."""
    repository = repository_url.rstrip("/").removeprefix("https://github.com/")
    return f"{colab.rstrip('/')}/github/{repository}/blob/{branch}/{notebook}"


def colab_url(config: Config, notebook: str) -> str:
    """URL de Colab para `notebook`, como el botón de jupyter-book (con la configuración de Sphinx)."""
    options = config.html_theme_options
    return colab_link(options["repository_url"], options.get("repository_branch", "main"),
                      options["launch_buttons"]["colab_url"], notebook)


def add_substitutions(app: Sphinx, config: Config) -> None:
    substitutions = dict(config.myst_substitutions)
    for notebook in sorted(Path(app.srcdir, "chapters").glob("*.ipynb")):
        number = notebook.name.split("-", 1)[0]
        substitutions[f"colab_{number}"] = BADGE.format(url=colab_url(config, f"chapters/{notebook.name}"))
    repository = config.html_theme_options["repository_url"].rstrip("/")
    substitutions["repositorio"] = f"[{repository.removeprefix('https://')}]({repository})"
    substitutions["sitio"] = f"[{config.html_baseurl.removeprefix('https://').rstrip('/')}]({config.html_baseurl})"
    config.myst_substitutions = substitutions
    # Open Graph y la página 404 usan las mismas URL (GitHub Pages sirve 404.html en cualquier ruta).
    config.ogp_site_url = config.html_baseurl
    config.notfound_urls_prefix = urlsplit(config.html_baseurl).path or "/"
    config.notfound_context = {
        "title": "Página no encontrada",
        "body": ("<h1>Página no encontrada</h1>\n"
                 "<p>La dirección que siguió no existe en este libro; quizá cambió de nombre.</p>\n"
                 f'<p>Vuelva a la <a href="{config.html_baseurl}">portada del compañero ejecutable</a> '
                 "y busque desde allí el capítulo que quería leer.</p>"),
    }


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("config-inited", add_substitutions, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
