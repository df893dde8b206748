"""Publicar: un sitio que cualquiera puede publicar desde su fork y que se encuentra y se
comparte bien.

- **Las URL, una sola vez.** La del repositorio y la del sitio solo están escritas en
  `_config.yml`; una copia del libro con las dos líneas de un fork, construida con `make
  book`, no conserva la URL vieja en ningún botón, insignia, enlace, tarjeta, sitemap ni
  cuaderno.
- **Encontrar y compartir.** `sitemap.xml` con cada página bajo `html.baseurl`, tarjetas
  Open Graph en cada capítulo (título, resumen, imagen que existe), una 404 en español
  que lleva a la portada, y los ejercicios numerados por página con la solución plegada y
  ejecutada.

Los flujos de GitHub Actions se prueban en tests/test_workflows.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from support import CONFIG, REPOSITORY, ROOT, SITE, chapter_sources, toc_order

BASEURL = CONFIG["html"]["baseurl"]
PAGES = toc_order()


# --- Las URL, una sola vez -----------------------------------------------------------

FORK_REPOSITORY = "https://github.com/lectora-curiosa/mi-capitulo-1"
FORK_SITE = "https://lectora-curiosa.github.io/mi-capitulo-1/"
TEXT_SUFFIXES = {".md", ".py", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".txt", ".in", ".bib", ".css", ".js", ".html", ""}


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in listed.splitlines() if line]


def test_the_urls_are_typed_only_in_config() -> None:
    """Ni la portada, ni el README, ni el código escriben la URL del repositorio o del sitio.

    Los cuadernos de lectores (chapters/*.ipynb) sí la contienen, pero los escribe la
    construcción a partir de `_config.yml` (tests/test_notebooks.py comprueba que son esos).
    """
    needles = {REPOSITORY.removeprefix("https://"), SITE.removeprefix("https://").rstrip("/")}
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
    assert config.count(REPOSITORY.removeprefix("https://")) == 1 and config.count(SITE.removeprefix("https://").rstrip("/")) == 1


@pytest.fixture(scope="module")
def fork_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Una copia del libro con las dos líneas de un fork, construida con `make book`."""
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
    (copy / "node_modules").symlink_to(ROOT / "node_modules")       # KaTeX (make venv), como .venv
    bin_dir = Path(sys.executable).parent

    result = subprocess.run([str(bin_dir / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going"],
                            cwd=copy, capture_output=True, text=True)            # make book
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return copy


@pytest.mark.xdist_group("fork")
def test_a_fork_changes_two_lines_and_every_link_follows(fork_build: Path) -> None:
    html = fork_build / "_build" / "html"
    old = [REPOSITORY.removeprefix("https://"), SITE.removeprefix("https://").rstrip("/")]
    stale = []
    for page in html.rglob("*"):
        if page.suffix in {".html", ".xml", ".txt", ".ipynb"} and "_sources" not in page.parts:
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
        assert SITE.removeprefix("https://").rstrip("/") not in text, notebook.name
        assert list(html.glob(f"_downloads/*/{notebook.name}")), f"la portada ofrece descargar {notebook.name}"
    linked = [n for n in (fork_build / "chapters").glob("*.ipynb") if FORK_SITE in n.read_text(encoding="utf-8")]
    assert len(linked) >= 5, "los cuadernos de lectores enlazan al sitio del fork"


# --- Encontrar y compartir ----------------------------------------------------------

META = re.compile(r'<meta property="(?P<name>og:[\w:]+)" content="(?P<content>[^"]*)"')


def meta(page: Path) -> dict[str, str]:
    return {m["name"]: unescape(m["content"]) for m in META.finditer(page.read_text(encoding="utf-8"))}


def test_sitemap_lists_every_page_under_the_base_url(built_site: Path) -> None:
    tree = ET.parse(built_site / "sitemap.xml")
    locations = [loc.text for loc in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert sorted(locations) == sorted(f"{BASEURL}{page}.html" for page in PAGES)


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("chapters/")])
def test_chapter_pages_carry_an_open_graph_card(built_site: Path, page: str) -> None:
    tags = meta(built_site / f"{page}.html")
    heading = re.search(r"^# (.+)$", (ROOT / f"{page}.md").read_text(encoding="utf-8"), re.M)[1]
    assert tags["og:title"] == heading
    assert tags["og:url"] == f"{BASEURL}{page}.html"
    assert tags["og:type"] == "article" and tags["og:site_name"]
    md_path = ROOT / f"{page}.md"
    summary = md_path.read_text(encoding="utf-8").split("\n# ", 1)[1].split("\n\n")[1]
    assert tags["og:description"].startswith(summary[:60]), "la descripción es el resumen bajo el título"
    image = tags["og:image"]
    assert image.startswith(BASEURL + "_images/") and (built_site / image.removeprefix(BASEURL)).is_file()


def test_the_404_page_is_spanish_and_leads_home(built_site: Path) -> None:
    text = (built_site / "404.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in text
    assert "<title>Página no encontrada" in text and "<h1>Página no encontrada</h1>" in text
    assert f'href="{BASEURL}"' in text
    prefix = "/" + BASEURL.split("://", 1)[1].split("/", 1)[1]
    stylesheets = re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', text)
    assert stylesheets and all(href.startswith(prefix) or href.startswith("http") for href in stylesheets), (
        "la 404 se sirve en cualquier ruta: sus recursos van con la ruta absoluta del sitio")


EXERCISE = re.compile(r'<div class="exercise admonition" id="(?P<id>ej-(?P<page>\d\d)-(?P<k>\d+))">\s*'
                      r'<p class="admonition-title"><span class="caption-number">Ejercicio (?P<number>\d+) </span>')
SOLUTION = re.compile(r'<div class="solution dropdown admonition" id="[^"]+">\s*<p class="admonition-title">'
                      r'Solución a<a class="reference internal" href="#(?P<target>ej-[\d-]+)"> Ejercicio (?P<number>\d+)</a></p>'
                      r'(?P<body>.*?)</section>', re.S)


@pytest.mark.parametrize("md_path", chapter_sources(), ids=lambda p: p.stem)
def test_exercises_are_numbered_per_page_with_folded_executed_solutions(built_site: Path, md_path: Path) -> None:
    html = (built_site / "chapters" / f"{md_path.stem}.html").read_text(encoding="utf-8")
    exercises = list(EXERCISE.finditer(html))
    source = md_path.read_text(encoding="utf-8")
    assert len(exercises) == source.count(":::{exercise}") >= 2
    assert [int(e["number"]) for e in exercises] == list(range(1, len(exercises) + 1))
    assert all(e["page"] == md_path.stem[:2] and e["k"] == e["number"] for e in exercises)
    solutions = list(SOLUTION.finditer(html))
    assert len(solutions) == source.count(":::{solution-start}") >= 1
    numbers = {e["id"]: e["number"] for e in exercises}
    for solution in solutions:
        assert numbers[solution["target"]] == solution["number"]
        assert 'class="cell_input' in solution["body"] and 'class="cell_output' in solution["body"], (
            f"{md_path.stem}: la solución de {solution['target']} no trae su código ejecutado")
