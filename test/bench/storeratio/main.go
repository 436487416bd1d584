// Command storeratio reads the output of
//
//	go test -run '^$' -bench Compare ./store ./store/postgres
//
// on stdin and prints each Compare benchmark's time on the bbolt store, on
// the PostgreSQL store, and their ratio (PostgreSQL / bbolt).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// benchLine matches "BenchmarkCompareX/sub-8   123   4567 ns/op ...".
var benchLine = regexp.MustCompile(`^(BenchmarkCompare\S*?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "storeratio:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	times := map[string]map[string]float64{} // name -> store -> ns/op
	var names []string
	pkg := ""
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(out, line)
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = "bbolt"
			if strings.HasSuffix(p, "/postgres") {
				pkg = "postgres"
			}
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return err
		}
		if times[m[1]] == nil {
			times[m[1]] = map[string]float64{}
			names = append(names, m[1])
		}
		times[m[1]][pkg] = ns
	}
	if err := sc.Err(); err != nil {
		return err
	}
	slices.Sort(names)
	fmt.Fprintf(out, "\n%-55s %12s %12s %8s\n", "store operation", "bbolt", "postgres", "pg/bbolt")
	missing := 0
	for _, n := range names {
		b, okb := times[n]["bbolt"]
		p, okp := times[n]["postgres"]
		if !okb || !okp {
			missing++
			fmt.Fprintf(out, "%-55s (ran on one store only)\n", strings.TrimPrefix(n, "BenchmarkCompare"))
			continue
		}
		fmt.Fprintf(out, "%-55s %12s %12s %8.2f\n", strings.TrimPrefix(n, "BenchmarkCompare"), dur(b), dur(p), p/b)
	}
	if len(names) == 0 || missing > 0 {
		return fmt.Errorf("%d of %d Compare benchmarks did not run on both stores", missing, len(names))
	}
	return nil
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
