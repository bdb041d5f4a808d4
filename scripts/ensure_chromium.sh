#!/usr/bin/env bash
# The browser tests drive Debian's chromium. Install it with apt when missing and we are root; otherwise say why
# the browser tests will skip (under CI=true they fail instead: CI must run them).
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null && exit 0
  echo "apt-get could not install chromium." >&2
else
  echo "chromium is not installed and this user cannot apt-get it: the browser tests will skip." >&2
fi
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: the browser tests must run, so a missing chromium is a failure." >&2
  exit 1
fi
exit 0
