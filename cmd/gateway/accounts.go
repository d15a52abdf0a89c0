package main

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"

	"switchboard/internal/breaker"
	"switchboard/internal/config"
	"switchboard/internal/metrics"
	"switchboard/internal/ratelimit"
)

// accountBudget is one Phonewagon account's budget and what it was built
// from.
type accountBudget struct {
	budget   *ratelimit.Budget
	clientID string
	limit    int
}

// accountBreaker is one upstream account's circuit breaker and its gauge
// label.
type accountBreaker struct {
	breaker *breaker.Breaker
	label   string
}

// accounts holds the state that belongs to an upstream account rather than
// to one configuration: Phonewagon budgets and circuit breakers. A reload
// keeps them for every account it still names, so that a reload neither
// hands an account a fresh budget nor closes an open breaker; an account no
// longer named is dropped with the generation that used it.
//
// The gauges read the accounts of the configuration in force (metrics.State).
type accounts struct {
	mu       sync.Mutex
	budgets  map[string]*accountBudget  // by config.Phonewagon.Account()
	breakers map[string]*accountBreaker // by upstream account key
}

func newAccounts() *accounts {
	return &accounts{budgets: map[string]*accountBudget{}, breakers: map[string]*accountBreaker{}}
}

// generation is the accounts one configuration uses while it is being built;
// commit makes it the accounts in force.
type generation struct {
	prev     *accounts
	budgets  map[string]*accountBudget
	breakers map[string]*accountBreaker
}

// begin starts a generation that may reuse every account in force.
func (a *accounts) begin() *generation {
	return &generation{prev: a, budgets: map[string]*accountBudget{}, breakers: map[string]*accountBreaker{}}
}

// budget returns the budget of pw's account: the one in force when its limit
// is unchanged, else a new one from build. A new budget counts in the same
// store under the same account key, so the admissions of the current window
// still count against it.
func (g *generation) budget(pw *config.Phonewagon, build func() (*ratelimit.Budget, error)) (*ratelimit.Budget, error) {
	key := pw.Account()
	if b, ok := g.budgets[key]; ok {
		return b.budget, nil
	}
	g.prev.mu.Lock()
	old, ok := g.prev.budgets[key]
	g.prev.mu.Unlock()
	if ok && old.limit == pw.BudgetPerMinute {
		g.budgets[key] = old
		return old.budget, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	g.budgets[key] = &accountBudget{budget: b, clientID: pw.ClientID, limit: pw.BudgetPerMinute}
	return b, nil
}

// breaker returns the breaker of the upstream account key, the one in force
// when there is one.
func (g *generation) breaker(key, label string, build func(name string) (*breaker.Breaker, error)) (*breaker.Breaker, error) {
	if b, ok := g.breakers[key]; ok {
		return b.breaker, nil
	}
	g.prev.mu.Lock()
	old, ok := g.prev.breakers[key]
	g.prev.mu.Unlock()
	if ok {
		g.breakers[key] = old
		return old.breaker, nil
	}
	b, err := build(label)
	if err != nil {
		return nil, err
	}
	g.breakers[key] = &accountBreaker{breaker: b, label: label}
	return b, nil
}

// commit makes g the accounts in force.
func (g *generation) commit() {
	g.prev.mu.Lock()
	defer g.prev.mu.Unlock()
	g.prev.budgets, g.prev.breakers = g.budgets, g.breakers
}

// state reads the gauges of the accounts in force: each budget asks its
// store (one round trip per account, falling back to this replica's share
// while the store fails), each breaker its state. Labels are client ids and
// logins; should two base URLs share one, the later account (in key order,
// so the same on every scrape) gets "#2".
func (a *accounts) state(ctx context.Context) metrics.State {
	a.mu.Lock()
	budgetKeys := slices.Sorted(maps.Keys(a.budgets))
	budgets := make([]*accountBudget, len(budgetKeys))
	for i, k := range budgetKeys {
		budgets[i] = a.budgets[k]
	}
	breakerKeys := slices.Sorted(maps.Keys(a.breakers))
	breakers := make([]*accountBreaker, len(breakerKeys))
	for i, k := range breakerKeys {
		breakers[i] = a.breakers[k]
	}
	a.mu.Unlock()

	var st metrics.State
	seen := map[string]int{}
	for _, b := range budgets {
		remaining := 0
		if d, err := b.budget.Status(ctx); err == nil {
			remaining = d.Remaining
		} else if n, ok := b.budget.LastRemaining(); ok {
			remaining = n
		}
		st.Budgets = append(st.Budgets, metrics.BudgetSample{Account: unique(seen, b.clientID), Limit: b.limit, Remaining: remaining})
	}
	clear(seen)
	for _, b := range breakers {
		st.Breakers = append(st.Breakers, metrics.BreakerSample{Name: unique(seen, b.label), State: int(b.breaker.State())})
	}
	return st
}

// unique returns label, or label#n when it was already used n-1 times: the
// registry refuses two series with the same labels.
func unique(seen map[string]int, label string) string {
	seen[label]++
	if n := seen[label]; n > 1 {
		return label + "#" + strconv.Itoa(n)
	}
	return label
}
