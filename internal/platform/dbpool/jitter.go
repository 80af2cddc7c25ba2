package dbpool

import (
	"math/rand/v2"
	"time"
)

// jitter spreads d by ±20 % so that many clients reconnecting at once do
// not hit the database in lockstep.
func jitter(d time.Duration) time.Duration {
	f := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * f)
}
