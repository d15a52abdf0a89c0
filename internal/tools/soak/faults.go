package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"switchboard/internal/sandbox/fault"
)

// faultsStartAfter is when the first fault starts, from the load's start,
// so that even a one-minute soak sees two.
const faultsStartAfter = 15 * time.Second

// namedFault is one fault of the rotation.
type namedFault struct {
	Name  string
	Fault fault.Fault
}

// rotation is the order faults are injected in.
func rotation() []namedFault {
	return []namedFault{
		{"500", fault.Fault{Status: 500}},
		{"503+retry-after", fault.Fault{Status: 503, RetryAfter: 2 * time.Second}},
		{"429+retry-after", fault.Fault{Status: 429, RetryAfter: 2 * time.Second}},
		{"hang", fault.Fault{Kind: fault.KindHang}},
		{"reset", fault.Fault{Kind: fault.KindReset}},
		{"malformed", fault.Fault{Kind: fault.KindMalformedJSON}},
	}
}

// injection is one fault that was injected.
type injection struct {
	At       time.Duration // from the load's start
	Upstream string
	Name     string
}

// faultPlan configures runFaults.
type faultPlan struct {
	Every, For time.Duration
	// Until is the load's duration: no fault is injected that would not
	// have cleared 5 s before the end, so the run ends on a healthy upstream.
	Until time.Duration
	// Kinds, when not empty, limits the rotation to these names.
	Kinds []string
	// Log receives one line per injection and clearance.
	Log io.Writer
}

// selectFaults returns the rotation limited to names (all when empty), or
// an error naming an unknown one.
func selectFaults(names []string) ([]namedFault, error) {
	all := rotation()
	if len(names) == 0 {
		return all, nil
	}
	var out []namedFault
	for _, n := range names {
		i := slices.IndexFunc(all, func(f namedFault) bool { return f.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown fault %q", n)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// runFaults injects the rotation's faults every plan.Every, each for
// plan.For, alternating the upstream so that each fault meets both over a
// long run, until ctx is done or the plan ends; it leaves no fault behind.
func runFaults(ctx context.Context, up *upstreams, plan faultPlan) []injection {
	defer up.clearFaults()
	start := time.Now()
	var done []injection
	faults, err := selectFaults(plan.Kinds)
	if err != nil { // options.validate has checked the names
		return nil
	}
	for i := 0; ; i++ {
		at := faultsStartAfter + time.Duration(i)*plan.Every
		if at+plan.For > plan.Until-5*time.Second {
			return done
		}
		if !sleepCtx(ctx, time.Until(start.Add(at))) {
			return done
		}
		nf := faults[i%len(faults)]
		name, inject, clear := "phonewagon", up.pw.InjectFault, up.pw.ClearFault
		if onCallWidget(i, len(faults)) {
			name, inject, clear = "callwidget", up.cw.InjectFault, up.cw.ClearFault
		}
		fmt.Fprintf(plan.Log, "soak: %6.1fs inject %s on %s\n", time.Since(start).Seconds(), nf.Name, name)
		inject(nf.Fault)
		ok := sleepCtx(ctx, plan.For)
		clear()
		fmt.Fprintf(plan.Log, "soak: %6.1fs clear %s on %s\n", time.Since(start).Seconds(), nf.Name, name)
		done = append(done, injection{At: at, Upstream: name, Name: nf.Name})
		if !ok {
			return done
		}
	}
}

// onCallWidget says whether the i-th injection of a rotation of n faults
// goes to CallWidget: every other one, shifted by one each round when n is
// even, so that over two rounds every fault meets both upstreams.
func onCallWidget(i, n int) bool {
	if n%2 == 0 {
		return (i+i/n)%2 == 1
	}
	return i%2 == 1
}
