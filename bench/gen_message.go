package bench

import "strconv"

// The message templates. Each appends one message to dst, drawing its
// numbers and words from r; none writes a character that JSON must escape.
// The dozen templates and their mix per level give messages of about 60
// bytes (at most about 80), and errors favour the three WORKLOAD.md names:
// db-primary timeouts, payment provider errors and NullPointerExceptions.

// template appends one message for the row v.
type template func(dst []byte, r *rng, v *rowVals) []byte

// messageMix lists the templates of each level with weights adding up to 100.
var messageMix = [levelCount][]weighted[template]{
	levelDebug: {{30, msgCacheMiss}, {30, msgEventPublished}, {25, msgHealth}, {15, msgJobDone}},
	levelInfo:  {{60, msgHTTP}, {15, msgLogin}, {10, msgJobDone}, {15, msgEventPublished}},
	levelWarn:  {{30, msgSlowQuery}, {30, msgRetry}, {25, msgConsumerLag}, {15, msgUpstream}},
	levelError: {{30, msgDBTimeout}, {25, msgPayment}, {25, msgNPE}, {10, msgUpstream}, {10, msgHTTP}},
	levelFatal: {{35, msgDBTimeout}, {15, msgPayment}, {40, msgNPE}, {10, msgUpstream}},
}

// appendMessage appends the message of row v, its template drawn by level.
func appendMessage(dst []byte, r *rng, v *rowVals) []byte {
	return pick(r, messageMix[v.level])(dst, r, v)
}

var (
	httpMethods   = []string{"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"}
	resources     = []string{"orders", "users", "carts", "products", "invoices", "payments"}
	cacheKinds    = []string{"user", "cart", "product", "session", "price"}
	loginMethods  = []string{"password", "sso", "api-key", "oauth"}
	jobNames      = []string{"cleanup-sessions", "rebuild-search-index", "send-digest-emails", "expire-carts", "sync-inventory"}
	eventNames    = []string{"order.created", "order.paid", "cart.updated", "user.signed_up", "invoice.sent"}
	topics        = []string{"orders-events", "payments-events", "inventory-updates", "email-outbox"}
	consumerGroup = []string{"billing", "shipping", "analytics", "notifier"}
	tables        = []string{"orders", "order_items", "users", "payments", "inventory"}
	downstreams   = []string{"inventory", "pricing", "shipping", "auth", "search"}
	paymentErrors = []string{"card_declined", "insufficient_funds", "gateway_timeout", "fraud_suspected", "invalid_cvc"}
	handlers      = []string{"OrderController.checkout", "CartController.addItem", "PaymentController.capture", "UserController.profile", "InvoiceController.render"}
)

// word draws one of words uniformly.
func word(r *rng, words []string) string { return words[r.intn(len(words))] }

// num appends a uniform integer in [0, n).
func num(dst []byte, r *rng, n int) []byte {
	return strconv.AppendInt(dst, int64(r.intn(n)), 10)
}

func appendInt(dst []byte, v int) []byte { return strconv.AppendInt(dst, int64(v), 10) }

// msgHTTP: GET /api/v1/orders/48072 completed status=200 duration=29ms.
func msgHTTP(dst []byte, r *rng, v *rowVals) []byte {
	dst = append(dst, word(r, httpMethods)...)
	dst = append(dst, " /api/v1/"...)
	dst = append(dst, word(r, resources)...)
	dst = append(dst, '/')
	dst = num(dst, r, 100000)
	dst = append(dst, " completed status="...)
	dst = appendInt(dst, v.status)
	dst = append(dst, " duration="...)
	dst = appendInt(dst, v.latencyMS)
	return append(dst, "ms"...)
}

// msgCacheMiss: cache miss for key user:48213, loaded from db-replica in 12ms.
func msgCacheMiss(dst []byte, r *rng, v *rowVals) []byte {
	dst = append(dst, "cache miss for key "...)
	dst = append(dst, word(r, cacheKinds)...)
	dst = append(dst, ':')
	dst = num(dst, r, 100000)
	dst = append(dst, ", loaded from db-replica in "...)
	dst = appendInt(dst, v.latencyMS)
	return append(dst, "ms"...)
}

// msgLogin: user 48213 logged in from 10.0.37.112 using password.
func msgLogin(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "user "...)
	dst = num(dst, r, 100000)
	dst = append(dst, " logged in from 10."...)
	dst = num(dst, r, 256)
	dst = append(dst, '.')
	dst = num(dst, r, 256)
	dst = append(dst, '.')
	dst = num(dst, r, 256)
	dst = append(dst, " using "...)
	return append(dst, word(r, loginMethods)...)
}

// msgJobDone: job expire-carts finished in 342ms, 17 records processed.
func msgJobDone(dst []byte, r *rng, v *rowVals) []byte {
	dst = append(dst, "job "...)
	dst = append(dst, word(r, jobNames)...)
	dst = append(dst, " finished in "...)
	dst = appendInt(dst, v.latencyMS*10)
	dst = append(dst, "ms, "...)
	dst = num(dst, r, 5000)
	return append(dst, " records processed"...)
}

// msgEventPublished: published order.created id=48072 partition=7 offset=1234567.
func msgEventPublished(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "published "...)
	dst = append(dst, word(r, eventNames)...)
	dst = append(dst, " id="...)
	dst = num(dst, r, 100000)
	dst = append(dst, " partition="...)
	dst = num(dst, r, 16)
	dst = append(dst, " offset="...)
	return num(dst, r, 10000000)
}

// msgHealth: health check ok: 42 goroutines, heap 118 MiB, gc pause 310us.
func msgHealth(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "health check ok: "...)
	dst = appendInt(dst, 20+r.intn(400))
	dst = append(dst, " goroutines, heap "...)
	dst = appendInt(dst, 32+r.intn(900))
	dst = append(dst, " MiB, gc pause "...)
	dst = appendInt(dst, 50+r.intn(2000))
	return append(dst, "us"...)
}

// msgSlowQuery: slow query on table orders took 812ms, 48213 rows examined.
func msgSlowQuery(dst []byte, r *rng, v *rowVals) []byte {
	dst = append(dst, "slow query on table "...)
	dst = append(dst, word(r, tables)...)
	dst = append(dst, " took "...)
	dst = appendInt(dst, 500+v.latencyMS*10)
	dst = append(dst, "ms, "...)
	dst = num(dst, r, 1000000)
	return append(dst, " rows examined"...)
}

// msgRetry: retrying call to pricing-service attempt=2/5 backoff=400ms.
func msgRetry(dst []byte, r *rng, _ *rowVals) []byte {
	attempt := 1 + r.intn(4)
	dst = append(dst, "retrying call to "...)
	dst = append(dst, word(r, downstreams)...)
	dst = append(dst, "-service attempt="...)
	dst = appendInt(dst, attempt)
	dst = append(dst, "/5 backoff="...)
	dst = appendInt(dst, 100<<attempt)
	return append(dst, "ms"...)
}

// msgConsumerLag: consumer lag on orders-events is 1243 messages for billing.
func msgConsumerLag(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "consumer lag on "...)
	dst = append(dst, word(r, topics)...)
	dst = append(dst, " is "...)
	dst = appendInt(dst, 1000+r.intn(50000))
	dst = append(dst, " messages for "...)
	return append(dst, word(r, consumerGroup)...)
}

// msgUpstream: upstream auth-service returned status=503 after 1203ms.
func msgUpstream(dst []byte, r *rng, v *rowVals) []byte {
	dst = append(dst, "upstream "...)
	dst = append(dst, word(r, downstreams)...)
	dst = append(dst, "-service returned status="...)
	dst = appendInt(dst, v.status)
	dst = append(dst, " after "...)
	dst = appendInt(dst, v.latencyMS)
	return append(dst, "ms"...)
}

// msgDBTimeout: connection to db-primary timed out after 5000ms (attempt 3/3).
func msgDBTimeout(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "connection to db-primary timed out after "...)
	dst = appendInt(dst, 1000*(1+r.intn(10)))
	dst = append(dst, "ms (attempt "...)
	dst = appendInt(dst, 1+r.intn(3))
	return append(dst, "/3)"...)
}

// msgPayment: payment provider returned error card_declined for order 48072.
func msgPayment(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "payment provider returned error "...)
	dst = append(dst, word(r, paymentErrors)...)
	dst = append(dst, " for order "...)
	return num(dst, r, 100000)
}

// msgNPE: NullPointerException in handler OrderController.checkout at line 214.
func msgNPE(dst []byte, r *rng, _ *rowVals) []byte {
	dst = append(dst, "NullPointerException in handler "...)
	dst = append(dst, word(r, handlers)...)
	dst = append(dst, " at line "...)
	return appendInt(dst, 20+r.intn(600))
}
