#!/usr/bin/env bash
# Pin every release the project installs, with the sha256 of each of its files
# (docs/security.md, "Dependencies"): requirements.lock from requirements.txt, and
# requirements-dev.lock from requirements-dev.txt (which includes it), transitive
# dependencies included. Run it after changing either .txt file and commit the locks:
# scripts/bootstrap.sh installs only from them, with --require-hashes, and refuses a lock
# that does not hold a pin of the .txt files.
# Needs uv (UV=/path/to/uv, or uv on PATH: `pip install uv==0.13.10`).
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-uv}"
if ! command -v "$uv" >/dev/null; then
  echo "scripts/lock-requirements.sh needs uv: pip install uv==0.13.10 (or set UV)." >&2
  exit 1
fi
# Python 3.11, the oldest the project supports, so markers such as redis's
# async-timeout (before 3.11.3) are in; hashes cover every platform's files.
for pair in "requirements.txt requirements.lock" "requirements-dev.txt requirements-dev.lock"; do
  read -r source lock <<<"$pair"
  "$uv" pip compile "$source" --generate-hashes --python-version 3.11 --quiet \
    --custom-compile-command "scripts/lock-requirements.sh" --output-file "$lock"
done
