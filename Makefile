# logq: `make run` starts a server on ./data, `make test` runs every test.
GO        ?= go
BIN       := bin/logq
DATA      ?= data
PKGS      := ./...
# Fuzz targets run briefly by `make test`, each for a count of executions
# (about 2-5 s here) rather than a duration: go1.26's -fuzztime=<duration>
# can fail with a spurious "context deadline exceeded" (go.dev/issue/75804).
# `make fuzz FUZZX=20` multiplies every count to dig deeper.
FUZZX ?= 1
FUZZ_TARGETS := \
	./partitions/segment:FuzzSegmentRead:10000 \
	./partitions/segment:FuzzStatsDecode:100000 \
	./partitions/segment:FuzzArrowTail:20000 \
	./partitions/wal:FuzzReplay:100000 \
	./partitions/columns:FuzzDecodeBatch:100000 \
	./partitions/arrowrows:FuzzBatch:100000 \
	./server/flightsvc:FuzzRun:20000 \
	./partitions/jsonl:FuzzParse:150000 \
	./partitions/jsonl:FuzzParseTimestamp:150000 \
	./engine/plan:FuzzDecode:100000

.PHONY: help build run cluster test test-deps test-unit test-race crash fuzz vet fmt bench bench-quick bench-scale proto clean

help:
	@echo "logq make targets:"
	@echo "  make run          build and start 'logq serve' on ./$(DATA) (HTTP ingest on 127.0.0.1:8080)"
	@echo "  make cluster      etcd and three nodes on loopback (MySQL 3306-3308, HTTP 8080-8082), data in ./$(CLUSTER_DATA)"
	@echo "  make test         vet, gofmt check, unit + crash + corruption tests, race detector on storage, executor and cluster, brief fuzzing"
	@echo "  make test-race    all tests under the race detector"
	@echo "  make crash        the kill -9 tests, $(CRASH_ROUNDS) rounds each (make test runs 20)"
	@echo "  make fuzz         run every fuzz target (FUZZX=20: 20 times the executions)"
	@echo "  make bench        the WORKLOAD benchmark: 10M rows, Q1-Q10 against logq and a go-mysql-server baseline (ROWS=..., BENCH_ARGS=...)"
	@echo "  make bench-quick  the same at 1M rows"
	@echo "  make bench-scale  100M rows without the baseline (22 GB of JSON generated in /tmp once)"
	@echo "  make proto        regenerate engine/plan/plan.pb.go from plan.proto"
	@echo "  make build        build $(BIN)"

build:
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) serve --data $(DATA) --demo

# A three-node cluster on this machine: etcd (Debian's etcd-server) and
# three `logq serve` on loopback, data under $(CLUSTER_DATA). MySQL on
# 3306-3308, HTTP ingest on 8080-8082, Flight on 7071-7073; Ctrl-C stops
# them all.
CLUSTER_DATA ?= data-cluster
cluster: build
	@command -v etcd >/dev/null || { echo "no etcd: apt-get install etcd-server (or make test-deps)"; exit 1; }
	@mkdir -p $(CLUSTER_DATA); pids=""; \
	trap 'kill $$pids 2>/dev/null; wait' INT TERM EXIT; \
	etcd --name logq --data-dir $(CLUSTER_DATA)/etcd --listen-client-urls http://127.0.0.1:2379 \
		--advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster logq=http://127.0.0.1:2380 \
		>$(CLUSTER_DATA)/etcd.log 2>&1 & pids="$$pids $$!"; \
	for k in 1 2 3; do \
		./$(BIN) serve --data $(CLUSTER_DATA)/n$$k --cluster etcd://127.0.0.1:2379 --node-id n$$k \
			--mysql-addr 127.0.0.1:330$$((k+5)) --http-addr 127.0.0.1:808$$((k-1)) --flight-addr 127.0.0.1:707$$k \
			2>$(CLUSTER_DATA)/n$$k.log & pids="$$pids $$!"; \
	done; \
	echo "cluster starting: mysql -h 127.0.0.1 -P 3306 -u root (n1; n2 3307, n3 3308); logs in $(CLUSTER_DATA)/"; \
	wait

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# The benchmark's smoke test (bench/run_smoke_test.go) runs the binary just
# built rather than linking its own.
# The race phase of make test: storage, the catalog, the executor and the
# cluster's data path, where the goroutines are. The SQL layer (./engine)
# alone took 9.7 minutes under -race on a 2-core machine, past make test's
# budget: make test-race covers it with everything else.
RACE_PKGS := ./partitions/... ./catalog/... ./engine/exec/... ./server/flightsvc/... ./server/placement/... ./server/cluster/...

test: vet test-deps build
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	LOGQ_BENCH_SMOKE_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 15m $(PKGS)
	$(GO) test -count=1 -race -timeout 15m $(RACE_PKGS)
	@$(MAKE) --no-print-directory fuzz

# The end-to-end tests drive the mysql command-line client; Debian's
# mariadb-client provides it when no mysql client is installed.
# The clients the end-to-end tests drive (engine/clients_test.go): the
# mariadb CLI and Python's PyMySQL from Debian's packages, Node's mysql2
# from the npm registry at the version package-lock.json pins.
CLIENTS_DIR := engine/testdata/clients

test-deps:
	@command -v mysql >/dev/null || command -v mariadb >/dev/null || { \
		echo "installing mariadb-client (the end-to-end tests use the mysql CLI)"; \
		(apt-get install -y -q mariadb-client || (apt-get update -q && apt-get install -y -q mariadb-client)) >/dev/null || \
		{ echo "could not install mariadb-client: install a mysql or mariadb client and rerun"; exit 1; }; }
	@/usr/bin/python3 -c 'import pymysql' 2>/dev/null || { \
		echo "installing python3-pymysql (client conformance tests)"; \
		(apt-get install -y -q python3-pymysql || (apt-get update -q && apt-get install -y -q python3-pymysql)) >/dev/null || \
		{ echo "could not install python3-pymysql"; exit 1; }; }
	@command -v node >/dev/null || { \
		echo "installing nodejs and npm (client conformance tests)"; \
		(apt-get install -y -q nodejs npm || (apt-get update -q && apt-get install -y -q nodejs npm)) >/dev/null || \
		{ echo "could not install nodejs"; exit 1; }; }
	@command -v etcd >/dev/null || { \
		echo "installing etcd-server (the cluster tests meet in a real etcd)"; \
		(apt-get install -y -q etcd-server || (apt-get update -q && apt-get install -y -q etcd-server)) >/dev/null || \
		{ echo "could not install etcd-server"; exit 1; }; }
	@test -d $(CLIENTS_DIR)/node_modules/mysql2 || { \
		echo "installing mysql2 into $(CLIENTS_DIR) (npm ci)"; \
		cd $(CLIENTS_DIR) && npm ci --no-audit --no-fund --silent; }

test-race:
	$(GO) test -count=1 -race -timeout 30m $(PKGS)

# The kill -9 tests: the store alone (partitions) and the whole server under
# concurrent HTTP ingest, queried over SQL after every restart (server).
# `make test` runs 20 rounds of each.
CRASH_ROUNDS ?= 50
crash:
	$(GO) test -count=1 -timeout 60m -run '^TestCrash(Recovery|Serve)$$' ./partitions/ ./server/ -crash-rounds=$(CRASH_ROUNDS) -v

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$$(echo $$t | cut -d: -f1); name=$$(echo $$t | cut -d: -f2); n=$$(( $$(echo $$t | cut -d: -f3) * $(FUZZX) )); \
		echo "fuzz $$pkg $$name ($$n executions)"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$name\$$" -fuzztime=$${n}x -timeout 10m; \
	done

# `make bench BENCH_ARGS="--cpuprofile bench/out/cpu.pprof"` profiles the
# server during the query phase; `logq bench -h` lists every flag.
ROWS ?= 10000000
BENCH_ARGS ?=
bench: build
	./$(BIN) bench --rows $(ROWS) --queries all,grafana,regexp --out bench/out/latest.json $(BENCH_ARGS)

bench-quick: build
	./$(BIN) bench --rows 1000000 --out bench/out/quick.json $(BENCH_ARGS)

# The baseline would need tens of GB of memory at 100M rows: logq alone,
# its fresh and settled answers compared with each other.
bench-scale: build
	./$(BIN) bench --rows 100000000 --queries all --baseline=false --out bench/out/scale.json --server-log bench/out/scale-server.log $(BENCH_ARGS)

# plan.pb.go is generated from plan.proto and committed; after changing the
# .proto, regenerate it with the versions its header names (Debian's
# protobuf-compiler, protoc-gen-go).
PROTOC_GEN_GO := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
proto:
	command -v protoc >/dev/null || (apt-get update && apt-get install -y protobuf-compiler)
	$(GO) install $(PROTOC_GEN_GO)
	cd engine/plan && PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc --go_out=. --go_opt=paths=source_relative plan.proto

clean:
	rm -rf bin
