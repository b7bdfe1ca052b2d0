# Sourced by scripts/start and scripts/test: makes the pinned Bun available and
# installs the locked dependencies. Needs only Node and npm on the machine.
set -euo pipefail
BUN_VERSION="1.4.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if ! command -v bun >/dev/null 2>&1 || [ "$(bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  if [ ! -x "$ROOT/.tools/node_modules/.bin/bun" ] || [ "$("$ROOT/.tools/node_modules/.bin/bun" --version)" != "$BUN_VERSION" ]; then
    echo "installing bun $BUN_VERSION from npm into .tools/" >&2
    npm install --prefix "$ROOT/.tools" --no-save --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" >&2
  fi
  export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
fi

bun install --frozen-lockfile >&2
