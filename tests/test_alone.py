"""Cada cuaderno corre solo: copiado a una carpeta vacía, como lo abre Colab o un lector
que lo descarga, sin ningún archivo del repositorio al lado ni variables `BOOK_*`.

Dos modos, cada uno con nbval (las salidas exactas siguen comparándose) y, a la vez, en
otro camino de cálculo de la CPU que el de `make test`:

- **colab**: un módulo `google.colab` de imitación es importable, como en Colab; corre
  con `ATEN_CPU_CAPABILITY=default` (PyTorch sin SIMD) y NumPy sin sus extensiones
  despachadas (`NPY_DISABLE_CPU_FEATURES`);
- **local**: un Jupyter propio al que le falta `torchsummary` de verdad (un entorno
  virtual que ve los paquetes de `.venv` menos ese), de modo que la celda de instalación
  tiene que instalarlo con `%pip` para que el cuaderno siga; corre con
  `ATEN_CPU_CAPABILITY=avx2` si la CPU tiene AVX-512 (entonces, todos los cuadernos) y,
  si no, en el camino nativo y solo con los cuadernos que importan ese paquete (los
  demás repetirían exactamente `make test`).

FashionMNIST se siembra en `./data` de la carpeta (es lo que el cuaderno descargaría).
Junto a esa carpeta (no dentro) hay una carpeta `figures/`, la disposición del
repositorio: el cuaderno guarda allí sus figuras y la prueba las compara con las de
`figures/` con la tolerancia de tests/test_figures.py. Así la regresión de figuras
también se comprueba en los otros caminos de la CPU, sin ejecutar todo otra vez.
Estas pruebas llevan la marca `alone`: las ejecuta `make test-portable` (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import nbformat
import pytest

from conftest import CHAPTERS, ROOT
from test_figures import assert_regenerated_figure_matches, figure_names

pytestmark = pytest.mark.alone

NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
MISSING_PACKAGE = "torchsummary"
SEED_DATA = Path(os.environ.get("BOOK_DATA", ROOT / "data")) / "FashionMNIST" / "raw"
CPUINFO = Path("/proc/cpuinfo")
HAS_AVX512 = CPUINFO.exists() and "avx512f" in CPUINFO.read_text(errors="ignore").split()


def without_simd() -> dict[str, str]:
    """Variables que llevan PyTorch y NumPy a su camino sin extensiones SIMD."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return {"ATEN_CPU_CAPABILITY": "default", "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__)}


def other_native_path() -> dict[str, str]:
    """Con AVX-512 nativo, el camino AVX2 de PyTorch; si no, el nativo (ya es AVX2 o menos)."""
    return {"ATEN_CPU_CAPABILITY": "avx2"} if HAS_AVX512 else {}


@pytest.fixture(scope="session")
def colab_stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Carpeta con un paquete `google.colab` vacío, para PYTHONPATH."""
    folder = tmp_path_factory.mktemp("colab-stub")
    (folder / "google" / "colab").mkdir(parents=True)
    (folder / "google" / "__init__.py").write_text("")
    (folder / "google" / "colab" / "__init__.py").write_text('"""Imitación de google.colab."""\n')
    return folder


@pytest.fixture(scope="session")
def python_without_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Python de un entorno virtual nuevo que ve todo `.venv` salvo MISSING_PACKAGE.

    El entorno lee los paquetes de `.venv` a través de una carpeta de enlaces simbólicos
    (un archivo .pth la añade a sys.path) en la que no está MISSING_PACKAGE; lo que se
    instale con pip va a su propio site-packages.
    """
    root = tmp_path_factory.mktemp("jupyter-local")
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root / "venv")   # pip llega por el espejo
    python = root / "venv" / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    mirror = root / "paquetes-de-venv"
    mirror.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(MISSING_PACKAGE):
            (mirror / entry.name).symlink_to(entry)
    (Path(own_site) / "paquetes-de-venv.pth").write_text(f"{mirror}\n")
    return python


def runs_alone(notebook: Path, folder: Path, python: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Copia `notebook` a `folder` (con FashionMNIST en ./data si lo usa) y le pasa nbval.

    Crea también `folder/../figures`, donde el cuaderno guarda sus figuras.
    """
    folder.mkdir()
    (folder.parent / "figures").mkdir()
    copy = folder / notebook.name
    shutil.copy(notebook, copy)
    if "FashionMNIST" in notebook.read_text(encoding="utf-8"):
        raw = folder / "data" / "FashionMNIST" / "raw"
        raw.mkdir(parents=True)
        for archive in SEED_DATA.glob("*.gz"):
            shutil.copy(archive, raw)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOOK_", "PYTEST_", "PYTHONPATH", "ATEN_", "NPY_DISABLE"))}
    env.update(extra_env)
    command = [str(python), "-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-cell-timeout=600",
               "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"),
               "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "--rootdir", str(folder), copy.name]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_alone_as_in_colab(notebook: Path, tmp_path: Path, colab_stub: Path) -> None:
    result = runs_alone(notebook, tmp_path / "content", Path(sys.executable),
                        {"PYTHONPATH": str(colab_stub), **without_simd()})
    assert result.returncode == 0, f"{notebook.name} falla solo, como en Colab:\n{result.stdout[-4000:]}"
    assert not list((tmp_path / "content").glob("*.png")), "el cuaderno no debe escribir figuras junto a sí"
    assert_figures_match(notebook, tmp_path / "figures")


def assert_figures_match(notebook: Path, folder: Path) -> None:
    """Cada figura que el cuaderno guarda coincide con la de figures/, con su tolerancia."""
    md_path = notebook.with_suffix(".md")
    for name in figure_names(md_path):
        assert_regenerated_figure_matches(md_path, name, folder)


def needs_missing_package(notebook: Path) -> bool:
    """¿Está MISSING_PACKAGE en la lista REQUIRED de la primera celda del cuaderno?"""
    first_cell = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    return f'"{MISSING_PACKAGE}"' in first_cell.source


# El modo local aporta dos cosas: la instalación de lo que falta (solo en los cuadernos que
# lo importan) y, con AVX-512, otro camino de la CPU. Sin AVX-512, en los demás cuadernos
# repetiría el camino y los paquetes de `make test`, y el «solo en una carpeta vacía» ya lo
# cubre el modo Colab: no se ejecutan otra vez (ahorra un tercio de `make test-portable`).
LOCAL_NOTEBOOKS = [nb for nb in NOTEBOOKS if HAS_AVX512 or needs_missing_package(nb)]


@pytest.mark.parametrize("notebook", LOCAL_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_alone_in_a_local_jupyter_missing_a_package(
        notebook: Path, tmp_path: Path, python_without_package: Path) -> None:
    site = Path(subprocess.run([str(python_without_package), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    needs_it = needs_missing_package(notebook)
    if needs_it:   # la rama «instalar porque falta» se ejecuta de verdad
        shutil.rmtree(site / MISSING_PACKAGE, ignore_errors=True)
        for info in site.glob(f"{MISSING_PACKAGE}-*.dist-info"):
            shutil.rmtree(info)
        check = subprocess.run([str(python_without_package), "-c", f"import {MISSING_PACKAGE}"], capture_output=True)
        assert check.returncode != 0, f"{MISSING_PACKAGE} debería faltar en este entorno"
    result = runs_alone(notebook, tmp_path / "descargado", python_without_package, other_native_path())
    assert result.returncode == 0, f"{notebook.name} falla solo, en un Jupyter local:\n{result.stdout[-4000:]}"
    assert_figures_match(notebook, tmp_path / "figures")
    if needs_it:
        assert (site / MISSING_PACKAGE).is_dir(), f"la celda de instalación no instaló {MISSING_PACKAGE}"
