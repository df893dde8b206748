# Carga de FashionMNIST, la misma en los cuadernos 01 y 06 del compañero. Usa DATA, datasets,
# ToTensor y URLError de la celda de importaciones.
def load_fashion_mnist(train: bool) -> datasets.FashionMNIST:
    """FashionMNIST (entrenamiento o prueba) desde DATA, descargándolo si falta."""
    try:
        return datasets.FashionMNIST(root=DATA, train=train, download=True, transform=ToTensor())
    except (URLError, RuntimeError, OSError):
        raw = (DATA / "FashionMNIST" / "raw").resolve()
        raise RuntimeError(
            f"No se pudo descargar ni leer FashionMNIST en {DATA.resolve()}: compruebe la conexión "
            f"a internet y vuelva a ejecutar esta celda, o copie los cuatro archivos .gz oficiales en {raw}."
        ) from None
