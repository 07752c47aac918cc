#!/usr/bin/env bash
# Runs the whole test suite: Rust unit and integration tests, then the
# real-client tests (python caldav, khal, todoman, vdirsyncer) against the
# built binary. Installs the Python packages the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test dependencies (pip)"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    -r tests/python/requirements.txt

echo "== cargo build"
cargo build --locked

echo "== cargo test"
cargo test --locked

echo "== pytest (real clients)"
python3 -m pytest tests/python -q
