"""Las URL del repositorio y del sitio están escritas una sola vez, en `_config.yml`.

Un fork cambia dos líneas (`repository.url` y `html.baseurl`) y todo lo demás las sigue:
botones e insignias de Colab, enlace al repositorio, tarjetas Open Graph, sitemap, página
404 y los enlaces al sitio de los cuadernos de lectores. La última prueba lo hace de
verdad: copia el libro, cambia esas dos líneas, lo reconstruye y busca la URL vieja.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
SITE = CONFIG["html"]["baseurl"].rstrip("/")
FORK_REPOSITORY = "https://github.com/lectora-curiosa/mi-capitulo-1"
FORK_SITE = "https://lectora-curiosa.github.io/mi-capitulo-1/"
TEXT_SUFFIXES = {".md", ".py", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".txt", ".in", ".bib", ".css", ".js", ".html", ""}


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in listed.splitlines() if line]


def test_the_urls_are_typed_only_in_config() -> None:
    """Ni la portada, ni el README, ni el código escriben la URL del repositorio o del sitio.

    Los cuadernos de lectores (chapters/*.ipynb) sí la contienen, pero los escribe la
    construcción a partir de `_config.yml` (test_lectores.py comprueba que son esos).
    """
    needles = {REPOSITORY.removeprefix("https://"), SITE.removeprefix("https://")}
    offenders = []
    for path in tracked_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative == "_config.yml" or path.suffix == ".ipynb" or path.suffix not in TEXT_SUFFIXES:
            continue
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{relative}: {needle}" for needle in needles if needle in text]
    assert not offenders, f"URL escrita fuera de _config.yml: {offenders}"
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert config.count(REPOSITORY.removeprefix("https://")) == 1 and config.count(SITE.removeprefix("https://")) == 1


@pytest.fixture(scope="module")
def fork_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Una copia del libro con las dos líneas de un fork, construida como dice el README."""
    copy = tmp_path_factory.mktemp("fork") / "libro"
    for path in tracked_files():
        target = copy / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            shutil.copy2(path, target)
    config = (copy / "_config.yml").read_text(encoding="utf-8")
    config = config.replace(f"url: {REPOSITORY}", f"url: {FORK_REPOSITORY}")
    config = config.replace(f"baseurl: {CONFIG['html']['baseurl']}", f"baseurl: {FORK_SITE}")
    assert FORK_REPOSITORY in config and FORK_SITE in config
    (copy / "_config.yml").write_text(config, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)   # sphinx-sitemap fecha con git
    bin_dir = Path(sys.executable).parent

    def build() -> None:
        subprocess.run([str(bin_dir / "python"), "tools/seed_cache.py"], cwd=copy, check=True, capture_output=True)
        result = subprocess.run([str(bin_dir / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going"],
                                cwd=copy, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    build()                                                    # make reader-notebooks: construir …
    for notebook in (copy / "_build" / "lectores" / "chapters").glob("*.ipynb"):
        shutil.copy2(notebook, copy / "chapters" / notebook.name)   # … y copiar los cuadernos
    return copy


@pytest.mark.xdist_group("fork")
def test_a_fork_changes_two_lines_and_every_link_follows(fork_build: Path) -> None:
    html = fork_build / "_build" / "html"
    old = [REPOSITORY.removeprefix("https://"), SITE.removeprefix("https://")]
    stale = []
    for page in html.rglob("*"):
        # _downloads guarda los cuadernos de antes de copiarlos: el siguiente `make book` los
        # renueva con los de chapters/, que se comprueban más abajo.
        if page.suffix in {".html", ".xml", ".txt"} and "_sources" not in page.parts:
            text = page.read_text(encoding="utf-8", errors="ignore")
            stale += [f"{page.relative_to(html)}: {o}" for o in old if o in text]
    assert not stale, f"la URL vieja sigue en el sitio del fork: {stale[:10]}"
    intro = (html / "intro.html").read_text(encoding="utf-8")
    fork_repo = FORK_REPOSITORY.removeprefix("https://github.com/")
    badges = re.findall(rf"https://colab\.research\.google\.com/github/{fork_repo}/blob/main/chapters/\d\d-[\w-]+\.ipynb", intro)
    assert len(set(badges)) == 6, badges
    for page in sorted((html / "chapters").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert f"colab.research.google.com/github/{fork_repo}/blob/main/chapters/{page.stem}.ipynb" in text, page.name
        assert f'og:url" content="{FORK_SITE}chapters/{page.name}"' in text, page.name
    assert FORK_SITE in (html / "404.html").read_text(encoding="utf-8")
    assert FORK_SITE + "intro.html" in (html / "sitemap.xml").read_text(encoding="utf-8")
    for notebook in sorted((fork_build / "chapters").glob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        assert SITE.removeprefix("https://") not in text, notebook.name
        assert list(html.glob(f"_downloads/*/{notebook.name}")), f"la portada ofrece descargar {notebook.name}"
    linked = [n for n in (fork_build / "chapters").glob("*.ipynb") if FORK_SITE in n.read_text(encoding="utf-8")]
    assert len(linked) >= 5, "los cuadernos de lectores enlazan al sitio del fork"
