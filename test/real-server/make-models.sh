#!/usr/bin/env bash
# Writes the tiny random-weights GGUF models the real-server tests load into <cache>/models, with
# make-model.py and the llama.cpp tree that build-llama-server.sh unpacked (gguf-py, the Qwen2
# vocabulary, real chat templates). Idempotent: a model is rewritten only when its recipe (the line
# below or make-model.py) changed. Adapted from the lab recipe real-llama-server-recipe/make-models.sh.
#
# usage: bash test/real-server/make-models.sh       env: LMR_LLAMA_CACHE, FORCE=1, SETUP_SKIP_APT=1,
#        ONLY=<name> (that model alone)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=$(node -p "require('$HERE/pin.json').nodeLlamaCpp")
CACHE=${LMR_LLAMA_CACHE:-$ROOT/.cache/llama-server-$VERSION}
SRC=$CACHE/src/llama.cpp
OUT=$CACHE/models
PY=${PYTHON:-python3}

# The tools models never pick these (Codex's other function tools, the verifier's read_file): their
# call is exec_command, which Codex runs.
NOT_EXEC=write_stdin,request_user_input,view_image,read_file
# The MCP model picks none of Codex's own function tools (its MCP resource tools included): where an
# MCP server's tool is offered it calls that.
NOT_CODEX=exec_command,list_mcp_resources,list_mcp_resource_templates,read_mcp_resource,$NOT_EXEC
# name            make-model.py arguments (what the model is for)
MODELS=(
  "tiny-chat          --behavior chat  --template qwen25"                                  # short text replies, Qwen2.5 template (tools capable)
  "tiny-tools         --behavior tools --template qwen25 --avoid-tools $NOT_EXEC --one-argument" # writes <tool_call>: the server's grammar makes a real call (to exec_command)
  "tiny-strict        --behavior chat  --template strict"                                  # Qwen3.5 template: 500 "System message must be at the beginning."
  "tiny-strict-tools  --behavior tools --template strict --xml-close --avoid-tools $NOT_EXEC --one-argument" # the same template, biased to call tools (XML arguments that end)
  "tiny-endless       --behavior chat  --template qwen25 --eos-bias -100"                  # never ends a reply: a generation that is still running
  "tiny-mcp           --behavior tools --template qwen25 --avoid-tools $NOT_CODEX --one-argument" # calls the MCP server's tool when the model sees it (through the bridge)
  "tiny-merge         --behavior chat  --template templates/qwen3.5-merged-system.jinja"   # Qwen3.5 joining its leading system messages: a later one still raises
  "tiny-view-image    --behavior tools --template qwen25 --prefer-tool view_image --string-value z.png --one-argument" # calls view_image on z.png (the test writes that picture)
)

[ -f "$SRC/gguf-py/gguf/__init__.py" ] || { echo "make-models: no llama.cpp tree at $SRC: run test/real-server/build-llama-server.sh first" >&2; exit 1; }
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  if [ "${SETUP_SKIP_APT:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-numpy >/dev/null
  fi
  # Debian's numpy belongs to Debian's python3, which may not be the first python3 on PATH (pyenv).
  if ! "$PY" -c 'import numpy' 2>/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then PY=/usr/bin/python3; fi
  "$PY" -c 'import numpy' || { echo "make-models: python3 needs numpy (apt-get install python3-numpy)" >&2; exit 1; }
fi

mkdir -p "$OUT"
maker_sum=$(sha256sum "$HERE/make-model.py" | cut -c1-16)
t0=$(date +%s)
for spec in "${MODELS[@]}"; do
  read -r name args <<<"$spec"
  [ -z "${ONLY:-}" ] || [ "$name" = "$ONLY" ] || continue
  stamp="$args make-model.py=$maker_sum"
  # A template of this folder (templates/…) is named relative to it; its content is part of the recipe.
  if [[ $args =~ (templates/[^ ]+) ]]; then
    stamp="$stamp ${BASH_REMATCH[1]}=$(sha256sum "$HERE/${BASH_REMATCH[1]}" | cut -c1-16)"
    args=${args//templates\//$HERE/templates/}
  fi
  gguf=$OUT/$name.gguf
  if [ -z "${FORCE:-}" ] && [ -f "$gguf" ] && [ "$(cat "$gguf.recipe" 2>/dev/null)" = "$stamp" ]; then
    echo "make-models: $name is up to date"
    continue
  fi
  # shellcheck disable=SC2086 # args is a list of words
  "$PY" "$HERE/make-model.py" --llama-src "$SRC" --vocab-cache "$OUT/.qwen2-vocab.pickle" --out "$gguf.tmp" --name "$name" $args
  mv "$gguf.tmp" "$gguf"
  printf '%s' "$stamp" >"$gguf.recipe"
done
echo "make-models: $OUT ($(( $(date +%s) - t0 )) s)"
