"""`requirements.txt` instala en cada plataforma que el README promete.

`requirements.in` lista las dependencias directas con versión exacta; `requirements.txt`
es el candado universal que `uv pip compile --universal` genera de él (`make lock`),
con marcadores de plataforma en lo que solo existe para Linux (las ruedas de CUDA).
Estas pruebas consultan el índice de paquetes (PyPI), sin descargar ninguna rueda.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

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
