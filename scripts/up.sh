#!/usr/bin/env bash
# `npm run up`: install what is missing, build, then become the all-in-one service (exec, so that
# SIGTERM and Ctrl-C reach it directly and it stops cleanly).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
exec node dist/src/cli/main.js up "$@"
