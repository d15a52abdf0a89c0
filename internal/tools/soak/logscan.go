package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// logCounts is what a replica's log says about its health.
type logCounts struct {
	Errors int // JSON lines at level ERROR
	Panics int // recovered panics, or a crash of the whole process
}

// scanLog counts a replica's error and panic lines.
func scanLog(path string) (logCounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return logCounts{}, fmt.Errorf("scan log: %w", err)
	}
	defer f.Close()
	var c logCounts
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		c.add(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("scan log: %w", err)
	}
	return c, nil
}

// add classifies one log line.
func (c *logCounts) add(line string) {
	if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
		c.Panics++
		return
	}
	var rec struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil {
		return
	}
	if rec.Level == "ERROR" {
		c.Errors++
	}
	if strings.Contains(rec.Msg, "panic") {
		c.Panics++
	}
}
