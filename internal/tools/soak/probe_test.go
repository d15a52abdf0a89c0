package main

import "testing"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    memory
		wantErr bool
	}{
		{"VmRSS and VmHWM are read in KiB", "Name:\tgateway\nVmHWM:\t   30000 kB\nVmRSS:\t   25000 kB\nThreads:\t8\n", memory{RSS: 25000, Peak: 30000}, false},
		{"a missing VmHWM is an error", "VmRSS:\t 1 kB\n", memory{}, true},
		{"a unit other than kB is an error", "VmRSS:\t 1 MB\nVmHWM:\t 1 kB\n", memory{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestGaugeValue(t *testing.T) {
	text := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 17\ngo_goroutines_other 3\n"
	tests := []struct {
		name   string
		metric string
		want   float64
		ok     bool
	}{
		{"an unlabelled gauge is read", "go_goroutines", 17, true},
		{"a metric whose name only starts alike is not confused", "go_gor", 0, false},
		{"an absent metric is not found", "process_open_fds", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := gaugeValue([]byte(text), tt.metric)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSumSeries(t *testing.T) {
	text := `# TYPE switchboard_upstream_requests_total counter
switchboard_upstream_requests_total{endpoint="calls",status="200",upstream="phonewagon"} 40
switchboard_upstream_requests_total{endpoint="calls",status="error",upstream="phonewagon"} 2
switchboard_upstream_requests_total{endpoint="tags",status="200",upstream="callwidget"} 7
switchboard_upstream_requests_total_other{upstream="phonewagon"} 100
`
	tests := []struct {
		name  string
		label string
		want  float64
	}{
		{"every series with the label is added", `upstream="phonewagon"`, 42},
		{"series without it are left out", `upstream="callwidget"`, 7},
		{"a label no series has sums to zero", `upstream="other"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sumSeries([]byte(text), "switchboard_upstream_requests_total", tt.label); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
