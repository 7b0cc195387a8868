# Sigap: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON        ?= python3
VENV          := .venv
VENV_BUILD    := .venv-build
VENV_IAC      := .venv-iac
VENV_CHECKOV  := .venv-checkov
VENV_API_FUZZ := .venv-schemathesis
VENV_STACK    := .venv-stack
STACK_PORT    ?= 4566
MOTO_PORT     ?= 5055
DEVSTACK_PORT ?= 3000
FUNCTIONS     := web-intake verify notify backoffice sla-sweep sms-intake panic escalate media
# arm64 where the aarch64 target is installed, x86_64 otherwise; the template's
# Architecture parameter must follow it at deploy time.
ARCH ?= $(if $(shell rustup target list --installed 2>/dev/null | grep -x aarch64-unknown-linux-gnu),arm64,x86_64)

LOCAL_AWS := AWS_ENDPOINT_URL=http://127.0.0.1:$(MOTO_PORT) AWS_REGION=ap-southeast-3 \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true

.PHONY: stack stack-down stack-token stack-test stack-binaries smoke browser-test vendor page-bench
.PHONY: help venv run test fmt-check lint deps-check template-check openapi-check unit-and-integration bench chaos build deploy seed responder clean

help:
	@echo "make run    start moto and the whole system on http://127.0.0.1:$(DEVSTACK_PORT)"
	@echo "make test   formatting, clippy, unit and integration tests (starts its own moto)"
	@echo "make bench  release builds, then per function: init, first/warm invoke, peak memory, zip size vs hello-world; AWS calls per operation; SLA sweep scaling, panic latency, loopback load, the citizen pages' bytes and Lighthouse scores (about 25 minutes from clean)"
	@echo "make stack  the real template deployed to ministack on 127.0.0.1:$(STACK_PORT) (functions as processes, Cognito, the HTTP API); Ctrl-C deletes it"
	@echo "make stack-token NAME=ADMIN   a real Cognito ID token for a staff user of the running stack"
	@echo "make smoke STAGE=dev   after a deploy: the black-box suite's read-only part against the stage (AWS credentials, SMOKE_USER/SMOKE_PASSWORD/SMOKE_TOTP_SECRET)"
	@echo "make chaos  the long API fuzz (schemathesis, 200 examples per route) and the full fault-injection suite (1,000 web reports, 300 SMS, 100 presses, 20% of AWS calls failing, 5% of invocations crashing)"
	@echo "make build  one deployable zip per function under target/lambda (ARCH=$(ARCH))"
	@echo "make deploy STAGE=dev   sam build + sam deploy with samconfig.toml (needs AWS credentials)"
	@echo "make seed TABLE=<name>  write the bundled categories and agencies into a deployed table"
	@echo "make responder TABLE=<name> PHONE=<08...> UNIT=<unit> (or REMOVE=1)  a responder's SMS-ack number"

# Python tools pinned in requirements.txt, in a venv that is reused until the pins change.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	@echo "==> installing the pinned Python tools into $(VENV) (once, about 30 s)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# moto on loopback, then devstack in the foreground; Ctrl-C stops both. The console
# (stderr) shows pages and SMS; the functions' logs (stdout) go to target/devstack.log.
run: venv
	@echo "==> building devstack (the first build compiles the AWS SDK: 3 minutes or more on 2 cores; then seconds)"
	@cargo build -p devstack
	@mkdir -p target
	@echo "==> starting moto on 127.0.0.1:$(MOTO_PORT) (log: target/moto.log)"
	@$(VENV)/bin/moto_server -H 127.0.0.1 -p $(MOTO_PORT) > target/moto.log 2>&1 & moto=$$!; \
	trap 'kill $$moto 2>/dev/null; wait $$moto 2>/dev/null; echo "moto stopped"' EXIT; \
	for _ in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$(MOTO_PORT)) 2>/dev/null && break; sleep 0.1; done; \
	echo "==> starting devstack on 127.0.0.1:$(DEVSTACK_PORT) (function logs: target/devstack.log)"; \
	$(LOCAL_AWS) AWS_LAMBDA_LOG_FORMAT=Text DEVSTACK_PORT=$(DEVSTACK_PORT) target/debug/devstack > target/devstack.log

test: venv fmt-check lint deps-check template-check openapi-check unit-and-integration browser-test stack-test

fmt-check:
	cargo fmt --all -- --check

# --all-targets leaves out the stack suite (test = false): it is named too.
lint:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --test stack -- -D warnings

# No crate declares a dependency it never uses (cargo-machete, pinned, built into
# .tools the first time; a debug build, since it only reads manifests and sources).
MACHETE_VERSION := 0.9.2
MACHETE := .tools/bin/cargo-machete
$(MACHETE):
	cargo install cargo-machete --version $(MACHETE_VERSION) --locked --quiet --debug --root .tools
deps-check: $(MACHETE)
	$(MACHETE)

# The SAM template, checked offline: cfn-lint, then SAM's own validation with its lint.
$(VENV_IAC)/.installed: requirements-iac.txt
	$(PYTHON) -m venv $(VENV_IAC)
	$(VENV_IAC)/bin/pip install --quiet --disable-pip-version-check -r requirements-iac.txt
	touch $@

# checkov in its own venv too (its pins would downgrade sam-cli); --skip-download keeps
# it offline. Findings are fixed or skipped on their resource with a reason.
$(VENV_CHECKOV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(VENV_CHECKOV)
	$(VENV_CHECKOV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

template-check: $(VENV_IAC)/.installed $(VENV_CHECKOV)/.installed
	$(VENV_IAC)/bin/cfn-lint --regions ap-southeast-3 -- infra/template.yaml
	$(VENV_IAC)/bin/cfn-lint --regions us-east-1 -- infra/edge-waf.yaml
	SAM_CLI_TELEMETRY=0 $(VENV_IAC)/bin/sam validate --lint -t infra/template.yaml --region ap-southeast-3
	SAM_CLI_TELEMETRY=0 $(VENV_IAC)/bin/sam validate --config-env prod
	$(VENV_CHECKOV)/bin/checkov -f infra/template.yaml -f infra/edge-waf.yaml --framework cloudformation \
		--skip-download --compact --quiet

# The OpenAPI 3.1 document devstack serves at /openapi.json (a test keeps its paths equal
# to the template's routes).
openapi-check: venv
	$(VENV)/bin/openapi-spec-validator infra/openapi.yaml

# schemathesis, which the api_contract test runs against devstack.
$(VENV_API_FUZZ)/.installed: requirements-schemathesis.txt
	$(PYTHON) -m venv $(VENV_API_FUZZ)
	$(VENV_API_FUZZ)/bin/pip install --quiet --disable-pip-version-check -r requirements-schemathesis.txt
	touch $@

# Unit tests need no server; integration tests start their own moto from .venv.
# Each function's DynamoDB calls are judged against its role (infra/local/src/iam.rs);
# target/iam.log lists every distinct access, and any denial fails the run.
# The last line sums every harness's counts (cargo ends on empty doc-test harnesses).
# The tests' moto rolls a cancelled transaction back item by item (tests/bench/moto_bench.py):
# stock moto restores a snapshot of the whole table, which wipes whatever another
# request committed meanwhile (seen in the chaos test: an accepted report gone).
# Test threads get the 8 MiB stack a function's main thread has on Lambda: a debug
# build's async state machines are several times larger than a release build's, and
# the default 2 MiB of a test thread is not always enough for a whole conversation.
unit-and-integration: venv $(VENV_API_FUZZ)/.installed
	@mkdir -p target
	@rm -f target/abuse-figures.txt
	@rm -f target/iam.log
	@RUST_MIN_STACK=8388608 SIGAP_IAM_LOG=$(CURDIR)/target/iam.log MOTO_SERVER=$(CURDIR)/tests/bench/moto-server cargo test --workspace 2>&1 | tee target/test-output.log; status=$${PIPESTATUS[0]}; \
	awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($$i ~ /^passed;/) p += $$(i-1); if ($$i ~ /^failed;/) f += $$(i-1) } } \
	     END { printf "tests: %d passed, %d failed\n", p, f }' target/test-output.log; \
	if [ -f target/abuse-figures.txt ]; then sort target/abuse-figures.txt; fi; \
	sort -u target/iam.log | awk '/^allowed/ && $$2 !~ /:probe$$/ { a++ } /^denied/ && $$2 !~ /:probe$$/ { print "IAM would deny: " $$0; d++ } \
	     END { printf "iam: %d distinct accesses allowed by the template roles, %d denied\n", a, d; exit d > 0 }' || status=1; \
	exit $$status

# Speed, memory, size and scaling figures, printed as tables; never asserted in tests.
# Builds what `make build` builds (plus the hello-world baseline, same profile; arm64
# zips too where the aarch64 target is installed), runs the SLA, panic and load
# benches, then perf-bench: every release binary against a local Lambda Runtime API,
# AWS calls per operation, and the report of everything (JSON in target/bench). moto
# for the bench snapshots only the items a transaction touches (tests/bench/moto_bench.py).
BENCH_MOTO := MOTO_SERVER=$(CURDIR)/tests/bench/moto-server
bench: venv $(VENV_BUILD)/.installed
	$(LAMBDA_BUILD) --x86-64 --compiler cargo $(addprefix --package ,$(FUNCTIONS) hello-world)
	$(if $(filter arm64,$(ARCH)),$(LAMBDA_BUILD) --arm64 --lambda-dir target/lambda-arm64 $(addprefix --package ,$(FUNCTIONS) hello-world))
	@rm -f target/bench/*.json
	$(BENCH_MOTO) cargo run --quiet -p sigap-tests --bin sla-bench
	$(BENCH_MOTO) cargo run --quiet -p sigap-tests --bin panic-bench
	$(BENCH_MOTO) cargo run --quiet -p sigap-tests --bin load-bench
	cargo run --quiet -p sigap-tests --bin media-bench
	$(BENCH_MOTO) cargo run --quiet -p sigap-tests --bin perf-bench
	$(MAKE) --no-print-directory page-bench

# The citizen pages' bytes (first and repeat visit, gzip) and Lighthouse's mobile
# scores (tests/browser/bench; Lighthouse pinned in its own lock, so make test never
# installs it).
PAGE_BENCH_NODE := tests/browser/bench/node_modules/.installed
$(PAGE_BENCH_NODE): tests/browser/bench/package-lock.json
	cd tests/browser/bench && npm ci --no-audit --no-fund --silent
	touch $@
page-bench: venv $(BROWSER_NODE) $(PAGE_BENCH_NODE) stack-binaries
	tests/browser/bench.sh

# The long API fuzz (schemathesis, a random seed), then the full chaos suite: 1,000 web
# reports, 300 SMS and 100 panic presses with 20% of AWS calls failing and 5% of
# invocations crashing (make test runs small versions of both). Each prints its figures.
# Stock moto copies the whole table on every transaction and, at this size, grows
# until the kernel kills it: the run uses the bench's moto (tests/bench/moto_bench.py).
chaos: venv $(VENV_API_FUZZ)/.installed
	API_FUZZ_EXAMPLES=200 API_FUZZ_SEED=random \
		cargo test -p sigap-tests --test integration api_contract:: -- --nocapture
	MOTO_SERVER=$(CURDIR)/tests/bench/moto-server CHAOS_REPORTS=1000 CHAOS_SMS=300 CHAOS_PRESSES=100 \
		cargo test -p sigap-tests --test integration chaos:: -- --nocapture

# The browser tier: the citizen pages in Debian's headless Chromium (Playwright and axe,
# pinned in tests/browser/package-lock.json; no browser download) against a devstack of
# its own (tests/browser/run.sh). Screenshots of every page: target/browser/screenshots.
BROWSER_NODE := tests/browser/node_modules/.installed
$(BROWSER_NODE): tests/browser/package-lock.json
	cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
	touch $@
browser-test: venv $(BROWSER_NODE) stack-binaries
	tests/browser/run.sh

# The pages' map library, from the npm package pinned in tests/browser/package.json into
# the shared library's assets (compiled into both screens; run.sh fails if the copy and the package differ).
LEAFLET_VENDOR := shared/assets/vendor/leaflet
vendor: $(BROWSER_NODE)
	cp tests/browser/node_modules/leaflet/dist/leaflet.js tests/browser/node_modules/leaflet/dist/leaflet.css \
		tests/browser/node_modules/leaflet/LICENSE $(LEAFLET_VENDOR)/

# The stack tier: infra/template.yaml, unchanged, deployed to ministack (pinned in
# requirements-stack.txt) with the functions' debug binaries (x86_64: the emulator runs
# the host's processes), then driven by the black-box suite (tests/tests/stack).
# infra/stack/stack.py holds the emulator's shims; docs/operations.md lists them.
$(VENV_STACK)/.installed: requirements-stack.txt
	$(PYTHON) -m venv $(VENV_STACK)
	$(VENV_STACK)/bin/pip install --quiet --disable-pip-version-check -r requirements-stack.txt
	touch $@

STACK_TOOL := $(VENV_STACK)/bin/python infra/stack/stack.py
STACK_ENV  := STACK_ENDPOINT=http://127.0.0.1:$(STACK_PORT)
# ministack on loopback (no MQTT port), handing its endpoint to the functions it starts;
# stopped (and with it every function process) when the recipe's shell exits.
STACK_EMULATOR = $(STACK_ENV) BIND_HOST=127.0.0.1 IOT_MTLS_ENABLED=0 GATEWAY_PORT=$(STACK_PORT) \
	MINISTACK_REGION=ap-southeast-3 AWS_ENDPOINT_URL=http://127.0.0.1:$(STACK_PORT) \
	$(VENV_STACK)/bin/python -m ministack > target/ministack.log 2>&1 & emulator=$$!; \
	trap 'kill $$emulator 2>/dev/null; wait $$emulator 2>/dev/null' EXIT; \
	for _ in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$(STACK_PORT)) 2>/dev/null && break; sleep 0.1; done

# --workspace --all-targets resolves features as `cargo test --workspace` does, so after
# the tests only the binaries are linked (1m19s here; `-p <function>…` resolves them
# differently and rebuilt the dependencies: 4m04s in a fresh-clone CI run).
stack-binaries:
	cargo build --workspace --all-targets

stack: $(VENV_STACK)/.installed stack-binaries
	@mkdir -p target
	@$(STACK_EMULATOR); \
	$(STACK_ENV) $(STACK_TOOL) up || exit 1; \
	echo "ministack log: target/ministack.log. Ctrl-C deletes the stack and stops the emulator."; \
	trap '$(STACK_ENV) $(STACK_TOOL) down; kill $$emulator 2>/dev/null; echo "stack deleted, emulator stopped"' INT; \
	wait $$emulator

# With `make stack` running in another terminal.
stack-down: $(VENV_STACK)/.installed
	$(STACK_ENV) $(STACK_TOOL) down
stack-token: $(VENV_STACK)/.installed
	@test -n "$(NAME)" || { echo "usage: make stack-token NAME=ADMIN (or SUPERVISOR, OPERATOR, RESPONDER, DSDABM, DLH, DISHUB)"; exit 2; }
	@$(STACK_ENV) $(STACK_TOOL) token $(NAME)

# In make test: deploy, run the black-box suite against the deployed stack, delete it.
# --workspace again: `-p sigap-tests` would rebuild its dependencies (2m39s here).
# The suite mostly waits (the sweep's schedule, five receives before the DLQ): eight
# threads let all its tests wait at once instead of two by two on two cores.
stack-test: $(VENV_STACK)/.installed stack-binaries
	@mkdir -p target
	$(VENV_STACK)/bin/python -m doctest infra/stack/stack.py
	@$(STACK_EMULATOR); \
	$(STACK_ENV) $(STACK_TOOL) up && $(STACK_ENV) $(STACK_TOOL) target > /dev/null && \
	SIGAP_TARGET=$(CURDIR)/target/stack/target.json cargo test --workspace --test stack -- --test-threads=8; status=$$?; \
	$(STACK_ENV) $(STACK_TOOL) down; exit $$status

# After a deploy, against the real stage: only the suite's smoke module (reads, and
# requests refused before anything is stored). Needs AWS credentials and a test user
# in the supervisor group (SMOKE_USER, SMOKE_PASSWORD, SMOKE_TOTP_SECRET); never in CI.
smoke: $(VENV_STACK)/.installed
	$(VENV_STACK)/bin/python infra/stack/stack.py smoke $(STAGE)
	SIGAP_TARGET=$(CURDIR)/target/smoke/target.json cargo test --workspace --test stack smoke::

$(VENV_BUILD)/.installed: requirements-build.txt
	$(PYTHON) -m venv $(VENV_BUILD)
	$(VENV_BUILD)/bin/pip install --quiet --disable-pip-version-check -r requirements-build.txt
	touch $@

LAMBDA_BUILD = PATH="$(CURDIR)/$(VENV_BUILD)/bin:$$PATH" cargo lambda build --release --output-format zip
build: $(VENV_BUILD)/.installed
	$(LAMBDA_BUILD) $(if $(filter arm64,$(ARCH)),--arm64,--x86-64 --compiler cargo) \
		$(addprefix --package ,$(FUNCTIONS))
	@ls -l target/lambda/*/bootstrap.zip

# sam build runs cargo lambda (from .venv-build) for each function; sam deploy needs AWS
# credentials and is never run in CI. The template's Architecture follows ARCH.
# Overrides on the command line replace samconfig's, so the stage's own overrides are
# read from samconfig.toml and Architecture is added to them.
STAGE ?= dev
STAGE_OVERRIDES = $(shell $(PYTHON) -c 'import sys, tomllib; print(tomllib.load(open("samconfig.toml", "rb"))[sys.argv[1]]["deploy"]["parameters"]["parameter_overrides"])' $(STAGE))
deploy: $(VENV_BUILD)/.installed $(VENV_IAC)/.installed
	@test -n "$(STAGE_OVERRIDES)" || { echo "samconfig.toml has no [$(STAGE).deploy.parameters] parameter_overrides"; exit 2; }
	PATH="$(CURDIR)/$(VENV_BUILD)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(VENV_IAC)/bin/sam build \
		--config-env $(STAGE) --parameter-overrides $(STAGE_OVERRIDES) Architecture=$(ARCH)
	SAM_CLI_TELEMETRY=0 $(VENV_IAC)/bin/sam deploy --config-env $(STAGE) \
		--parameter-overrides $(STAGE_OVERRIDES) Architecture=$(ARCH)

# After the first deploy: reference data into the stack's table (AWS credentials from the
# environment, as for any AWS CLI). Re-running it is harmless: items are replaced.
seed:
	@test -n "$(TABLE)" || { echo "usage: make seed TABLE=<table name from the stack outputs>"; exit 2; }
	cargo run --quiet -p devstack -- seed $(TABLE)

# Responders ack by SMS from registered numbers: register one for a unit, or forget it
# (REMOVE=1) when they leave. Reads the sender key from SSM (SENDER_HASH_KEY_PARAMETER,
# default /sigap/sender-hash-key) with the ordinary AWS credentials.
responder:
	@test -n "$(TABLE)" -a -n "$(PHONE)" -a -n "$(UNIT)$(REMOVE)" || { echo "usage: make responder TABLE=<table> PHONE=<08...> UNIT=<unit id> | REMOVE=1"; exit 2; }
	cargo run --quiet -p devstack -- responder $(TABLE) $(PHONE) $(if $(REMOVE),--remove,$(UNIT))

clean:
	cargo clean
	rm -rf $(VENV) $(VENV_BUILD) $(VENV_IAC) $(VENV_CHECKOV) $(VENV_API_FUZZ) $(VENV_STACK)
