# Modelos generativos profundos — capítulo 1 ejecutable. `make help` lista las órdenes.
# `make book` y `make test` crean .venv desde requirements.txt (y node_modules desde
# package-lock.json, con el node de PyPI) si faltan o si cambiaron.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
BOOK_DATA ?= $(CURDIR)/data
export BOOK_DATA

# Una sola orden de pytest (pytest-xdist: las celdas de un cuaderno van juntas y en orden).
PYTEST := $(BIN)/python -m pytest -n auto
BUILD  := $(BIN)/jupyter-book build . --all -W -n --keep-going

.DEFAULT_GOAL := help
.PHONY: help book book-full test test-portable ci data colab-image colab-latest linkcheck venv lock clean

help: ## Esta lista
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

book: $(STAMP) ## El sitio en _build/html y los cuadernos de lectores chapters/*.ipynb (ejecuta solo los capítulos cuyo código cambió)
	$(BUILD)

book-full: $(STAMP) ## Como book, con la caché vacía y sin sembrarla: ejecuta los seis capítulos
	rm -rf .jupyter_cache _build/html _build/.doctrees _build/jupyter_execute
	READER_EDITION_COLD_START=1 $(BUILD)

test: $(STAMP) ## Todas las comprobaciones: cuadernos (nbval), figuras, sitio, publicación y entorno
	$(PYTEST) --dist loadgroup -m "not alone"

test-portable: $(STAMP) ## Cada cuaderno solo, como en Colab y en un Jupyter propio, en otros caminos de la CPU
	$(PYTEST) --dist worksteal -m alone

ci: test test-portable ## Lo que ejecutan .ci/run y el flujo de pruebas de GitHub

data: $(STAMP) ## FashionMNIST en $(BOOK_DATA), con torchvision (necesita red)
	$(BIN)/python -c "from torchvision import datasets; [datasets.FashionMNIST('$(BOOK_DATA)', train=t, download=True) for t in (True, False)]"

# La vigilancia semanal de Colab (.github/workflows/colab-weekly.yml). Como un lector: cada
# cuaderno solo, sin BOOK_DATA (tools/run_alone.py quita las BOOK_*), sin torchsummary (lo
# instala la primera celda) y descargando FashionMNIST; COLAB_DATA=carpeta/de/los/gz lo copia
# en su lugar, para una máquina sin red. Los cuadernos que fallan quedan, ejecutados, en _build/colab.
COLAB_IMAGE ?= us-docker.pkg.dev/colab-images/public/runtime
COLAB_OUT   := _build/colab
COLAB_ARGS   = --without torchsummary --out $(COLAB_OUT) $(if $(COLAB_DATA),--data $(COLAB_DATA))
colab-image: ## Cada cuaderno de lectores, solo, dentro de la imagen pública de Colab (docker)
	mkdir -p $(COLAB_OUT)
	docker run --rm --volume "$(CURDIR)":/libro --workdir /libro --entrypoint /bin/bash $(COLAB_IMAGE) -c \
	  'python3 -m pip install --quiet nbval pytest pyyaml && python3 -m pip freeze > $(COLAB_OUT)/versiones.txt \
	   && python3 tools/run_alone.py $(COLAB_ARGS)'

LATEST := .venv-latest
colab-latest: ## Lo mismo, en un entorno nuevo con las últimas versiones de PyPI de lo que trae Colab
	@test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --disable-pip-version-check -q --upgrade \
	  torch torchvision numpy scipy matplotlib tqdm pytest nbval nbconvert ipykernel pyyaml
	$(LATEST)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(LATEST)/bin/python -m pip list --disable-pip-version-check | grep -i -E '^(torch|torchvision|numpy|scipy|matplotlib) '
	env -u BOOK_DATA $(LATEST)/bin/python tools/run_alone.py $(COLAB_ARGS)

linkcheck: $(STAMP) ## Los enlaces externos del libro (referencias, Colab, repositorio); necesita red
	$(BIN)/jupyter-book build . --builder linkcheck --path-output _build/enlaces

venv: $(STAMP) ## Solo el entorno: .venv y node_modules (KaTeX)

$(STAMP): requirements.txt package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

lock: $(STAMP) ## Vuelve a generar el candado universal requirements.txt desde requirements.in
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip compile --universal --python-version 3.11 \
	  --custom-compile-command "make lock" --quiet requirements.in -o requirements.txt

clean: ## Borra _build y la caché de ejecución
	rm -rf _build .jupyter_cache
