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
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./importers/ ./internal/...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseDate -fuzztime 20s ./importers/
	$(GO) test -run '^$$' -fuzz FuzzMatch -fuzztime 20s ./internal/glob/

clean:
	rm -rf bin demo
