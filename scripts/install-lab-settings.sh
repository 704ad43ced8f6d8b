#!/usr/bin/env bash
# JupyterLab settings for the course, installed into the virtual environment:
# - start the default kernel without asking (no "Select Kernel" dialog on first open);
# - render every cell (the course notebooks are short; off-screen cells still show their outputs);
# - no "news" pop-up asking about notifications;
# - hide nbgrader's instructor menus (nbgrader is installed for the tests and the classroom export,
#   not for learners; instructors re-enable it with `jupyter labextension enable @jupyter/nbgrader`).
set -euo pipefail
venv=${1:-.venv}
settings="$venv/share/jupyter/lab/settings"
mkdir -p "$settings" "$venv/etc/jupyter/labconfig"
cat > "$settings/overrides.json" <<'JSON'
{
  "@jupyterlab/notebook-extension:tracker": {
    "autoStartDefaultKernel": true,
    "windowingMode": "none"
  },
  "@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false",
    "checkForUpdates": false
  }
}
JSON
cat > "$venv/etc/jupyter/labconfig/page_config.json" <<'JSON'
{
  "disabledExtensions": {
    "@jupyter/nbgrader": true
  }
}
JSON
