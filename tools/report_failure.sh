#!/usr/bin/env bash
# Abre la issue «TÍTULO», o comenta en ella si ya está abierta, con el enlace a la ejecución
# que falló. Lo usan los flujos semanales (.github/workflows/colab-weekly.yml y links-weekly.yml)
# con el `gh` de las máquinas de GitHub y GH_TOKEN (permiso `issues: write` solo en ese trabajo).
#
# Uso: tools/report_failure.sh "TÍTULO" "URL de la ejecución" "qué mirar"
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "uso: $0 \"título\" \"url de la ejecución\" \"qué mirar\"" >&2
  exit 2
fi
title=$1
run_url=$2
hint=$3
body="Falló la ejecución $run_url ($(date -u +%Y-%m-%d)). $hint"

number=$(gh issue list --state open --search "in:title \"$title\"" --json number,title \
           --jq ".[] | select(.title == \"$title\") | .number" | head -n 1)
if [ -n "$number" ]; then
  gh issue comment "$number" --body "$body"
  echo "comentada la issue #$number"
else
  gh issue create --title "$title" --body "$body"
  echo "abierta una issue nueva: $title"
fi
