#!/usr/bin/env bash
# make bench's page figures (tests/browser/bench/pages.js) against a devstack of its
# own; prints the table and stops moto and devstack after.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=target/bench/browser
mkdir -p "$out"
source tests/browser/devstack.sh
node tests/browser/bench/pages.js
