package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"logq/catalog"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/server/accounts"
)

// columnsPath is the URL path of the column administration endpoints:
// GET lists the dynamic columns, DELETE columnsPath + "/NAME" drops one.
const columnsPath = "/api/v1/columns"

// ColumnInfo is one dynamic column as the columns endpoint and `logq
// columns list` show it.
type ColumnInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ColumnsResponse is the answer of the columns endpoints.
type ColumnsResponse struct {
	// Columns lists the dynamic columns in schema order (GET).
	Columns []ColumnInfo `json:"columns,omitempty"`
	// Dropped names the column removed (DELETE).
	Dropped string `json:"dropped,omitempty"`
	// Error explains a status other than 200.
	Error string `json:"error,omitempty"`
}

// listColumns returns the dynamic columns SQL sees, in schema order.
func listColumns(store *partitions.Store, cat *catalog.Catalog) []ColumnInfo {
	out := []ColumnInfo{}
	for _, c := range store.ColumnView().Columns(cat.Columns()) {
		typ := c.Type.String()
		if c.Name == partitions.CatchAllColumn && c.Type == columns.TypeString {
			typ = "JSON" // as SQL sees it
		}
		out = append(out, ColumnInfo{Name: c.Name, Type: typ})
	}
	return out
}

// registerColumns adds the column administration endpoints to mux. auth
// guards them: listing needs SELECT on logq, dropping needs DROP (an
// admin). DELETE cannot be sent cross-origin by a browser without a CORS
// preflight, which the server never grants.
func registerColumns(mux *http.ServeMux, store *partitions.Store, cat *catalog.Catalog, log *slog.Logger, auth authorizer) {
	mux.Handle("GET "+columnsPath, auth(accounts.Select, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeColumns(w, http.StatusOK, &ColumnsResponse{Columns: listColumns(store, cat)})
	})))
	mux.Handle("DELETE "+columnsPath+"/{name}", auth(accounts.Drop, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if columns.IsCore(strings.ToLower(name)) {
			writeColumns(w, http.StatusBadRequest, &ColumnsResponse{Error: fmt.Sprintf("%q is a core column and cannot be dropped", name)})
			return
		}
		err := store.DropColumn(name)
		switch {
		case err == nil:
			log.Info("column dropped over HTTP", "column", name, "remote", r.RemoteAddr)
			writeColumns(w, http.StatusOK, &ColumnsResponse{Dropped: name})
		case errors.Is(err, partitions.ErrNoSuchColumn):
			writeColumns(w, http.StatusNotFound, &ColumnsResponse{Error: err.Error()})
		case errors.Is(err, partitions.ErrClosed), errors.Is(err, partitions.ErrFailed):
			writeColumns(w, http.StatusServiceUnavailable, &ColumnsResponse{Error: err.Error()})
		default:
			log.Error("drop column", "column", name, "err", err)
			writeColumns(w, http.StatusInternalServerError, &ColumnsResponse{Error: err.Error()})
		}
	})))
}

func writeColumns(w http.ResponseWriter, status int, resp *ColumnsResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp) //nolint:errcheck // the client went away
}
