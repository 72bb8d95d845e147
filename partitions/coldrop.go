package partitions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"strconv"
	"strings"

	"logq/partitions/columns"
)

// columnsVersion is the version of the COLUMNS file format (FORMAT.md).
const columnsVersion = 1

// columnsMagic starts the first line of the COLUMNS file.
const columnsMagic = "LOGQ-COLUMNS"

// columnsFile is the body of the COLUMNS file: the generation of every
// column name dropped at least once (see ColumnView).
type columnsFile struct {
	Generations map[string]uint32 `json:"generations"`
}

// encodeColumnsFile renders the COLUMNS file of gens, framed like a
// MANIFEST: "LOGQ-COLUMNS <version> <crc32c of the body, hex>\n" and a JSON
// body.
func encodeColumnsFile(gens map[string]uint32) []byte {
	body, err := json.MarshalIndent(columnsFile{Generations: gens}, "", "  ")
	if err != nil {
		panic("BUG: COLUMNS does not marshal: " + err.Error())
	}
	body = append(body, '\n')
	header := fmt.Sprintf("%s %d %08x\n", columnsMagic, columnsVersion, crc32.Checksum(body, castagnoli))
	return append([]byte(header), body...)
}

// decodeColumnsFile parses the bytes of a COLUMNS file.
func decodeColumnsFile(path string, data []byte) (map[string]uint32, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, fmt.Errorf("%w: %s: no header line", ErrCorrupt, path)
	}
	fields := bytes.Fields(data[:nl])
	if len(fields) != 3 || string(fields[0]) != columnsMagic {
		return nil, fmt.Errorf("%w: %s: bad header %q", ErrCorrupt, path, data[:nl])
	}
	if v, err := strconv.Atoi(string(fields[1])); err != nil || v != columnsVersion {
		return nil, fmt.Errorf("%w: %s: unsupported version %q", ErrCorrupt, path, fields[1])
	}
	want, err := strconv.ParseUint(string(fields[2]), 16, 32)
	body := data[nl+1:]
	if err != nil || uint32(want) != crc32.Checksum(body, castagnoli) {
		return nil, fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, path)
	}
	var f columnsFile
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return f.Generations, nil
}

// loadColumnsFile reads the COLUMNS file, if any, into the view. A damaged
// file stops start-up: guessing would let dropped values reappear.
func (s *Store) loadColumnsFile() error {
	path := s.path(columnsFileName)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	gens, err := decodeColumnsFile(path, data)
	if err != nil {
		return err
	}
	if len(gens) > 0 {
		s.view.Store(&ColumnView{gens: gens})
	}
	return nil
}

// DropColumn removes the dynamic column name: it disappears from the
// schema at once, its place under the column limit is freed, and its values
// already stored are never read again, even if rows bring the name back
// later (they start a new, empty column; see ColumnView). The drop is
// durable when DropColumn returns. Segments are not rewritten for it: the
// values take disk space until a compaction merges their segments (which
// leaves dead columns out, as flushes do) or retention removes them. The catch-all
// column may be dropped too (its stored fields go with it); core columns
// cannot. Names are matched in lower case.
func (s *Store) DropColumn(name string) error {
	name = strings.ToLower(name)
	if columns.IsCore(name) {
		return fmt.Errorf("%q is a core column and cannot be dropped", name)
	}
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	view := s.view.Load()
	s.mu.Lock()
	err := s.usableLocked()
	_, ok := s.mu.columns[view.Stored(name)]
	s.mu.Unlock()
	switch {
	case err != nil:
		return err
	case !ok && name != CatchAllColumn:
		return errNoColumn(name)
	}
	next := view.withDrop(name)
	if err := writeFileAtomic(s.path(columnsFileName), encodeColumnsFile(next.gens)); err != nil {
		return fmt.Errorf("drop column %q: %w", name, err)
	}
	s.mu.Lock()
	s.view.Store(next)
	delete(s.mu.columns, view.Stored(name))
	s.mu.Unlock()
	s.cfg.log.Info("column dropped", "column", name, "generation", next.gens[name])
	return nil
}
