# Sourced by run.sh and bench.sh: moto and devstack on ports of their own, stopped
# when the sourcing script exits; exports SIGAP_URL and the staff tokens devstack
# printed. Logs under $out (set by the caller).
MOTO_PORT=${BROWSER_MOTO_PORT:-5066}
PORT=${BROWSER_PORT:-3066}
.venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT" > "$out/moto.log" 2>&1 & moto=$!
trap 'kill $devstack $moto 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$MOTO_PORT) 2>/dev/null && break; sleep 0.1; done
AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT AWS_REGION=ap-southeast-3 AWS_ACCESS_KEY_ID=test \
  AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true AWS_LAMBDA_LOG_FORMAT=Text \
  DEVSTACK_PORT=$PORT target/debug/devstack > "$out/devstack.log" 2> "$out/devstack.console" & devstack=$!
for _ in $(seq 600); do grep -q "Sigap devstack is running" "$out/devstack.console" 2>/dev/null && break; sleep 0.1; done
grep -q "Sigap devstack is running" "$out/devstack.console" || { cat "$out/devstack.console"; exit 1; }
# The staff tokens devstack printed, for the staff steps through the JSON API.
eval "$(grep -E '^  export [A-Z_]+=' "$out/devstack.console")"
export ADMIN_TOKEN DSDABM_TOKEN SIGAP_URL=http://127.0.0.1:$PORT
