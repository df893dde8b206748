"""Cada figura de figures/ la produce un cuaderno, y re-ejecutarlo la reproduce."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jupytext
import matplotlib.image as mpimg
import numpy as np
import pytest
from nbclient import NotebookClient

from conftest import FIGURES, REGENERATED, notebook_sources

SAVE_CALL = re.compile(r'save_figure\(\s*\w+\s*,\s*"([^"]+)"\s*\)')
PNG_MEAN_TOLERANCE = 2 / 255    # diferencia media por canal permitida (antialiasing)
PNG_CHANGED_PIXELS = 0.005      # fracción máxima de píxeles con diferencia visible


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


@pytest.mark.parametrize(("md_path", "name"), all_figure_names(),
                         ids=[n for _, n in all_figure_names()])
def test_figure_regenerates_identically(md_path: Path, name: str) -> None:
    folder = regenerate(md_path)
    new_png, old_png = folder / f"{name}.png", FIGURES / f"{name}.png"
    assert new_png.exists(), f"el cuaderno {md_path.name} ya no produce {name}.png"
    new, old = load_png(new_png), load_png(old_png)
    assert new.shape == old.shape, f"{name}.png cambió de tamaño: {old.shape} → {new.shape}"
    difference = np.abs(new - old)
    assert difference.mean() <= PNG_MEAN_TOLERANCE, f"{name}.png difiere en promedio {difference.mean():.4f}"
    changed = np.mean(difference.max(axis=-1) > 0.1)
    assert changed <= PNG_CHANGED_PIXELS, f"{name}.png: {changed:.2%} de los píxeles cambió"
    new_svg = (folder / f"{name}.svg").read_bytes()
    assert new_svg == (FIGURES / f"{name}.svg").read_bytes(), f"{name}.svg no es determinista"


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
