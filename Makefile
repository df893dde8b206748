# Dos órdenes para todo: `make book` (sitio estático) y `make test` (todas las pruebas).
# Ambas crean .venv desde requirements.txt si falta o si requirements.txt cambió.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
BOOK_DATA ?= $(CURDIR)/data
export BOOK_DATA

.PHONY: book test notebooks venv clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## make book: construye el sitio en _build/html (ejecuta los cuadernos con caché)
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

## make test: emparejamiento, nbval estricto, figuras regeneradas, sitio y enlaces
test: $(STAMP)
	$(BIN)/python -m pytest

## make notebooks: re-sincroniza cada .md con su .ipynb y lo ejecuta (guarda salidas y figuras)
notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py

clean:
	rm -rf _build .jupyter_cache
