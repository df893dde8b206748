"""Mide, en una misma ejecución, la receta impresa del capítulo contra el camino en memoria.

Receta del capítulo (sección 1.2.2.3): `DataLoader` sobre FashionMNIST con `ToTensor()`
(cada imagen pasa por PIL), lotes de 32, MLP 784-4-10 que termina en `Softmax`, Adam por
defecto y `CrossEntropyLoss`, una época sobre el conjunto de entrenamiento.

Camino del cuaderno (chapters/06-clasificacion.md): el mismo modelo, la misma semilla y el
mismo presupuesto, pero con el conjunto entero como un tensor en el dispositivo y lotes
tomados con una permutación barajada.

Imprime los segundos por época de ambos, su cociente y la exactitud en el conjunto de
prueba de cada uno; además, como referencia, el mismo modelo devolviendo logits y el
modelo 784-128-10 del cuaderno. No es una prueba: los tiempos dependen de la máquina.

Uso: .venv/bin/python bench/classification.py [--epochs 1] [--threads 1]
Los datos se leen de $BOOK_DATA (por defecto, data/ en la raíz del repositorio).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BOOK_DATA", ROOT / "data"))
SEED = 0
BATCH_SIZE = 32
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
LOSS_FN = nn.CrossEntropyLoss()


def build_mlp(hidden_dim: int, softmax: bool) -> nn.Sequential:
    """MLP 784-hidden_dim-10 con ReLU, con o sin Softmax final (como en el cuaderno)."""
    layers = [nn.Flatten(), nn.Linear(784, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 10)]
    return nn.Sequential(*layers, nn.Softmax(dim=-1)) if softmax else nn.Sequential(*layers)


def synchronize() -> None:
    """Espera a que el dispositivo termine (los tiempos en GPU son asíncronos)."""
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()
    elif DEVICE.type == "mps":
        torch.mps.synchronize()


def train_with_loader(model: nn.Module, loader: DataLoader, epochs: int) -> float:
    """Receta del capítulo; devuelve segundos por época."""
    model.to(DEVICE).train()
    optimizer = torch.optim.Adam(model.parameters())
    synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            loss = LOSS_FN(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    synchronize()
    return (time.perf_counter() - start) / epochs


def train_in_memory(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                    epochs: int, batch_size: int) -> float:
    """Camino del cuaderno: tensores ya en DEVICE y lotes por índices; segundos por época."""
    model.to(DEVICE).train()
    optimizer = torch.optim.Adam(model.parameters())
    generator = torch.Generator().manual_seed(SEED)
    synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator).to(DEVICE)
        for idx in order.split(batch_size):
            loss = LOSS_FN(model(images[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    synchronize()
    return (time.perf_counter() - start) / epochs


@torch.no_grad()
def test_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Exactitud (%) en el conjunto de prueba."""
    model.eval()
    return 100 * (model(images).argmax(dim=-1) == labels).float().mean().item()


def as_tensors(dataset: datasets.FashionMNIST) -> tuple[torch.Tensor, torch.Tensor]:
    """Imágenes [N, 1, 28, 28] en [0, 1] (igual que ToTensor) y etiquetas, en DEVICE."""
    return (dataset.data.float() / 255).unsqueeze(1).to(DEVICE), dataset.targets.to(DEVICE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="épocas de cada entrenamiento de hidden_dim=4")
    parser.add_argument("--threads", type=int, default=1,
                        help="hilos de PyTorch en CPU (1, como el cuaderno; 0 = valor por defecto de PyTorch)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    train_set = datasets.FashionMNIST(DATA, train=True, download=True, transform=ToTensor())
    test_set = datasets.FashionMNIST(DATA, train=False, download=True, transform=ToTensor())
    train_images, train_labels = as_tensors(train_set)
    test_images, test_labels = as_tensors(test_set)

    print(f"dispositivo: {DEVICE} | CPU: {os.cpu_count()} núcleos, {torch.get_num_threads()} hilos de PyTorch"
          f" | torch {torch.__version__} | Python {platform.python_version()}")
    print(f"MLP 784-4-10, Adam por defecto, lotes de {BATCH_SIZE}, {args.epochs} época(s), semilla {SEED}\n")

    torch.manual_seed(SEED)
    chapter = build_mlp(4, softmax=True)
    loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                        generator=torch.Generator().manual_seed(SEED))
    loader_s = train_with_loader(chapter, loader, args.epochs)
    loader_acc = test_accuracy(chapter, test_images, test_labels)

    torch.manual_seed(SEED)
    same_model = build_mlp(4, softmax=True)
    memory_s = train_in_memory(same_model, train_images, train_labels, args.epochs, BATCH_SIZE)
    memory_acc = test_accuracy(same_model, test_images, test_labels)

    print(f"{'camino':<48}{'s/época':>9}{'exactitud en prueba':>22}")
    print(f"{'receta del capítulo (DataLoader, PIL, Softmax)':<48}{loader_s:>9.2f}{loader_acc:>20.1f} %")
    print(f"{'en memoria, mismo modelo (Softmax)':<48}{memory_s:>9.2f}{memory_acc:>20.1f} %")
    print(f"cociente: el camino en memoria es {loader_s / memory_s:.1f} veces más rápido\n")

    torch.manual_seed(SEED)
    logits = build_mlp(4, softmax=False)
    logits_s = train_in_memory(logits, train_images, train_labels, args.epochs, BATCH_SIZE)
    print(f"{'en memoria, logits (sin Softmax)':<48}{logits_s:>9.2f}"
          f"{test_accuracy(logits, test_images, test_labels):>20.1f} %")

    torch.manual_seed(SEED)
    wide = build_mlp(128, softmax=False)
    wide_s = train_in_memory(wide, train_images, train_labels, epochs=4, batch_size=64)
    print(f"{'784-128-10, logits, 4 épocas de lotes de 64':<48}{wide_s:>9.2f}"
          f"{test_accuracy(wide, test_images, test_labels):>20.1f} %   ({4 * wide_s:.1f} s en total)")


if __name__ == "__main__":
    main()
