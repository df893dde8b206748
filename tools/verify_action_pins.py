"""Comprueba que cada acción de .github/action-pins.yml apunta al commit de su etiqueta.

Para cada `dueño/acción: {version, commit}` busca el commit de la etiqueta `version` en
GitHub (`git ls-remote`, con red) o, con `--mirrors CARPETA`, en una copia local del
repositorio (`CARPETA/dueño+acción/repo`, un repositorio git sin árbol de trabajo). Con
`--write`, antes de comprobar, reescribe la lista con lo que usan los flujos (tras aceptar un
pull request de Dependabot, que cambia el commit y la versión del comentario).

Uso: python tools/verify_action_pins.py [--mirrors /work/.mirror] [--write]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / ".github" / "action-pins.yml"
WORKFLOWS = ROOT / ".github" / "workflows"
USES = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})\s*#\s*(v[\w.-]+)")


def pins_in_workflows() -> dict[str, dict[str, str]]:
    """{acción: {version, commit}} tal como la fijan los flujos; falla si dos flujos discrepan."""
    found: dict[str, dict[str, str]] = {}
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        for action, commit, version in USES.findall(workflow.read_text(encoding="utf-8")):
            pin = {"version": version, "commit": commit}
            if found.setdefault(action, pin) != pin:
                sys.exit(f"{action} está fijada de dos maneras en los flujos: {found[action]} y {pin}")
    return found


def tag_commit(action: str, version: str, mirrors: Path | None) -> str | None:
    """El commit al que apunta la etiqueta (desreferenciada si es anotada), o None si no existe."""
    if mirrors is not None:
        repo = mirrors / action.replace("/", "+") / "repo"
        result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{version}^{{commit}}"],
                                capture_output=True, text=True)
        return result.stdout.strip() or None
    result = subprocess.run(["git", "ls-remote", f"https://github.com/{action}", f"refs/tags/{version}",
                             f"refs/tags/{version}^{{}}"], capture_output=True, text=True, check=True)
    refs = dict(line.split("\t")[::-1] for line in result.stdout.splitlines())
    return refs.get(f"refs/tags/{version}^{{}}") or refs.get(f"refs/tags/{version}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, help="carpeta con copias locales de los repositorios de las acciones")
    parser.add_argument("--write", action="store_true", help="reescribe la lista con lo que usan los flujos")
    args = parser.parse_args(argv)
    if args.write:
        header = "".join(line for line in PINS.read_text(encoding="utf-8").splitlines(keepends=True)
                         if line.startswith("#"))
        body = "".join(f"{action}: {{version: {pin['version']}, commit: {pin['commit']}}}\n"
                       for action, pin in pins_in_workflows().items())
        PINS.write_text(header + body, encoding="utf-8")
    problems = []
    for action, pin in yaml.safe_load(PINS.read_text(encoding="utf-8")).items():
        commit = tag_commit(action, pin["version"], args.mirrors)
        status = "bien" if commit == pin["commit"] else f"NO: la etiqueta apunta a {commit}"
        print(f"{action} {pin['version']} {pin['commit'][:12]}: {status}")
        if commit != pin["commit"]:
            problems.append(action)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
