# Dos órdenes para todo: `make book` (sitio estático) y `make test` (todas las pruebas).
# Ambas crean .venv desde requirements.txt si falta o si requirements.txt cambió.
# CI (.ci/run) añade `make test-portable`: los cuadernos en otros caminos de la CPU y
# cada cuaderno solo, copiado a una carpeta vacía (como Colab o una descarga).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
BOOK_DATA ?= $(CURDIR)/data
export BOOK_DATA

# Pruebas en paralelo (pytest-xdist): las celdas de un cuaderno siguen juntas y en orden.
PYTEST := $(BIN)/python -m pytest -n auto --dist loadgroup
# Caminos de la CPU además del nativo: PyTorch sin SIMD (y NumPy sin sus extensiones
# despachadas); con AVX-512 nativo, también AVX2.
CAPABILITIES ?= default $(if $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo y),avx2)
NUMPY_DISPATCH = $$($(BIN)/python -c 'from numpy._core._multiarray_umath import __cpu_dispatch__ as d; print(" ".join(d))')

.PHONY: book book-full test test-portable test-capabilities test-alone notebooks venv lock clean

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
	$(BIN)/jupyter-book build . -W -n --keep-going

## make book-full: igual, pero con la caché vacía: ejecuta todos los cuadernos
book-full: $(STAMP)
	rm -rf .jupyter_cache _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . -W -n --keep-going

## make test: emparejamiento, nbval estricto, figuras regeneradas, candado, sitio y enlaces
test: $(STAMP)
	$(PYTEST) -m "not alone"

## make test-portable: lo que CI añade a make test (véase el README); las dos partes
## son independientes y corren a la vez
test-portable: $(STAMP)
	$(MAKE) --no-print-directory -j2 test-capabilities test-alone

## nbval y figuras con otros núcleos de cálculo de PyTorch y NumPy en la misma máquina
test-capabilities: $(STAMP)
	@for cap in $(CAPABILITIES); do \
	  echo "== ATEN_CPU_CAPABILITY=$$cap"; \
	  if [ "$$cap" = default ]; then export NPY_DISABLE_CPU_FEATURES="$(NUMPY_DISPATCH)"; fi; \
	  ATEN_CPU_CAPABILITY=$$cap $(PYTEST) chapters tests/test_figures.py || exit 1; \
	done

## cada cuaderno copiado a una carpeta vacía, como Colab (google.colab presente) y como
## un Jupyter local al que le falta torchsummary
test-alone: $(STAMP)
	$(PYTEST) -m alone tests/test_alone.py

## make notebooks: re-sincroniza cada .md con su .ipynb y lo ejecuta (guarda salidas y figuras)
notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py

clean:
	rm -rf _build .jupyter_cache
