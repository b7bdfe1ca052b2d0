# Sourced by scripts/test: makes Debian's Chromium available for the browser
# tests. Installs the `chromium` package when it is missing and this machine can
# (root, or passwordless sudo, with apt-get); otherwise stops with a clear message,
# so browser tests never skip silently. CHROMIUM_PATH names another binary.
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  sudo=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = "0" ] || [ -n "$sudo" ]; }; then
    echo "installing Debian's chromium for the browser tests" >&2
    $sudo apt-get install -y -q chromium >&2 || { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q chromium >&2; }
  fi
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "The browser tests need Chromium at $CHROMIUM_PATH and it could not be installed here." >&2
    echo "Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary." >&2
    exit 1
  fi
fi
export CHROMIUM_PATH
