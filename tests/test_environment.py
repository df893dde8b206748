"""El entorno: el libro se instala en cada plataforma prometida y cada cuaderno corre solo.

**El candado.** `requirements.txt` instala en cada plataforma que el README promete.

`requirements.in` lista las dependencias directas con versión exacta; `requirements.txt`
es el candado universal que `uv pip compile --universal` genera de él (`make lock`),
con marcadores de plataforma en lo que solo existe para Linux (las ruedas de CUDA).
Estas pruebas consultan el índice de paquetes (PyPI), sin descargar ninguna rueda.

**Cada cuaderno, solo.** Cada cuaderno corre solo: copiado a una carpeta vacía, como lo abre Colab o un lector
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
Estas dos pruebas llevan la marca `alone`: las ejecuta `make test-portable` (CI). El ejecutor es
tools/run_alone.py, el mismo de `make colab-latest`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import nbformat
import pytest

from support import CHAPTERS, ROOT, assert_regenerated_figure_matches, figure_names

sys.path.insert(0, str(ROOT / "tools"))
from run_alone import run_alone  # noqa: E402


# --- El candado universal ---------------------------------------------------------------

REQUIREMENTS_IN = ROOT / "requirements.in"
LOCK = ROOT / "requirements.txt"
# Plataformas y versiones de Python que el README declara. torch 2.14 publica ruedas
# para macOS 14 o posterior en Apple silicon, de ahí MACOSX_DEPLOYMENT_TARGET.
PLATFORMS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu",
             "aarch64-apple-darwin", "x86_64-pc-windows-msvc"]
PYTHONS = ["3.11", "3.12", "3.13"]
MACOS_MINIMUM = "14.0"
LINUX_ONLY = re.compile(r"^(nvidia-|cuda-|triton\b)", re.IGNORECASE)
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$")


def uv(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Ejecuta `uv` (el del entorno de las pruebas) sin descargar intérpretes."""
    executable = Path(sys.executable).with_name("uv")
    command = str(executable) if executable.exists() else shutil.which("uv")
    assert command, "falta uv: está en requirements.in, ejecute `make venv`"
    environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", **env}
    return subprocess.run([command, *args], capture_output=True, text=True, env=environment, cwd=ROOT)


def lock_pins() -> dict[str, str | None]:
    """Paquete → marcador (o None) de cada línea `nombre==versión` del candado."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line.strip()):
            pins[match["name"].lower()] = match["marker"]
    return pins


def test_direct_dependencies_are_exact_pins() -> None:
    lines = [line.split("#")[0].strip() for line in REQUIREMENTS_IN.read_text(encoding="utf-8").splitlines()]
    requirements = [line for line in lines if line]
    assert len(requirements) >= 10
    for requirement in requirements:
        assert PIN.match(requirement) and ";" not in requirement, f"no es un pin exacto: {requirement}"


def test_linux_only_packages_carry_a_linux_marker() -> None:
    pins = lock_pins()
    linux_only = {name: marker for name, marker in pins.items() if LINUX_ONLY.match(name)}
    assert linux_only, "el candado no tiene ruedas de CUDA: ¿se generó sin --universal?"
    for name, marker in linux_only.items():
        assert marker and "sys_platform == 'linux'" in marker, f"{name} se instalaría fuera de Linux"


def test_lock_is_up_to_date_with_requirements_in(tmp_path: Path) -> None:
    """Volver a compilar con `make lock` no cambia nada: el candado no está viejo."""
    fresh = tmp_path / "requirements.txt"
    shutil.copy(LOCK, fresh)   # mismas preferencias que el candado actual
    result = uv("pip", "compile", "--universal", "--python-version", "3.11", "--quiet",
                "--custom-compile-command", "make lock", str(REQUIREMENTS_IN), "-o", str(fresh))
    assert result.returncode == 0, result.stderr
    assert fresh.read_text(encoding="utf-8") == LOCK.read_text(encoding="utf-8"), (
        "requirements.txt no corresponde a requirements.in: ejecute `make lock`"
    )


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_lock_resolves_on_every_supported_platform(platform: str, python: str) -> None:
    result = uv("pip", "compile", "--quiet", "--python-platform", platform, "--python-version", python,
                str(LOCK), "-o", os.devnull, MACOSX_DEPLOYMENT_TARGET=MACOS_MINIMUM)
    assert result.returncode == 0, f"{platform}, Python {python}:\n{result.stderr[-2000:]}"


# --- Cada cuaderno, solo ------------------------------------------------------------------

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


@pytest.mark.alone
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_alone_as_in_colab(notebook: Path, tmp_path: Path, colab_stub: Path) -> None:
    result = run_alone(notebook, tmp_path / "content", extra_env={"PYTHONPATH": str(colab_stub), **without_simd()},
                       data=SEED_DATA)
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


@pytest.mark.alone
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
    result = run_alone(notebook, tmp_path / "descargado", python_without_package, other_native_path(), data=SEED_DATA)
    assert result.returncode == 0, f"{notebook.name} falla solo, en un Jupyter local:\n{result.stdout[-4000:]}"
    assert_figures_match(notebook, tmp_path / "figures")
    if needs_it:
        assert (site / MISSING_PACKAGE).is_dir(), f"la celda de instalación no instaló {MISSING_PACKAGE}"


def test_the_runner_passes_a_notebook_and_catches_a_failing_assert(tmp_path: Path) -> None:
    """tools/run_alone.py, el ejecutor de las pruebas portátiles y de `make colab-latest`,
    pasa un cuaderno que funciona y detecta un `assert` que falla (en modo laxo también)."""
    def notebook(name: str, *sources: str) -> Path:
        path = tmp_path / name
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
        return path

    good = notebook("bien.ipynb", "import math", "assert math.isclose(math.pi, 3.14159, rel_tol=1e-5)")
    broken = notebook("roto.ipynb", "x = 1 + 1", "assert x == 3, 'roto a propósito'")
    assert run_alone(good, tmp_path / "bien", strict=False).returncode == 0
    failing = run_alone(broken, tmp_path / "roto", strict=False)
    assert failing.returncode != 0 and "roto a propósito" in failing.stdout
    cli = subprocess.run([sys.executable, "tools/run_alone.py", str(good), str(broken)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 1 and "roto.ipynb: FALLA" in cli.stdout and "bien.ipynb: bien" in cli.stdout
