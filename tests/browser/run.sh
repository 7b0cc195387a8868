#!/usr/bin/env bash
# The browser tier: moto and devstack on their own ports, then the Playwright specs
# against them; prints "browser: N passed, N failed" for CI and stops both after.
set -uo pipefail
cd "$(dirname "$0")/../.."
MOTO_PORT=${BROWSER_MOTO_PORT:-5066}
PORT=${BROWSER_PORT:-3066}
out=target/browser
rm -rf "$out" && mkdir -p "$out/screenshots"
# The map library the pages serve is exactly the npm package pinned here (make vendor).
for file in leaflet.js leaflet.css; do
  cmp -s "tests/browser/node_modules/leaflet/dist/$file" "functions/web-intake/assets/vendor/leaflet/$file" ||
    { echo "browser: assets/vendor/leaflet/$file differs from npm's leaflet; run make vendor"; exit 1; }
done

.venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT" > "$out/moto.log" 2>&1 & moto=$!
trap 'kill $devstack $moto 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$MOTO_PORT) 2>/dev/null && break; sleep 0.1; done
AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT AWS_REGION=ap-southeast-3 AWS_ACCESS_KEY_ID=test \
  AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true AWS_LAMBDA_LOG_FORMAT=Text \
  DEVSTACK_PORT=$PORT target/debug/devstack > "$out/devstack.log" 2> "$out/devstack.console" & devstack=$!
for _ in $(seq 600); do grep -q "Sigap devstack is running" "$out/devstack.console" 2>/dev/null && break; sleep 0.1; done
grep -q "Sigap devstack is running" "$out/devstack.console" || { cat "$out/devstack.console"; exit 1; }
# The staff tokens devstack printed, for the specs' staff steps through the JSON API.
eval "$(grep -E '^  export [A-Z_]+=' "$out/devstack.console")"
export ADMIN_TOKEN DSDABM_TOKEN SIGAP_URL=http://127.0.0.1:$PORT

(cd tests/browser && npx playwright test); status=$?
node -e '
  const r = require(process.argv[1]);
  const s = r.stats;
  console.log(`browser: ${s.expected} passed, ${s.unexpected + s.flaky} failed`);
' "$PWD/$out/results.json" || status=1
# No reporter token the specs saw may reach a log line (the pages' privacy rule).
if [ -s "$out/tokens.txt" ] && grep -F -f "$out/tokens.txt" "$out/devstack.log" "$out/devstack.console" "$out/moto.log"; then
  echo "browser: a reporter token reached a log"; status=1
fi
exit $status
