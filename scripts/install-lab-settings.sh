#!/usr/bin/env bash
# JupyterLab settings for the course, installed into the virtual environment:
# start the default kernel without asking (no "Select Kernel" dialog on first open).
set -euo pipefail
venv=${1:-.venv}
dir="$venv/share/jupyter/lab/settings"
mkdir -p "$dir"
cat > "$dir/overrides.json" <<'JSON'
{
  "@jupyterlab/notebook-extension:tracker": {
    "autoStartDefaultKernel": true
  }
}
JSON
