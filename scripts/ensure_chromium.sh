#!/usr/bin/env bash
# The browser tests drive Debian's chromium (plus an emoji font, so screenshots show the page icons). Install them
# with apt when missing and we are root; otherwise say why the browser tests will skip (under CI=true they fail
# instead: CI must run them).
set -u
has_chromium() { command -v chromium >/dev/null 2>&1; }
has_emoji_font() { fc-list 2>/dev/null | grep -qi "color emoji"; }

if has_chromium && has_emoji_font; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium and fonts-noto-color-emoji for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
if has_chromium; then
  exit 0
fi
echo "chromium is not installed and could not be installed here (needs root and apt): the browser tests will skip." >&2
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: the browser tests must run, so a missing chromium is a failure." >&2
  exit 1
fi
exit 0
