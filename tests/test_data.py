"""Sin red, la carga de FashionMNIST falla con una sola frase clara, no con una traza larga.

Se toma el código de la celda `load-data` (la misma en chapters/01-panorama.md y en
chapters/06-clasificacion.md), tal cual, y se ejecuta en un espacio de nombres limpio con
la red bloqueada.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.error import URLError

import jupytext
import pytest

from conftest import CHAPTERS

CHAPTER = CHAPTERS / "06-clasificacion.md"
RAW_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def load_data_source() -> str:
    """Código de la celda `load-data`: la misma, letra por letra, en 01 y en 06."""
    sources = {}
    for chapter in (CHAPTERS / "01-panorama.md", CHAPTER):
        cells = [c for c in jupytext.read(chapter).cells
                 if c.cell_type == "code" and "load-data" in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{chapter.name} debe tener exactamente una celda con la etiqueta load-data"
        sources[chapter.name] = cells[0].source
    assert len(set(sources.values())) == 1, "01 y 06 deben cargar FashionMNIST con la misma función"
    return sources[CHAPTER.name]


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cualquier intento de conexión falla al instante, como en una máquina sin red."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("red bloqueada por la prueba")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def load_fashion_mnist_from_cell(data: Path, monkeypatch: pytest.MonkeyPatch):
    """La función `load_fashion_mnist` de la celda, con BOOK_DATA apuntando a `data`."""
    from torchvision import datasets
    from torchvision.transforms import ToTensor

    monkeypatch.setenv("BOOK_DATA", str(data))
    namespace = {
        "DATA": Path(os.environ.get("BOOK_DATA", "data")),   # igual que la celda de importaciones
        "Path": Path,
        "URLError": URLError,
        "datasets": datasets,
        "ToTensor": ToTensor,
    }
    exec(compile(load_data_source(), str(CHAPTER), "exec"), namespace)
    return namespace["load_fashion_mnist"]


def assert_clear_error(error: pytest.ExceptionInfo[RuntimeError], data: Path) -> None:
    message = str(error.value)
    assert str(data.resolve()) in message, message
    assert "raw" in message and "conexión" in message, message   # qué hacer: red, o copiar los .gz
    assert "\n" not in message, "el mensaje debe ser una sola frase"
    assert error.value.__cause__ is None and error.value.__suppress_context__, "falta `from None`"


def test_empty_folder_without_network_gives_one_clear_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_fashion_mnist = load_fashion_mnist_from_cell(tmp_path, monkeypatch)
    block_network(monkeypatch)
    with pytest.raises(RuntimeError) as error:
        load_fashion_mnist(True)
    assert_clear_error(error, tmp_path)


def test_corrupted_archive_without_network_gives_one_clear_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_FILES:                       # descarga a medias: bytes que no son gzip
        (raw / name).write_bytes(b"\x1f\x8b esto no es un gzip completo")
    load_fashion_mnist = load_fashion_mnist_from_cell(tmp_path, monkeypatch)
    block_network(monkeypatch)
    with pytest.raises(RuntimeError) as error:
        load_fashion_mnist(True)
    assert_clear_error(error, tmp_path)
