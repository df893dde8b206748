# Dos órdenes para todo: `make book` (sitio estático) y `make test` (todas las pruebas).
# Ambas crean .venv desde requirements.txt si falta o si requirements.txt cambió.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
BOOK_DATA ?= $(CURDIR)/data
export BOOK_DATA

.PHONY: book book-full test notebooks venv clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## make book: construye el sitio en _build/html. Las salidas vienen de los gemelos
## .ipynb ejecutados (sembrados en la caché); un capítulo cuyo .md cambió se re-ejecuta.
book: $(STAMP)
	$(BIN)/python tools/seed_cache.py
	$(BIN)/jupyter-book build . -W -n --keep-going

## make book-full: igual, pero con la caché vacía: ejecuta todos los cuadernos
book-full: $(STAMP)
	rm -rf .jupyter_cache _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . -W -n --keep-going

## make test: emparejamiento, nbval estricto, figuras regeneradas, sitio y enlaces
test: $(STAMP)
	$(BIN)/python -m pytest

## make notebooks: re-sincroniza cada .md con su .ipynb y lo ejecuta (guarda salidas y figuras)
notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py

clean:
	rm -rf _build .jupyter_cache
