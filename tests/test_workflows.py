"""Los flujos de GitHub Actions: válidos, seguros y con órdenes que existen aquí.

Nadie puede ejecutarlos en esta máquina; se comprueban con las herramientas de quien los
ejecuta: el esquema oficial de flujos (`check-jsonschema --builtin-schema
vendor.github-workflows`) y el auditor de seguridad `zizmor --offline`, sin ningún
hallazgo de severidad media o alta. Además, cada `make X` de un paso `run:` es un
objetivo del Makefile, las acciones de terceros van fijadas a un commit, y cada flujo
pide solo los permisos que necesita.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))       # YAML 1.1 lee «on» como True
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def test_there_are_the_three_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["colab-al-dia.yml", "pruebas.yml", "publicar.yml"]


def test_workflows_follow_the_github_schema() -> None:
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_above_low() -> None:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", "--min-severity", "medium",
                             str(ROOT / ".github" / "workflows")], capture_output=True, text=True)
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:3000]
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_every_make_call_is_a_target_of_the_makefile(path: Path) -> None:
    calls = [m for step in steps(load(path)) for m in re.findall(r"\bmake ([a-z][\w-]*)", step.get("run", ""))]
    assert calls, f"{path.name} no llama a make"
    assert set(calls) <= make_targets(), set(calls) - make_targets()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_actions_are_pinned_to_a_commit_and_credentials_are_not_kept(path: Path) -> None:
    for step in steps(load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_the_test_workflow_runs_what_ci_runs_with_its_caches() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "pruebas.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    runs = [step["run"] for step in steps(workflow) if "run" in step]
    assert runs == ["make data", "make test", "make test-portable"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test\n" in ci and "make test-portable" in ci
    cached = {step["with"]["path"] for step in steps(workflow) if "actions/cache@" in step.get("uses", "")}
    assert cached == {"data", ".jupyter_cache"}
    setup = next(s for s in steps(workflow) if "actions/setup-python@" in s.get("uses", ""))
    assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"] == "requirements.txt"


def test_pages_are_deployed_with_the_official_actions_and_minimal_permissions() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "publicar.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {}
    build, deploy = workflow["jobs"]["construir"], workflow["jobs"]["desplegar"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("run") == "make book" for s in build["steps"])
    upload = next(s for s in build["steps"] if "upload-pages-artifact@" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    assert any("deploy-pages@" in s.get("uses", "") for s in deploy["steps"])
    assert deploy["environment"]["name"] == "github-pages"


def test_colab_drift_runs_weekly_and_on_demand_with_unpinned_packages() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "colab-al-dia.yml")
    assert "workflow_dispatch" in workflow["on"] and workflow["on"]["schedule"][0]["cron"].endswith("* * 1")
    assert any(s.get("run") == "make colab-latest" for s in steps(workflow))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ncolab-latest:", 1)[1].split("\n\n", 1)[0]
    for package in ("torch", "torchvision", "numpy", "scipy", "matplotlib"):
        assert re.search(rf"\s{package}(\s|$)", recipe), package          # sin «==»: la última
    assert "==" not in recipe and "--upgrade" in recipe and "tools/run_alone.py" in recipe


def test_run_alone_executes_a_notebook_and_catches_a_failing_assert(tmp_path: Path) -> None:
    """La herramienta del flujo semanal ejecuta un cuaderno solo y detecta un assert que falla."""
    import nbformat

    def notebook(name: str, *sources: str) -> Path:
        path = tmp_path / name
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
        return path

    good = notebook("bien.ipynb", "import math", "assert math.isclose(math.pi, 3.14159, rel_tol=1e-5)")
    broken = notebook("roto.ipynb", "x = 1 + 1", "assert x == 3, 'roto a propósito'")
    ok = subprocess.run([sys.executable, "tools/run_alone.py", str(good)], cwd=ROOT,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    failing = subprocess.run([sys.executable, "tools/run_alone.py", str(good), str(broken)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert failing.returncode == 1 and "roto a propósito" in failing.stdout and "roto.ipynb" in failing.stdout
