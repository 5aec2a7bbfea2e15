#!/usr/bin/env bash
# Makes .venv with Python 3.10 and installs the locked dependency set.
# Rasa 3.6.21 supports Python <3.11 only, and the machine's default python3 is newer,
# so the interpreter is looked up explicitly rather than taken from PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3.10; return
  fi
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in "$root"/versions/3.10.*/bin/python3.10; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python=$(find_python310) || {
    echo "Borgerhjælp needs Python 3.10 (Rasa 3.6 does not run on 3.11+)." >&2
    echo "Install it (for example 'pyenv install 3.10') or put python3.10 on PATH, then run make again." >&2
    exit 1
  }
  echo "Creating .venv with $python"
  "$python" -m venv .venv
fi

# uv installs the lock exactly as written: no resolution, no drift, and minutes faster than pip.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
start=$(date +%s)
.venv/bin/uv pip sync --python .venv/bin/python requirements.lock
# The project itself, editable, so Rasa finds bot.nlu components and actions by module path.
.venv/bin/uv pip install --python .venv/bin/python --no-deps -e .
echo "Dependencies installed in $(( $(date +%s) - start )) s"
