package web

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// observer implements flows.Observer with Prometheus metrics: what the
// engine, the lifecycle and the store's write path report as it happens.
// The README's "Operating it" lists every metric.
type observer struct {
	executions *prometheus.CounterVec   // kind, trigger, status
	durations  *prometheus.HistogramVec // kind, trigger
	// ended caches the series of each kind, trigger and status seen: an
	// execution's count is then a map lookup and two atomic adds.
	mu    sync.RWMutex
	ended map[endedKey]endedSeries

	retries, dead                    prometheus.Counter
	registrations, deregistrations   prometheus.Counter
	scheduleLag                      prometheus.Histogram
	batchItems, commits              map[flows.WriteBatch]prometheus.Observer
	batchItemsVec, commitDurationVec *prometheus.HistogramVec
}

type endedKey struct {
	kind    flows.Kind
	trigger flows.Trigger
	status  flows.Status
}

type endedSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func newObserver(reg prometheus.Registerer) *observer {
	o := &observer{
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_executions_total", Help: "Executions ended, by flow kind, trigger and final status.",
		}, []string{"kind", "trigger", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_execution_duration_seconds", Help: "How long ended executions ran, by flow kind and trigger.",
			Buckets: prometheus.ExponentialBucketsRange(0.001, 300, 12),
		}, []string{"kind", "trigger"}),
		ended: map[endedKey]endedSeries{},
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_delivery_retries_total", Help: "Delivery attempts that met a transient failure and run again later.",
		}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_deliveries_dead_total", Help: "Deliveries whose last allowed attempt failed too.",
		}),
		registrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_registration_failures_total", Help: "Webhook flows whose registration failed when turned ON.",
		}),
		deregistrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_deregistration_failures_total", Help: "Failed attempts to deregister a webhook flow turned OFF.",
		}),
		scheduleLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookflow_schedule_lag_seconds", Help: "How late scheduled runs started after the time they were due.",
			Buckets: prometheus.ExponentialBucketsRange(0.01, 3600, 12),
		}),
		batchItemsVec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_store_write_batch_items", Help: "Items (deliveries or executions' runs) per transaction of the store's write path, by batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, []string{"batch"}),
		commitDurationVec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_store_commit_duration_seconds", Help: "How long a transaction of the store's write path took to commit, by batch.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"batch"}),
		batchItems: map[flows.WriteBatch]prometheus.Observer{},
		commits:    map[flows.WriteBatch]prometheus.Observer{},
	}
	for _, b := range []flows.WriteBatch{flows.BatchAccepted, flows.BatchFinished, flows.BatchHistory} {
		o.batchItems[b] = o.batchItemsVec.WithLabelValues(string(b))
		o.commits[b] = o.commitDurationVec.WithLabelValues(string(b))
	}
	reg.MustRegister(o.executions, o.durations, o.retries, o.dead, o.registrations, o.deregistrations,
		o.scheduleLag, o.batchItemsVec, o.commitDurationVec)
	return o
}

func (o *observer) ExecutionFinished(kind flows.Kind, trigger flows.Trigger, status flows.Status, took time.Duration) {
	k := endedKey{kind, trigger, status}
	o.mu.RLock()
	s, ok := o.ended[k]
	o.mu.RUnlock()
	if !ok {
		if kind == "" {
			kind = "unknown"
		}
		s = endedSeries{o.executions.WithLabelValues(string(kind), string(trigger), string(status)),
			o.durations.WithLabelValues(string(kind), string(trigger))}
		o.mu.Lock()
		o.ended[k] = s
		o.mu.Unlock()
	}
	s.count.Inc()
	s.duration.Observe(took.Seconds())
}

func (o *observer) DeliveryRetried()      { o.retries.Inc() }
func (o *observer) DeliveryDead()         { o.dead.Inc() }
func (o *observer) RegistrationFailed()   { o.registrations.Inc() }
func (o *observer) DeregistrationFailed() { o.deregistrations.Inc() }

func (o *observer) ScheduleLate(late time.Duration) { o.scheduleLag.Observe(max(late, 0).Seconds()) }

func (o *observer) WriteCommitted(b flows.WriteBatch, size int, took time.Duration) {
	items, ok := o.batchItems[b]
	if !ok {
		return // the maps are filled once and only read: every batch is in them
	}
	items.Observe(float64(size))
	o.commits[b].Observe(took.Seconds())
}

// storeStats reads the store's Stats when /metrics is scraped: one query
// per scrape, never anything per payload.
type storeStats struct {
	store              *store.Store
	log                *slog.Logger
	queued, oldest     *prometheus.Desc
	subscriptionsState *prometheus.Desc
}

// subscriptionStates are the states every scrape reports, 0 when none
// is in them, so that an alert on one has a series from the start.
var subscriptionStates = []flows.SubscriptionState{flows.SubscriptionRegistering, flows.SubscriptionActive,
	flows.SubscriptionDeregistering, flows.SubscriptionFailed, flows.SubscriptionOff}

func newStoreStats(st *store.Store, log *slog.Logger) *storeStats {
	return &storeStats{store: st, log: log,
		queued: prometheus.NewDesc("hookflow_deliveries_queued", "Accepted deliveries that have not run yet.", nil, nil),
		oldest: prometheus.NewDesc("hookflow_deliveries_oldest_queued_age_seconds",
			"How long the oldest delivery not run yet has waited (0 when none waits).", nil, nil),
		subscriptionsState: prometheus.NewDesc("hookflow_subscriptions", "Subscriptions (flows' Event URLs, schedules, polls) by state.",
			[]string{"state"}, nil),
	}
}

func (c *storeStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queued
	ch <- c.oldest
	ch <- c.subscriptionsState
}

// Collect reads the stats; when the database does not answer, the
// gauges are left out of the scrape (and the reason logged), the rest of
// it is served.
func (c *storeStats) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.store.Stats(ctx)
	if err != nil {
		c.log.WarnContext(ctx, "metrics: store stats unreadable", "error", err)
		return
	}
	age := 0.0
	if !st.OldestQueued.IsZero() {
		age = max(time.Since(st.OldestQueued).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(st.QueuedDeliveries))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	for _, s := range subscriptionStates {
		ch <- prometheus.MustNewConstMetric(c.subscriptionsState, prometheus.GaugeValue, float64(st.Subscriptions[s]), string(s))
	}
	for s, n := range st.Subscriptions {
		if !slices.Contains(subscriptionStates, s) {
			ch <- prometheus.MustNewConstMetric(c.subscriptionsState, prometheus.GaugeValue, float64(n), string(s))
		}
	}
}
