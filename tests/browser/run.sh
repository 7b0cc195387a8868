#!/usr/bin/env bash
# The browser tier: moto and devstack on their own ports, then the Playwright specs
# against them (arguments go to Playwright, such as -g NAME); prints "browser: N passed, N failed" for CI and stops both after.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=target/browser
rm -rf "$out" && mkdir -p "$out/screenshots"
# The map library the pages serve is exactly the npm package pinned here (make vendor).
for file in leaflet.js leaflet.css; do
  cmp -s "tests/browser/node_modules/leaflet/dist/$file" "shared/assets/vendor/leaflet/$file" ||
    { echo "browser: shared/assets/vendor/leaflet/$file differs from npm's leaflet; run make vendor"; exit 1; }
done

source tests/browser/devstack.sh

(cd tests/browser && npx playwright test "$@"); status=$?
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
