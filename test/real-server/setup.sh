#!/usr/bin/env bash
# `npm run setup:real-server`: the real llama-server (built once per pinned version, then reused) and
# the tiny models the real-server tests load, in the cache (LMR_LLAMA_CACHE, default
# .cache/llama-server-<version>). Prints how long it took.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
t0=$(date +%s)
bash "$HERE/build-llama-server.sh"
bash "$HERE/make-models.sh"
echo "setup:real-server: $(( $(date +%s) - t0 )) s"
