#!/usr/bin/env bash
# Runs the whole test suite: Rust unit and integration tests, then the
# real-client tests (python caldav, khal, todoman, vdirsyncer) against the
# built binary. Installs the Debian and Python packages the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test dependencies (apt: browser tests, htpasswd, nginx, strace)"
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v htpasswd >/dev/null || need+=(apache2-utils)
# The reverse-proxy test puts a real nginx in front (tests/python/test_nginx.py).
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
# The durability test watches the server's fsyncs (tests/it/durability.rs).
command -v strace >/dev/null || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null
fi

echo "== installing test dependencies (pip)"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    -r tests/python/requirements.txt

echo "== cargo build"
cargo build --locked

echo "== cargo clippy (warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings

echo "== cargo test"
cargo test --locked

echo "== pytest (real clients)"
python3 -m pytest tests/python -q
