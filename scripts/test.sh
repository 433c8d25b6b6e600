#!/usr/bin/env bash
# The whole suite: unit tests, then the API and controller suite on SQLite and again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-postgres.sh
run() { node --import tsx --test --test-concurrency=2 "$@"; }
shopt -s nullglob
unit=(test/unit/*.test.ts)
integration=(test/integration/*.test.ts)
e2e=(test/e2e/*.test.ts)
echo "== unit and integration tests (SQLite)"
run "${unit[@]}" "${integration[@]}" "${e2e[@]}"
echo "== API, controller and resumption suites on PostgreSQL"
TAVIA_TEST_DB=postgres run "${integration[@]}" "${e2e[@]}"
