# prevent: the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/prevent
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.Version=$(VERSION)
export CGO_ENABLED ?= 0

# The demo runs inside demo/, so its database and outbox land there.
DEMO        := cd demo && ../$(BIN) --db sqlite:prevent.db --config ../prevent.example.yaml
DEMO_STAFF  := ../testdata/demo/esr_staff_2026-09-30.csv "../testdata/demo/ESR Staff Extract 2026-10-31.xlsx"
DEMO_COMPL  := "../testdata/demo/LMS completions export 2026-11-01.csv" "../testdata/demo/ESR competences 2026-11-01.xlsx"

.PHONY: all build demo test vet bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/prevent

## demo: build, import the demo trust's extracts into demo/prevent.db and show where it stands
demo: build
	@rm -rf demo && mkdir -p demo
	@echo "== Importing two monthly ESR staff extracts and two completion extracts (testdata/demo)"
	$(DEMO) import staff $(DEMO_STAFF)
	$(DEMO) import completions $(DEMO_COMPL)
	@echo
	@echo "== Importing the same file again is a no-op"
	$(DEMO) import completions "../testdata/demo/LMS completions export 2026-11-01.csv"
	@echo
	$(DEMO) summary --urgent 15
	@echo
	@echo "== Reproducing a past date: the position on 30 September 2026"
	$(DEMO) summary --as-of 2026-09-30
	@echo
	$(DEMO) status --status expired,never --format csv --out needs-training.csv
	@echo
	@echo "== The quarterly return for 2026-27Q2 (July to September 2026), and its emails to the commissioners"
	$(DEMO) return --quarter 2026-27Q2 --out "RXX Prevent return 2026-27Q2.xlsx"
	$(DEMO) return --quarter 2026-27Q2 --format csv
	$(DEMO) return --quarter 2026-27Q2 --send
	@echo "== Sending again sends nothing twice"
	$(DEMO) return --quarter 2026-27Q2 --send
	@echo
	@echo "== Refresher reminders to the Prevent leads (dry run, then sent to the outbox)"
	$(DEMO) remind | head -n 12
	$(DEMO) remind --send
	@echo
	@echo "== The outbox (no smtp: block in the config, so emails are .eml files)"
	@ls -1 demo/outbox
	@echo
	@echo "Explore: cd demo && ../$(BIN) --db sqlite:prevent.db --config ../prevent.example.yaml quality"

## test: vet and every test (store tests on SQLite and PostgreSQL)
test: vet
	@scripts/ensure-chromium
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

## bench-data: generate the benchmark workloads (deterministic) into bench/data/xSCALE:
## scale 1 is a 30,000-person staff XLSX, a 1,000,000-row completions CSV and a
## 300,000-row completions XLSX, a quarter of the rows Prevent courses.
## BENCH_SCALES="0.1 0.3 1 3" makes the growth series. BENCH_ORDERS lists the
## row orders of the completions files (prevent-gen -order): person (as
## generated, bench/data/xSCALE) and, each in bench/data/xSCALE-ORDER,
## shuffled, course-date, learner-name and employee.
BENCH_SCALES ?= 1
BENCH_ORDERS ?= person shuffled course-date learner-name employee
BENCH_DATA   ?= bench/data
BENCH_PYTHON ?= /usr/bin/python3
BENCH_PG     ?= auto
.PHONY: bench-data
bench-data:
	@for s in $(BENCH_SCALES); do for o in $(BENCH_ORDERS); do \
	  d=$(BENCH_DATA)/x$$s; order=""; \
	  if [ "$$o" != person ]; then d=$$d-$$o; order="-order $$o"; fi; \
	  args="-months 1 -end 2026-09-30 -staff-format xlsx -prevent-share 0.25 -seed 1 \
	    -people $$(awk "BEGIN{print int(30000*$$s+0.5)}") \
	    -completions $$(awk "BEGIN{print int(1000000*$$s+0.5)}") \
	    -esr-completions $$(awk "BEGIN{print int(300000*$$s+0.5)}") $$order"; \
	  args=$$(echo $$args); \
	  if [ "$$(cat $$d/.args 2>/dev/null)" = "$$args" ]; then echo "$$d: up to date"; continue; fi; \
	  rm -rf $$d && $(GO) run ./cmd/prevent-gen -out $$d $$args && echo "$$args" > $$d/.args || exit 1; \
	done; done

## bench: prevent end to end on the bench-data workloads (import the three
## files, status and return as CSV) on SQLite and PostgreSQL, beside a bare
## reader and pandas: time, rows/s and peak RSS per step, and each row order
## side by side. BENCH_PG=DSN uses
## that database, "" skips PostgreSQL; BENCH_GO=1 also runs the Go
## benchmarks of each stage.
bench: build bench-data
	$(GO) build -o bin/prevent-bench ./cmd/prevent-bench
	@$(BENCH_PYTHON) -c 'import pandas, yaml, openpyxl' 2>/dev/null || { \
	  echo "bench: installing Debian's python3-pandas for the pandas leg"; \
	  { apt-get install -y -qq python3-pandas python3-yaml python3-openpyxl || \
	    { apt-get update -qq && apt-get install -y -qq python3-pandas python3-yaml python3-openpyxl; }; } >/dev/null 2>&1 || \
	  echo "bench: could not install pandas: the pandas leg is skipped"; }
	bin/prevent-bench -data $(BENCH_DATA) -scales "$$(echo $(BENCH_SCALES) | tr ' ' ,)" -orders "$$(echo $(BENCH_ORDERS) | tr ' ' ,)" -pandas "$(BENCH_PYTHON)" -pg "$(BENCH_PG)"
	@if [ -n "$(BENCH_GO)" ]; then $(GO) test -run '^$$' -bench . -benchmem ./importers/ ./internal/...; fi

## bench-national: seed a throwaway PostgreSQL (initdb) with 2,000,000 people
## and 10,000,000 completions (about 90 s), then time status and the return
## on it. BENCH_NATIONAL="-keep" leaves the server running for profiling.
BENCH_NATIONAL ?=
.PHONY: bench-national
bench-national: build
	$(GO) build -o bin/prevent-bench ./cmd/prevent-bench
	bin/prevent-bench national $(BENCH_NATIONAL)

## fuzz: run every fuzz target in the module (func FuzzX in a _test.go), one
## after another, each for FUZZTIME. A crasher is saved by go test under the
## package's testdata/fuzz/FuzzX/ and from then on runs in every `make test`:
## commit it with the fix. FUZZ=FuzzReadXLSX runs only the targets matching.
FUZZTIME ?= 15s
FUZZ     ?= .
fuzz:
	@failed=""; \
	for dir in $$($(GO) list -f '{{.Dir}}' ./...); do \
	  for t in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | cut -c6- | grep -E '$(FUZZ)'); do \
	    echo "== $$t ($${dir#$(CURDIR)/}, $(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) "$$dir" || failed="$$failed $$t"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashers found by:$$failed (see testdata/fuzz/ in their packages)"; exit 1; fi; \
	echo "fuzz: every target ran clean for $(FUZZTIME)"

clean:
	rm -rf bin demo
