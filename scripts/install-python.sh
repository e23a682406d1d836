#!/usr/bin/env bash
# Installs the Python package somnus (python/somnus) with its libsomnus.so into a
# virtual environment, offline: no pip, no PyPI. cffi, numpy and pandas come from Debian
# (scripts/install-deps.sh), which the environment sees through --system-site-packages.
#   scripts/install-python.sh [VENV [BUILD]]
#     VENV   the environment (default .venv; created with /usr/bin/python3 -m venv
#            --system-site-packages if it does not exist)
#     BUILD  the build folder holding libsomnus.so (default build/release; `make` builds it)
# Then: VENV/bin/python -c "import somnus; print(somnus.__version__)"
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
BUILD=${2:-build/release}
LIB="$BUILD/libsomnus.so"
[[ -f "$LIB" ]] || { echo "install-python: $LIB not found; run make first" >&2; exit 1; }
if [[ ! -x "$VENV/bin/python" ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf "$SITE/somnus"
mkdir -p "$SITE/somnus"
cp python/somnus/*.py "$SITE/somnus/"
cp "$LIB" "$SITE/somnus/libsomnus.so"
"$VENV/bin/python" -c 'import somnus; print("install-python: somnus", somnus.__version__, "in", somnus.__file__)'
