package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"logq/partitions"
)

// DemoData writes a demo data set as JSON lines to w. main.go passes the
// benchmark generator (bench.Generate), so that server does not depend on
// bench.
type DemoData func(ctx context.Context, w io.Writer) error

// loadDemo ingests the demo data set through the ingest handler, exactly as
// a client's request would be, when the store holds no rows yet: a first
// `make run` answers queries at once, and a restart never loads it twice.
func loadDemo(ctx context.Context, store *partitions.Store, h *IngestHandler, demo DemoData, log *slog.Logger) error {
	if st := store.Stats(); st.SegmentRows+st.BufferedRows > 0 {
		return nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(demo(ctx, pw)) }()
	defer pr.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ingestPath, pr)
	if err != nil {
		return err
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Errorf("load demo data: HTTP %d: %s", rec.Code, rec.Body.String())
	}
	log.Info("demo data loaded", "answer", rec.Body.String())
	return nil
}
