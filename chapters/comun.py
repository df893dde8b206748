# @title Preparación común: estilo de las figuras, save_figure y thousands
# La misma celda en los seis cuadernos: estilo de las figuras, `save_figure` y el formato
# de los números. Las figuras se guardan solo si existe la carpeta figures/ del libro.
import os
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

FIGURES = Path(os.environ.get("BOOK_FIGURES", "../figures"))
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]  # Okabe-Ito
plt.rcParams.update({
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "font.size": 11,
    "svg.hashsalt": "capitulo-1",
    "path.simplify": False,          # sin simplificar trazos: la imagen no depende del redondeo
    "axes.prop_cycle": plt.cycler(color=PALETTE),
})


def save_figure(fig: Figure, name: str) -> None:
    """Guarda `fig` como PNG y SVG reproducibles en FIGURES, si la carpeta existe."""
    if "BOOK_FIGURES" in os.environ:
        FIGURES.mkdir(parents=True, exist_ok=True)
    if FIGURES.is_dir():
        fig.savefig(FIGURES / f"{name}.png", dpi=110, metadata={"Software": None})
        fig.savefig(FIGURES / f"{name}.svg", metadata={"Date": None, "Creator": None})


def thousands(n: float) -> str:
    """Número entero con los miles separados por un espacio fino, como recomienda la RAE
    (sin separar los de cuatro cifras): 12 760, 60 000, 1620."""
    if abs(n) < 10_000:
        return f"{n:.0f}"
    return f"{n:,.0f}".replace(",", "\u202f")
