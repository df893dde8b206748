# Dos órdenes para todo: `make book` (sitio estático) y `make test` (todas las pruebas).
# Ambas crean .venv desde requirements.txt si falta o si requirements.txt cambió.
# CI (.ci/run) añade `make test-portable`: cada cuaderno solo, copiado a una carpeta
# vacía (como Colab o una descarga), en otros caminos de cálculo de la CPU.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
BOOK_DATA ?= $(CURDIR)/data
export BOOK_DATA

# Pruebas en paralelo (pytest-xdist): las celdas de un cuaderno siguen juntas y en orden.
PYTEST := $(BIN)/python -m pytest -n auto --dist loadgroup

.PHONY: book book-full test test-portable notebooks reader-notebooks data colab-latest venv lock clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## make lock: vuelve a generar el candado universal requirements.txt desde requirements.in
lock: $(STAMP)
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip compile --universal --python-version 3.11 \
	  --custom-compile-command "make lock" --quiet requirements.in -o requirements.txt

## make book: construye el sitio en _build/html. Las salidas vienen de los gemelos
## .ipynb ejecutados (sembrados en la caché); un capítulo cuyo .md cambió se re-ejecuta.
book: $(STAMP)
	$(BIN)/python tools/seed_cache.py
	$(BIN)/jupyter-book build . --all -W -n --keep-going

## make book-full: igual, pero con la caché vacía: ejecuta todos los cuadernos
book-full: $(STAMP)
	rm -rf .jupyter_cache _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . --all -W -n --keep-going

## make test: emparejamiento, nbval estricto, figuras regeneradas, candado, sitio y enlaces
test: $(STAMP)
	$(PYTEST) -m "not alone"

## make test-portable: lo que CI añade a make test. Cada cuaderno copiado a una carpeta
## vacía: como en Colab (google.colab presente) con PyTorch y NumPy sin SIMD, y el 06 (o,
## con AVX-512, los seis en el camino AVX2) como un Jupyter local al que le falta torchsummary.
## En ambas pasa nbval y sus figuras se comparan con figures/ (tests/test_alone.py).
test-portable: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal -m alone tests/test_alone.py

## make notebooks: ejecuta cada .md (salidas y figuras) y guarda en chapters/*.ipynb su
## edición para lectores (markdown sin MyST, leyendas visibles; _ext/edicion_lectores.py)
notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py
	$(MAKE) reader-notebooks

## make reader-notebooks: solo la edición para lectores (tras cambiar texto, no código)
reader-notebooks: book
	cp _build/lectores/chapters/*.ipynb chapters/

## make data: descarga FashionMNIST con torchvision en $(BOOK_DATA) si falta (necesita red;
## sin red, copie los cuatro .gz en data/FashionMNIST/raw/, como hace .ci/run)
data: $(STAMP)
	$(BIN)/python -c "from torchvision import datasets; [datasets.FashionMNIST('$(BOOK_DATA)', train=t, download=True) for t in (True, False)]"

## make colab-latest: cada cuaderno de lectores, solo, con las últimas versiones (sin fijar)
## de lo que trae Colab, en .venv-latest. Comprueba que corren y que sus assert se cumplen,
## no que las salidas sean idénticas. Lo usa el flujo semanal colab-al-dia.yml.
LATEST := .venv-latest
colab-latest:
	@test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --disable-pip-version-check -q --upgrade \
	  torch torchvision numpy scipy matplotlib torchsummary tqdm nbclient nbformat ipykernel
	$(LATEST)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(LATEST)/bin/python -m pip list --disable-pip-version-check | grep -i -E '^(torch|torchvision|numpy|scipy|matplotlib) '
	$(LATEST)/bin/python tools/run_alone.py

clean:
	rm -rf _build .jupyter_cache
