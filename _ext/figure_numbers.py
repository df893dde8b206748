"""Numera las figuras como el libro, no en el orden en que Sphinx las encuentra.

Las figuras del compañero se llaman `fig-NN-…` o `fig-NNx-…` (véase figures/README.md):

- `fig-20-muestra-fashionmnist` reproduce la figura 20 del capítulo y se numera
  «Figura 20», en su leyenda y en cada `{numref}` que la cite;
- `fig-06a-curvas-entrenamiento` es del compañero (página 06, letra a) y se numera
  «Figura 06a»: ceros a la izquierda y letra, imposible de confundir con una del libro.

Sphinx asigna los números en `env-get-updated` (TocTreeCollector); este manejador corre
después (prioridad 900) y los sustituye en `env.toc_fignumbers`, que usan tanto las
leyendas como `{numref}`.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

FIGURE_NAME = re.compile(r"^fig-(?P<number>\d{2})(?P<letter>[a-z]?)-")


def book_number(figure_id: str) -> tuple[int | str, ...] | None:
    """Número que muestra la figura `figure_id`, o None si no sigue el esquema de nombres."""
    match = FIGURE_NAME.match(figure_id)
    if not match:
        return None
    if match["letter"]:
        return (f"{match['number']}{match['letter']}",)    # del compañero: «06a»
    return (int(match["number"]),)                          # del libro: «20»


def renumber_figures(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Pone a cada figura con nombre `fig-…` el número del libro (o su etiqueta del compañero).

    Los ejercicios (sphinx-exercise) se numeran por página, 1, 2, 3…, en el orden en que
    aparecen, como los cuentan los comentarios «Solución del ejercicio N» del código; Sphinx
    los numeraría seguidos a lo largo del libro.
    """
    for numbers in env.toc_fignumbers.values():
        figures = numbers.get("figure", {})
        for figure_id in list(figures):
            number = book_number(figure_id)
            if number is not None:
                figures[figure_id] = number
        exercises = numbers.get("exercise", {})
        for position, exercise_id in enumerate(sorted(exercises, key=exercises.get), start=1):
            exercises[exercise_id] = (position,)
    return []


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("env-get-updated", renumber_figures, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
