#!/usr/bin/env bash
# Create .venv and install the pinned requirements; reinstall only when they change.
# Usage: scripts/bootstrap.sh [runtime|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Workflow Island needs Python 3.11 or newer ($python is $("$python" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
files=(requirements.txt)
[ "$kind" = dev ] && files+=(requirements-dev.txt)
stamp=".venv/.installed-$kind"
want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing pinned requirements ($kind)..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  for f in "${files[@]}"; do
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$f" >&2
  done
  echo "$want" > "$stamp"
fi
