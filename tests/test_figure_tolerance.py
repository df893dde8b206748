"""La tolerancia de la comparación de figuras deja pasar el redondeo y no un cambio real.

Para cada figura guardada se fabrican, sobre su propio PNG, tres cambios que un error de
código produciría (con la tolerancia de la CPU; la de una GPU, `TRAINING_TOLERANCE`, es la
de otra ejecución del entrenamiento y no pretende verlos): **quitar una curva** (los píxeles de su color pasan a blanco),
**cambiar un color** (esos píxeles toman otro color de la paleta) y **mover un marcador**
(un recuadro pequeño alrededor de una marca se desplaza unos píxeles). La comparación de
tests/test_figures.py, con la tolerancia de esa figura, tiene que rechazar cada uno (el
marcador movido, en todas salvo fig-01c, cuya tolerancia es 25).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.testing.compare import compare_images

from conftest import FIGURES
from test_figures import all_figure_names, tolerance

PALETTE = np.array([[0x00, 0x72, 0xB2], [0xE6, 0x9F, 0x00], [0x00, 0x9E, 0x73],
                    [0xCC, 0x79, 0xA7], [0x56, 0xB4, 0xE9], [0xD5, 0x5E, 0x00]]) / 255
MARKER_BOX = 9       # medio lado del recuadro que se mueve (píxeles)
MARKER_SHIFT = 8     # desplazamiento del marcador (píxeles), como un dato mal colocado
FIGURE_NAMES = [name for _, name in all_figure_names()]


def load_rgb(name: str) -> np.ndarray:
    return mpimg.imread(FIGURES / f"{name}.png")[..., :3]


@cache
def figure_and_series(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PNG guardado de la figura, color de su serie más visible y máscara de sus píxeles."""
    image = load_rgb(name)
    return (image, *series_mask(image))


def dominant_palette_color(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """El color de la paleta con más píxeles en la figura y la máscara de esos píxeles."""
    distances = np.linalg.norm(image[:, :, None, :] - PALETTE[None, None], axis=-1)
    masks = distances < 0.12
    counts = masks.sum(axis=(0, 1))
    best = int(np.argmax(counts))
    return PALETTE[best], masks[..., best]


def saturated_mask(image: np.ndarray) -> np.ndarray:
    """Píxeles con color (ni blanco, ni negro, ni gris): curvas, marcadores, mapas."""
    return (image.max(axis=-1) - image.min(axis=-1)) > 0.25


def series_mask(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Píxeles de la serie más visible: un color de la paleta, si no cualquier color, y en
    una figura en escala de grises, la tinta oscura (las imágenes que muestra)."""
    color, mask = dominant_palette_color(image)
    if mask.sum() >= 200:
        return color, mask
    for candidate in (saturated_mask(image), image.mean(axis=-1) < 0.5):
        if candidate.sum() >= 200:
            return np.median(image[candidate], axis=0), candidate
    raise AssertionError("la figura no tiene ninguna serie que alterar")


def compare(name: str, mutated: np.ndarray, tmp_path: Path) -> dict | None:
    path = tmp_path / f"{name}-alterada.png"
    mpimg.imsave(path, np.clip(mutated, 0, 1))
    return compare_images(str(FIGURES / f"{name}.png"), str(path), tol=tolerance(name, accelerator=False),
                          in_decorator=True)


@pytest.mark.parametrize("name", FIGURE_NAMES)
def test_removing_a_curve_is_caught(name: str, tmp_path: Path) -> None:
    image, _, mask = figure_and_series(name)
    mutated = image.copy()
    mutated[mask] = 1.0
    assert compare(name, mutated, tmp_path) is not None, f"{name}: borrar una serie pasa la prueba"


@pytest.mark.parametrize("name", FIGURE_NAMES)
def test_changing_a_colour_is_caught(name: str, tmp_path: Path) -> None:
    image, color, mask = figure_and_series(name)
    other = PALETTE[np.argmax(np.linalg.norm(PALETTE - color, axis=-1))]   # el más distinto
    mutated = image.copy()
    mutated[mask] = other
    assert compare(name, mutated, tmp_path) is not None, f"{name}: cambiar un color pasa la prueba"


@pytest.mark.parametrize("name", [n for n in FIGURE_NAMES if tolerance(n, accelerator=False) <= 2])
def test_moving_a_marker_is_caught(name: str, tmp_path: Path) -> None:
    """Se mueve el recuadro con más tinta de la serie: un marcador o un tramo de curva.

    No se pide a fig-01c: entre dos CPUs los puntos de la GAN ya se mueven unos píxeles
    (es la dispersión medida); ahí manda el `assert` de los modos cubiertos del cuaderno.
    """
    image, _, mask = figure_and_series(name)
    b = MARKER_BOX
    counts = np.cumsum(np.cumsum(np.pad(mask, ((1, 0), (1, 0))), axis=0), axis=1)
    window = counts[2 * b:, 2 * b:] - counts[:-2 * b, 2 * b:] - counts[2 * b:, :-2 * b] + counts[:-2 * b, :-2 * b]
    row, col = np.unravel_index(np.argmax(window), window.shape)
    row = min(max(row, MARKER_SHIFT), image.shape[0] - 2 * b - MARKER_SHIFT)
    box = image[row:row + 2 * b, col:col + 2 * b].copy()
    mutated = image.copy()
    mutated[row:row + 2 * b, col:col + 2 * b] = 1.0
    mutated[row + MARKER_SHIFT:row + MARKER_SHIFT + 2 * b, col:col + 2 * b] = box
    assert compare(name, mutated, tmp_path) is not None, f"{name}: mover un marcador pasa la prueba"
