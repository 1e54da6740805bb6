#!/usr/bin/env bash
# End-to-end tests against a real `paylink sandbox` process: the official xendit-node SDK
# (e2e/node) and click-throughs of the checkout page and the inspector in headless Chromium
# (e2e/browser). Prints one `e2e: N passed, N failed` line and exits non-zero on any failure.
#
# The sandbox delivers webhooks to http://127.0.0.1:$PAYLINK_E2E_CALLBACK_PORT/xendit/callback,
# where the inspector test listens; callbacks sent while nothing listens there are refused and
# retried on Xendit's schedule (the first retry 15 min later, after the run).
#
# Environment: PAYLINK_E2E_PORT and PAYLINK_E2E_CALLBACK_PORT (default: free ports),
# CHROMIUM_PATH (default /usr/bin/chromium), PAYLINK_E2E_UPDATE_IMAGES=1 to write the
# inspector's screenshots to docs/images/.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

secret_key="xnd_development_e2e_$$"
log="$(mktemp -t paylink-sandbox.XXXXXX.log)"
sandbox_pid=""
passed=0
failed=0

stop_sandbox() {
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null
    wait "$sandbox_pid" 2>/dev/null
  fi
  sandbox_pid=""
}
trap stop_sandbox EXIT

fail_early() {
  echo "e2e: $1" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

command -v node >/dev/null 2>&1 || fail_early "node is not installed"
command -v npm >/dev/null 2>&1 || fail_early "npm is not installed"

echo "e2e: building the paylink binary"
cargo build --quiet -p paylink-cli --bin paylink || fail_early "cargo build failed"
target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
bin="$target_dir/debug/paylink"
[ -x "$bin" ] || fail_early "$bin was not built"

port="${PAYLINK_E2E_PORT:-$(free_port)}"
addr="127.0.0.1:$port"
callback_port="${PAYLINK_E2E_CALLBACK_PORT:-$(free_port)}"
"$bin" sandbox --addr "$addr" --secret-key "$secret_key" \
  --callback-url "http://127.0.0.1:$callback_port/xendit/callback" >"$log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$log" 2>/dev/null && break
  kill -0 "$sandbox_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "listening on" "$log"; then
  cat "$log" >&2
  fail_early "the sandbox did not start on $addr"
fi
echo "e2e: $(head -n 1 "$log")"

export PAYLINK_SANDBOX_URL="http://$addr"
export PAYLINK_SECRET_KEY="$secret_key"
export PAYLINK_E2E_CALLBACK_PORT="$callback_port"

# Runs one suite with node's test runner and adds its counts to the totals.
run_suite() {
  local name="$1" dir="$2"
  echo "e2e: $name"
  if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "e2e: npm ci failed in $dir" >&2
    failed=$((failed + 1))
    return
  fi
  local out
  out="$(mktemp)"
  (cd "$dir" && node --test --test-reporter=spec) 2>&1 | tee "$out"
  local p f
  p="$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$out" | tail -n 1)"
  f="$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$out" | tail -n 1)"
  if [ -z "$p" ] || [ -z "$f" ]; then
    echo "e2e: could not read the results of $name" >&2
    failed=$((failed + 1))
  else
    passed=$((passed + p))
    failed=$((failed + f))
  fi
  rm -f "$out"
}

run_suite "official xendit-node SDK" "$root/e2e/node"
run_suite "checkout page and inspector in headless Chromium" "$root/e2e/browser"

stop_sandbox
if [ "$failed" -gt 0 ]; then
  echo "e2e: sandbox log:" >&2
  cat "$log" >&2
fi
rm -f "$log"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
