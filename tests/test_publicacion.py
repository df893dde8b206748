"""Un sitio que se encuentra y se comparte bien, y ejercicios con la solución plegada.

Todo se lee del HTML construido (`built_site`): sitemap.xml con cada página bajo
`html.baseurl`, etiquetas Open Graph en cada capítulo (título, descripción, imagen que
existe), una página 404 en español que lleva a la portada, y los ejercicios de
sphinx-exercise numerados por página, cada solución plegada, enlazada a su ejercicio y
con el código ejecutado dentro.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, notebook_sources

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
BASEURL = CONFIG["html"]["baseurl"]
PAGES = [TOC["root"]] + [entry["file"] for entry in TOC["chapters"]]
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


@pytest.mark.parametrize("md_path", notebook_sources(), ids=lambda p: p.stem)
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
