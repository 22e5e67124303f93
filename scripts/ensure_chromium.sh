#!/bin/sh
# Make sure Debian's headless-capable Chromium is installed for the browser tests
# (tests/test_browser.py). Idempotent: does nothing when /usr/bin/chromium exists.
# Installing needs root (CI runners and the dev container are root; otherwise sudo is used).
set -eu

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure_chromium: /usr/bin/chromium is missing and we are not root (no sudo);" >&2
    echo "install it with: apt-get install -y chromium" >&2
    exit 1
fi

echo "ensure_chromium: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
test -x /usr/bin/chromium
