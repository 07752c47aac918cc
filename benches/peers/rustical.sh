#!/usr/bin/env bash
# Fetch and build RustiCal 0.15 (lennart-k/rustical) as a peer for benches/bench.rs.
#
# Usage: benches/peers/rustical.sh [WORKDIR]   (default WORKDIR=/work/scratch/rustical)
# Prints the path of the built binary on its last line; pass it as
#   cargo bench --bench bench -- --peer rustical=<that path>
#
# Sources: the bare mirrors /work/.mirror/lennart-k+rustical/repo and
# /work/.mirror/lennart-k+matchit-serde/repo when they exist (the session's `fetch`
# tool makes them); otherwise clones both from github.com (needs network). Crates
# come from crates.io through cargo as usual. RustiCal 0.15 declares rust-version
# 1.97; it builds with older stable compilers with --ignore-rust-version.
# Never run this from .ci/run: the build takes 6+ minutes on 2 cores.
set -euo pipefail

TAG=${RUSTICAL_TAG:-v0.15.0}
# The matchit-serde revision pinned by RustiCal 0.15's Cargo.toml.
MATCHIT_REV=${MATCHIT_REV:-e18e65d7}
WORK=${1:-/work/scratch/rustical}
MIRRORS=${MIRRORS:-/work/.mirror}

repo() { # repo <owner+name> <github path> -> prints a git dir
  local local_dir="$MIRRORS/$1/repo"
  if [ -d "$local_dir" ]; then
    echo "$local_dir"
  else
    local dst="$WORK/mirrors/$1.git"
    [ -d "$dst" ] || git clone --quiet --bare "https://github.com/$2" "$dst"
    echo "$dst"
  fi
}

RUSTICAL_GIT=$(repo lennart-k+rustical lennart-k/rustical)
MATCHIT_GIT=$(repo lennart-k+matchit-serde lennart-k/matchit-serde)

mkdir -p "$WORK"
if [ ! -f "$WORK/src/Cargo.toml" ]; then
  mkdir -p "$WORK/src" "$WORK/matchit-serde"
  git --git-dir="$RUSTICAL_GIT" archive "$TAG" | tar -x -C "$WORK/src"
  git --git-dir="$MATCHIT_GIT" archive "$MATCHIT_REV" | tar -x -C "$WORK/matchit-serde"
  # Point the git dependency at the local copy. A [patch] on the git source keeps
  # every workspace member's `matchit-serde.workspace = true` untouched.
  cat >>"$WORK/src/Cargo.toml" <<PATCH

[patch."https://github.com/lennart-k/matchit-serde"]
matchit-serde = { path = "$WORK/matchit-serde" }
PATCH
fi

cd "$WORK/src"
cargo build --release --ignore-rust-version --bin rustical >&2
echo "$WORK/src/target/release/rustical"
