package events

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeShowsTheCompiledReceiverExample keeps README's receiver code the
// one that example_test.go compiles and runs.
func TestReadmeShowsTheCompiledReceiverExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "func verifyWebhook(")
	end := strings.Index(string(src[start:]), "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("example_test.go has no verifyWebhook function")
	}
	fn := string(src[start : start+end+2])
	if !strings.Contains(string(readme), fn) {
		t.Fatalf("README does not show verifyWebhook as example_test.go has it:\n%s", fn)
	}
}
