#!/usr/bin/env bash
# Create .venv and install the locked requirements; reinstall only when the lock changes.
# Usage: scripts/bootstrap.sh [runtime|dev]
# Installs from requirements.lock (runtime) or requirements-dev.lock (dev, runtime
# included) with --require-hashes: every release pinned, every file checked against its
# sha256, nothing resolved at install time. scripts/lock-requirements.sh writes the locks
# from requirements.txt and requirements-dev.txt (docs/security.md).
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Workflow Island needs Python 3.11 or newer ($python is $("$python" --version 2>&1))." >&2
  exit 1
fi
sources=(requirements.txt)
lock=requirements.lock
if [ "$kind" = dev ]; then
  sources+=(requirements-dev.txt)
  lock=requirements-dev.lock
fi

# A pin of the .txt files that the lock does not hold means the lock is stale.
pins() {  # name==version, the name normalised as pip does (case, '.', '_' and '-' alike)
  grep -hoE '^[A-Za-z0-9._-]+==[^ ;\\]+' "$@" |
    awk -F'==' '{ name = tolower($1); gsub(/[._]+/, "-", name); print name "==" $2 }' | sort -u
}
stale="$(comm -23 <(pins "${sources[@]}") <(pins "$lock"))"
if [ -n "$stale" ]; then
  echo "$lock does not hold these pins of ${sources[*]}:" >&2
  echo "$stale" | sed 's/^/  /' >&2
  echo "Run scripts/lock-requirements.sh and commit the lock." >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
# A venv with the current dev lock installed holds the runtime too: installing the runtime
# lock over it would reinstall packages under processes already running from this venv
# (./run started by a test while the suite's workers run).
dev_stamp=".venv/.installed-dev"
if [ "$kind" != dev ] && [ -f requirements-dev.lock ] &&
  [ "$(cat "$dev_stamp" 2>/dev/null)" = "$(sha256sum requirements-dev.lock | cut -d' ' -f1)" ]; then
  exit 0
fi
stamp=".venv/.installed-$kind"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing locked requirements ($kind)..." >&2
  # The venv's own pip: an unpinned pip upgrade would be the one download without a hash.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r "$lock" >&2
  echo "$want" > "$stamp"
fi
