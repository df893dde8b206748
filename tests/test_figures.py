"""Cada figura de figures/ la produce un cuaderno, y re-ejecutarlo la reproduce.

La comparación es la de matplotlib (`matplotlib.testing.compare.compare_images`): error
cuadrático medio (RMS) por píxel, en la escala 0-255, entre el PNG guardado y el
regenerado. Una figura que solo depende de las matemáticas y de NumPy se reproduce
igual en cualquier CPU, y su tolerancia es mínima (`RMS_TOLERANCE`). Las que dibujan un
entrenamiento o un muestreo de PyTorch cambian algo con el camino de la CPU
(AVX-512, AVX2, sin SIMD) aunque la semilla sea la misma: su tolerancia se fijó con la
dispersión medida entre esos caminos (`FLOATING_POINT_TOLERANCE`), y su contenido lo
comprueban los `assert` de los cuadernos. En una GPU cambian como en otra ejecución del
entrenamiento (`TRAINING_TOLERANCE`, medida con varias semillas). tests/test_figure_tolerance.py demuestra que,
aun así, borrar una curva, cambiar un color o mover un marcador hace fallar la prueba.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jupytext
import matplotlib.image as mpimg
import numpy as np
import pytest
import torch
from matplotlib.testing.compare import compare_images
from nbclient import NotebookClient

from conftest import FIGURES, REGENERATED, notebook_sources

SAVE_CALL = re.compile(r'save_figure\(\s*\w+\s*,\s*"([^"]+)"\s*\)')
RMS_TOLERANCE = 0.3             # figuras exactas: solo suavizado de bordes (antialiasing)
# En la CPU: figuras que dependen del orden de las operaciones de coma flotante. RMS máximo
# medido entre los caminos AVX-512, AVX2 y ATEN_CPU_CAPABILITY=default con la semilla del
# cuaderno (bench/training_spread.py; véase bench/README.md), con margen.
FLOATING_POINT_TOLERANCE = {
    "fig-01c-gan-anillo": 25.0,            # medido 16.9: la GAN amplifica el redondeo
    "fig-01d-vae-latente": 1.0,            # medido 0.20
    "fig-01f-flow-matching": 1.0,          # medido 0.003
    "fig-05a-gaussiana-ajustada": 1.0,     # medido 0.002
    "fig-05d-inicializacion": 1.5,         # medido 0.95
    "fig-06a-curvas-entrenamiento": 2.0,   # medido 1.22 (ambos paneles con escala fija)
}
# Con GPU (cuda o mps): las figuras que dibujan un entrenamiento cambian como cambiaría otra
# ejecución del entrenamiento, porque el orden de las sumas es otro y un entrenamiento
# amplifica esas diferencias. Su tolerancia es el RMS máximo medido entre 5 semillas de
# PyTorch con los mismos datos (los datos y el orden de los lotes salen de generadores en
# la CPU, iguales en cualquier dispositivo), con margen. Es una comparación gruesa: detecta
# una figura rota o de otro tamaño, no un detalle; el contenido lo comprueban los `assert`
# del cuaderno, cuyas franjas salen de la misma medida.
TRAINING_TOLERANCE = {
    "fig-01c-gan-anillo": 40.0,            # medido 32.0
    "fig-01d-vae-latente": 90.0,           # medido 73.4: otro plano latente
    "fig-01f-flow-matching": 16.0,         # medido 12.1
    "fig-01h-ddpm-2d": 16.0,               # medido 12.9
    "fig-06a-curvas-entrenamiento": 30.0,  # medido 23.0
    "fig-22-predicciones": 33.0,           # medido 26.3: otras probabilidades y aciertos
}
ACCELERATOR = torch.cuda.is_available() or torch.backends.mps.is_available()


def figure_names(md_path: Path) -> list[str]:
    """Nombres de figura que el cuaderno guarda con save_figure(fig, "nombre")."""
    return SAVE_CALL.findall(md_path.read_text(encoding="utf-8"))


@cache
def regenerate(md_path: Path) -> Path:
    """Carpeta con las figuras regeneradas del cuaderno (ejecutándolo si nbval no lo hizo).

    REGENERATED es una carpeta nueva en cada sesión: si ya contiene las figuras del
    cuaderno, las produjo la ejecución de nbval de esta misma sesión.
    """
    names = figure_names(md_path)
    if all((REGENERATED / f"{n}{s}").exists() for n in names for s in (".png", ".svg")):
        return REGENERATED
    notebook = jupytext.read(md_path)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(md_path.parent)}}).execute()
    return REGENERATED


def load_png(path: Path) -> np.ndarray:
    return mpimg.imread(path)[..., :3]


def all_figure_names() -> list[tuple[Path, str]]:
    return [(md, name) for md in notebook_sources() for name in figure_names(md)]


@pytest.mark.parametrize(("md_path", "name"), all_figure_names(),
                         ids=[n for _, n in all_figure_names()])
def test_figure_is_committed_in_png_and_svg(md_path: Path, name: str) -> None:
    for suffix in (".png", ".svg"):
        assert (FIGURES / f"{name}{suffix}").exists(), f"falta figures/{name}{suffix}"


def test_every_committed_figure_comes_from_a_notebook() -> None:
    produced = {name for _, name in all_figure_names()}
    committed = {p.stem for p in FIGURES.glob("*.png")} | {p.stem for p in FIGURES.glob("*.svg")}
    assert committed - produced == set(), "figuras sin cuaderno que las genere"


def test_figure_names_are_spanish_and_numbered_like_the_chapter() -> None:
    for _, name in all_figure_names():
        assert re.fullmatch(r"fig-\d{2}[a-z]?-[a-z0-9-]+", name), name


def test_figures_index_lists_every_figure() -> None:
    index = (FIGURES / "README.md").read_text(encoding="utf-8")
    for md_path, name in all_figure_names():
        assert name in index, f"figures/README.md no menciona {name}"
        assert md_path.name in index


def tolerance(name: str, accelerator: bool = ACCELERATOR) -> float:
    """RMS máximo (0-255) con el que la figura regenerada cuenta como la misma: la de
    entrenamiento si los cuadernos entrenaron en una GPU, si no la de la CPU."""
    if accelerator and name in TRAINING_TOLERANCE:
        return TRAINING_TOLERANCE[name]
    return FLOATING_POINT_TOLERANCE.get(name, RMS_TOLERANCE)


def test_training_tolerances_only_loosen_figures_drawn_from_training() -> None:
    names = {name for _, name in all_figure_names()}
    assert set(TRAINING_TOLERANCE) <= names
    for name in names:
        assert tolerance(name, accelerator=True) >= tolerance(name, accelerator=False), name


def regeneration_cases() -> list:
    """Un caso por figura, en el grupo de xdist de su cuaderno (el proceso que lo ejecutó)."""
    return [pytest.param(md, name, id=name, marks=pytest.mark.xdist_group(md.stem))
            for md, name in all_figure_names()]


@pytest.mark.parametrize(("md_path", "name"), regeneration_cases())
def test_figure_regenerates_within_tolerance(md_path: Path, name: str) -> None:
    assert_regenerated_figure_matches(md_path, name, regenerate(md_path))


def assert_regenerated_figure_matches(md_path: Path, name: str, folder: Path) -> None:
    """La figura `name` que el cuaderno escribió en `folder` es la de figures/ (con su tolerancia)."""
    new_png, old_png = folder / f"{name}.png", FIGURES / f"{name}.png"
    assert new_png.exists(), f"el cuaderno {md_path.name} ya no produce {name}.png"
    assert (folder / f"{name}.svg").exists(), f"el cuaderno {md_path.name} ya no produce {name}.svg"
    assert mpimg.imread(new_png).shape == mpimg.imread(old_png).shape, f"{name}.png cambió de tamaño"
    failure = compare_images(str(old_png), str(new_png), tol=tolerance(name), in_decorator=True)
    assert failure is None, f"{name}.png ya no es la figura guardada: {failure}"


def test_svg_files_carry_no_date_or_creator() -> None:
    """SVG reproducibles: sin fecha ni programa en los metadatos (svg.hashsalt fijo)."""
    for svg in FIGURES.glob("*.svg"):
        head = svg.read_text(encoding="utf-8")[:2000]
        assert "<dc:date>" not in head, f"{svg.name} guarda la fecha"


@pytest.mark.parametrize(("md_path", "name"), all_figure_names(),
                         ids=[n for _, n in all_figure_names()])
def test_figure_has_an_opaque_white_background(md_path: Path, name: str) -> None:
    """Legible también con el tema oscuro: fondo blanco y opaco en las cuatro esquinas."""
    image = mpimg.imread(FIGURES / f"{name}.png")
    corners = image[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert np.all(corners[:, :3] > 0.99), f"{name}.png no tiene fondo blanco"
    if image.shape[-1] == 4:
        assert np.all(image[..., 3] == 1.0), f"{name}.png tiene transparencias"


@pytest.mark.parametrize(("md_path", "name"), all_figure_names(),
                         ids=[n for _, n in all_figure_names()])
def test_figure_files_stay_small(md_path: Path, name: str) -> None:
    """Mapas de calor rasterizados dentro del SVG: ninguna figura pesa más de 1.5 MB."""
    for suffix in (".png", ".svg"):
        size = (FIGURES / f"{name}{suffix}").stat().st_size
        assert size < 1_500_000, f"{name}{suffix} pesa {size / 1e6:.1f} MB (¿rasterized=True?)"
