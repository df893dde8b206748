"""La tabla de hitos del cuaderno 01 (`HITOS_CSV`) contiene cada hito del diagrama de Gantt del capítulo.

El capítulo (sección 1.1.3) dibuja su línea de tiempo con un bloque mermaid `gantt`.
Esta prueba lee ese bloque de `../shared/seed/capitulo-1.md` (relativo a la raíz del
repositorio) y exige que cada hito esté en la tabla con su paradigma y con la fecha
del capítulo en `fecha_libro`. Si el texto del capítulo no está, la prueba se omite.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT.parent / "shared" / "seed" / "capitulo-1.md"
NOTEBOOK = ROOT / "chapters" / "01-panorama.md"
COLUMNS = ["paradigma", "hito", "fecha", "fecha_libro", "nota"]

SECTION = re.compile(r"^\s*(?:#+\s*)?section\s+(?P<name>.+?)\s*$")
MILESTONE = re.compile(r"^\s*(?P<name>[^:]+?)\s*:\s*milestone\s*,\s*(?P<date>\d{2}-\d{2}-\d{4})\s*,")


def gantt_milestones(text: str) -> list[tuple[str, str, str]]:
    """(paradigma, hito, fecha DD-MM-AAAA) de cada hito del bloque gantt del capítulo."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "gantt")
    section, found = None, []
    for line in lines[start:]:
        if match := SECTION.match(line):
            section = match["name"]
        elif match := MILESTONE.match(line):
            assert section is not None, f"hito fuera de una sección: {line!r}"
            found.append((section, match["name"], match["date"]))
    return found


def table_rows() -> list[dict[str, str]]:
    """Filas de la tabla `HITOS_CSV`, leída del código del cuaderno sin ejecutarlo."""
    cells = [c.source for c in jupytext.read(NOTEBOOK).cells
             if c.cell_type == "code" and "HITOS_CSV = " in c.source]
    assert len(cells) == 1, "el cuaderno 01 debe definir HITOS_CSV en una sola celda"
    assignments = [node for node in ast.parse(cells[0]).body if isinstance(node, ast.Assign)
                   and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["HITOS_CSV"]]
    reader = csv.DictReader(io.StringIO(ast.literal_eval(assignments[0].value)))
    assert reader.fieldnames == COLUMNS, reader.fieldnames
    return list(reader)


@pytest.fixture(scope="module")
def chapter_milestones() -> list[tuple[str, str, str]]:
    if not CHAPTER.exists():
        pytest.skip(f"no está el texto del capítulo en {CHAPTER}: no hay diagrama con el que comparar")
    milestones = gantt_milestones(CHAPTER.read_text(encoding="utf-8"))
    assert len(milestones) >= 70, f"solo se leyeron {len(milestones)} hitos del diagrama gantt"
    return milestones


def test_every_gantt_milestone_is_in_the_table_with_the_chapter_date(chapter_milestones) -> None:
    rows = {(r["paradigma"], r["hito"]): r for r in table_rows()}
    for section, name, date in chapter_milestones:
        assert (section, name) in rows, f"falta en HITOS_CSV: {name} ({section})"
        assert rows[(section, name)]["fecha_libro"] == date, (
            f"{name}: fecha_libro {rows[(section, name)]['fecha_libro']} ≠ {date} del capítulo"
        )


def test_the_table_has_no_milestone_the_chart_lacks(chapter_milestones) -> None:
    in_chart = {(section, name) for section, name, _ in chapter_milestones}
    extra = [(r["paradigma"], r["hito"]) for r in table_rows() if (r["paradigma"], r["hito"]) not in in_chart]
    assert not extra, f"hitos de la tabla que no están en el diagrama: {extra}"
    assert len(table_rows()) == len(chapter_milestones)


def test_every_date_disagreement_is_explained() -> None:
    """Si la fecha verificada (AAAA-MM) no cae en el mes del capítulo, la fila lo explica en `nota`."""
    for row in table_rows():
        assert re.fullmatch(r"\d{4}(-\d{2})?", row["fecha"]), row
        day, month, year = row["fecha_libro"].split("-")
        same_month = row["fecha"] in (f"{year}-{month}", year)
        assert same_month == (row["nota"].strip() == ""), (
            f"{row['hito']}: fecha {row['fecha']} frente a {row['fecha_libro']} del capítulo, "
            f"nota {row['nota']!r}"
        )
