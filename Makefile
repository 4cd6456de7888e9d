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
# Counting as the trust counts: the example config with new_starter_days and rag set.
DEMO_COUNT  := cd demo && ../$(BIN) --db sqlite:prevent.db --config counting.yaml

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
	@echo "== Importing the safeguarding team's referral log and the partnership meetings log (counted, never listed)"
	$(DEMO) import referrals "../testdata/demo/Prevent referral log 2026-11-20.csv"
	$(DEMO) import meetings "../testdata/demo/Partnership meetings 2026-11-20.xlsx"
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
	$(DEMO) return --quarter 2026-27Q2 --section referrals --format csv
	$(DEMO) return --quarter 2026-27Q2 --send
	@echo "== Sending again sends nothing twice"
	$(DEMO) return --quarter 2026-27Q2 --send
	@echo
	@echo "== The Prevent lead: recorded when first seen (no notice); a new lead in the config is notified once"
	$(DEMO) lead --send
	@sed 's/^prevent_lead: .*/prevent_lead: {name: Dr Priya Castellano, email: priya.castellano@example.nhs.net, phone: 0114 271 2001}/' prevent.example.yaml > demo/new-lead.yaml
	cd demo && ../$(BIN) --db sqlite:prevent.db --config new-lead.yaml lead --send
	cd demo && ../$(BIN) --db sqlite:prevent.db --config new-lead.yaml lead --send
	@echo
	@echo "== Refresher reminders to the Prevent leads (dry run, then sent to the outbox)"
	$(DEMO) remind | head -n 12
	$(DEMO) remind --send
	@echo
	@echo "== The annual report to the board for 2026-27: the demo extracts start in September 2026, so the"
	@echo "   year in progress is reported up to its last completed quarter, and says so"
	$(DEMO) report annual --year 2026-27 --out "RXX Prevent annual report 2026-27.html"
	$(DEMO) report annual --year 2026-27 --format pdf --out "RXX Prevent annual report 2026-27.pdf"
	$(DEMO) report annual --year 2026-27 --format xlsx --out "RXX Prevent annual report 2026-27.xlsx"
	@echo
	@echo "== The outbox (no smtp: block in the config, so emails are .eml files)"
	@ls -1 demo/outbox
	@echo
	@echo "== Counting as the trust counts: new starters get 60 days to train, exemptions leave people out,"
	@echo "== rates are coloured red/amber/green (the example config plus new_starter_days: 60 and rag: {red_below: 0.75})"
	@{ cat prevent.example.yaml; printf '\nnew_starter_days: 60\nrag: {red_below: 0.75}\n'; } > demo/counting.yaml
	$(DEMO_COUNT) import staff "../testdata/demo/ESR Staff Extract 2026-11-30.xlsx"
	$(DEMO_COUNT) import exemptions "../testdata/demo/exemptions 2026-12-01.csv"
	$(DEMO_COUNT) exemptions --as-of 2026-11-30 | tail -n 6
	$(DEMO_COUNT) summary --as-of 2026-11-30
	@echo
	@echo "== By ward (Org L4), and who is a new starter or exempt"
	$(DEMO_COUNT) summary --as-of 2026-11-30 --by org_l4 | head -n 12
	$(DEMO_COUNT) status --as-of 2026-11-30 --status new_starter,exempt | head -n 8
	@echo
	@echo "Explore: cd demo && ../$(BIN) --db sqlite:prevent.db --config ../prevent.example.yaml quality"
	@echo "         cd demo && ../$(BIN) --db sqlite:prevent.db --config counting.yaml summary --by manager"

## test: vet and every test (store tests on SQLite and PostgreSQL)
test: vet
	@scripts/ensure-chromium
	$(GO) test -count=1 -timeout 30m ./...

vet:
	@unformatted=$$(gofmt -l cmd importers internal scheduler schema); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted (run gofmt -w)"; exit 1; fi
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
## in 12 monthly snapshots and 10,000,000 completions (a few minutes), then
## time status, the return (CSV, and XLSX with its trend) and the dashboard's
## pages (prevent serve on loopback; BENCH_NATIONAL=-web=false skips them).
## BENCH_NATIONAL="-keep" leaves the server running for profiling;
## BENCH_NATIONAL="-seeded -pg DSN" runs again on it without seeding
## (-cli=false: the dashboard alone).
BENCH_NATIONAL ?=
.PHONY: bench-national
bench-national: build
	$(GO) build -o bin/prevent-bench ./cmd/prevent-bench
	bin/prevent-bench national $(BENCH_NATIONAL)

## web-load-data: a 30,000-person trust (two monthly staff extracts, 260,000
## completion rows) imported into $(WEB_LOAD)/prevent.db, for the dashboard's
## memory test. web-load: 8 overviews for 8 dates at once on it, printing the
## peak heap and RSS (WEB_LOAD_N=16 for sixteen).
WEB_LOAD   ?= bench/data/web
WEB_LOAD_N ?= 8
.PHONY: web-load-data web-load
web-load-data: build
	@if [ -f $(WEB_LOAD)/prevent.db ]; then echo "$(WEB_LOAD)/prevent.db: up to date"; exit 0; fi; \
	rm -rf $(WEB_LOAD) && $(GO) run ./cmd/prevent-gen -out $(WEB_LOAD) -months 2 -end 2026-09-30 -staff-format csv \
	  -prevent-share 0.25 -seed 1 -people 30000 -completions 200000 -esr-completions 60000 && \
	db="--db sqlite:$(WEB_LOAD)/prevent.db --config prevent.example.yaml" && \
	bin/prevent $$db import staff $(WEB_LOAD)/esr_staff_2026-08-31.csv --effective 2026-08-31 && \
	bin/prevent $$db import staff $(WEB_LOAD)/esr_staff_2026-09-30.csv --effective 2026-09-30 && \
	bin/prevent $$db import completions "$(WEB_LOAD)/LMS completions export 2026-10-01.csv" "$(WEB_LOAD)/ESR competences 2026-10-01.xlsx"
web-load: web-load-data
	PREVENT_WEB_LOAD_DB=sqlite:$(CURDIR)/$(WEB_LOAD)/prevent.db PREVENT_WEB_LOAD_N=$(WEB_LOAD_N) \
	  $(GO) test -count=1 -run TestConcurrentLoadMemory -v ./internal/web/

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
