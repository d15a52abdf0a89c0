package events

import (
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
)

// TestMain stops the Redis Cluster the cluster variants share.
func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

func TestLogConformanceOnCluster(t *testing.T) {
	runLogSuite(t, func(t *testing.T, keep time.Duration) logFixture {
		rdb, prefix := redistest.Cluster(t)
		return logFixture{log: NewRedisLog(rdb, prefix, keep), advance: func(time.Duration) {}}
	})
}

func TestWebhookDeliveryAcrossReplicasOnCluster(t *testing.T) {
	testWebhookDeliveryAcrossReplicas(t, func(t *testing.T) (redis.Cmdable, string) { return redistest.Cluster(t) })
}
