package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/importers"
)

// dateHeaders name the date column the bare reader parses.
var dateHeaders = []string{"Completion Date", "Date Achieved"}

func isDateHeader(s string) bool {
	for _, h := range dateHeaders {
		if strings.EqualFold(strings.TrimSpace(s), h) {
			return true
		}
	}
	return false
}

// bare iterates every row of each file and parses each date cell: the least
// any importer has to do, as the yardstick for prevent's import.
func bare(files []string, out io.Writer) error {
	rows, dates := 0, 0
	for _, f := range files {
		var n, d int
		var err error
		if strings.HasSuffix(strings.ToLower(f), ".xlsx") {
			n, d, err = bareXLSX(f)
		} else {
			n, d, err = bareCSV(f)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		rows, dates = rows+n, dates+d
	}
	fmt.Fprintf(out, "%d rows, %d dates parsed\n", rows, dates)
	return nil
}

func bareXLSX(path string) (rows, dates int, err error) {
	xl, err := excelize.OpenFile(path)
	if err != nil {
		return 0, 0, err
	}
	defer xl.Close()
	raw := excelize.Options{RawCellValue: true}
	for _, sheet := range xl.GetSheetList() {
		it, err := xl.Rows(sheet)
		if err != nil {
			return rows, dates, err
		}
		col := -1
		for it.Next() {
			cells, err := it.Columns(raw)
			if err != nil {
				return rows, dates, err
			}
			rows++
			if col < 0 {
				for i, c := range cells {
					if isDateHeader(c) {
						col = i
					}
				}
				continue
			}
			if col < len(cells) {
				if _, err := importers.ParseDate(cells[col]); err == nil {
					dates++
				}
			}
		}
		if err := it.Close(); err != nil {
			return rows, dates, err
		}
	}
	return rows, dates, nil
}

func bareCSV(path string) (rows, dates int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(4096)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	r := csv.NewReader(br)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		r.Comma = ';'
	}
	col := -1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, dates, nil
		}
		if err != nil {
			return rows, dates, err
		}
		rows++
		if col < 0 {
			for i, c := range rec {
				if isDateHeader(c) {
					col = i
				}
			}
			continue
		}
		if col < len(rec) {
			if _, err := importers.ParseDate(rec[col]); err == nil {
				dates++
			}
		}
	}
}

func numCPU() int { return runtime.NumCPU() }
