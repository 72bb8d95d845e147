package wal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Repair makes Replay drop damaged bytes found before the tail (or in a
	// file that is not the last) instead of failing: the file is rewritten
	// without them, keeping every intact record, and replay continues.
	Repair bool
	// Logger receives what was truncated or dropped; nil means slog.Default().
	Logger *slog.Logger
}

// ReplayResult summarises a Replay.
type ReplayResult struct {
	Files   int    // WAL files read
	Records int    // records passed to fn
	LastGen uint64 // highest generation found (0 if none): open the WAL above it
	// TruncatedBytes counts the torn-tail bytes cut from the last file,
	// including a last file removed because its header was torn.
	TruncatedBytes int64
	// RepairedBytes counts the damaged bytes Repair dropped.
	RepairedBytes int64
}

// Replay reads every WAL file in dir in generation order and calls fn for
// each intact record, in file order. rec is valid only until fn returns; an
// error from fn stops the replay and is returned wrapped. A missing dir is
// an empty log. Replay must not run on a dir that a WAL is writing to.
//
// Damage is classified as in FORMAT.md. A torn tail of the last file (an
// incomplete or failing record with no intact record of a later commit group
// after it, zero bytes, or a last file whose header never reached the disk)
// is truncated, logged and counted in TruncatedBytes. Any other damage is
// corruption: Replay returns an error wrapping ErrCorrupt that names the file
// and offset and changes no file, unless o.Repair is set. Records before the
// damage have been passed to fn by then, so the caller must treat the whole
// replay as failed. A file of an unknown format version is an error wrapping
// errors.ErrUnsupported, even with Repair.
func Replay(dir string, o ReplayOptions, fn func(gen uint64, rec []byte) error) (ReplayResult, error) {
	var res ReplayResult
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	gens, err := listGens(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err == nil {
		err = removeRepairLeftovers(dir)
	}
	if err != nil {
		return res, fmt.Errorf("wal: replay: %w", err)
	}
	if len(gens) > 0 {
		res.LastGen = gens[len(gens)-1]
	}
	for i, gen := range gens {
		r := fileReplay{dir: dir, path: filePath(dir, gen), gen: gen, last: i == len(gens)-1, repair: o.Repair, log: log, fn: fn}
		if err := r.run(&res); err != nil {
			return res, err
		}
		res.Files++
	}
	return res, nil
}

// removeRepairLeftovers deletes temporary files of an interrupted repair.
func removeRepairLeftovers(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), fileExt+repairExt) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
			removed = true
		}
	}
	if removed {
		return syncDir(dir)
	}
	return nil
}

// fileReplay replays one file.
type fileReplay struct {
	dir, path string
	gen       uint64
	last      bool // the file with the highest generation
	repair    bool
	log       *slog.Logger
	fn        func(gen uint64, rec []byte) error
}

// scanOutcome is what scanning a file found.
type scanOutcome struct {
	kept     []record // intact records (payloads not kept), collected only when repairing
	repaired bool     // Repair handled corruption, so the file must be rewritten
	damaged  int64    // bytes dropped as corruption
	tornAt   int64    // offset where the torn tail starts, or -1
	tornWhy  string
}

func (r *fileReplay) run(res *ReplayResult) error {
	f, err := os.Open(r.path)
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	s := &scanner{wr: windowReader{r: f, size: st.Size()}, size: st.Size(), gen: r.gen, seed: genSeed(r.gen)}
	out, err := r.scan(s, res)
	if err != nil {
		return err
	}
	if err := r.apply(s, out, res); err != nil {
		return fmt.Errorf("wal: replay %s: %w", r.path, err)
	}
	return nil
}

// scan delivers the intact records of the file and classifies its damage.
func (r *fileReplay) scan(s *scanner, res *ReplayResult) (scanOutcome, error) {
	out := scanOutcome{tornAt: -1}
	off, minGroup := int64(fileHeaderBytes), int64(fileHeaderBytes)
	why, err := s.checkHeader()
	if why != "" {
		off = 0 // the damage starts at the header
	}
	for err == nil && (why != "" || off < s.size) {
		if why == "" {
			var rec record
			if rec, why, err = s.recordAt(off, minGroup); err == nil && why == "" {
				err = r.deliver(rec, &out, res)
				off, minGroup = rec.end(), rec.hdr.group
			}
			continue
		}
		next, derr := r.damage(s, off, why, &out)
		if derr != nil || next < 0 {
			return out, derr
		}
		off, minGroup, why = next, fileHeaderBytes, ""
	}
	if err != nil {
		return out, fmt.Errorf("wal: replay %s: %w", r.path, err)
	}
	return out, nil
}

// damage classifies the damage at off, found for reason why, and returns the
// offset where scanning resumes (the next intact record), or -1 to stop: at
// a torn tail, or at the end of the file.
func (r *fileReplay) damage(s *scanner, off int64, why string, out *scanOutcome) (int64, error) {
	next, ok, later, err := s.lookahead(off)
	if err != nil {
		return -1, fmt.Errorf("wal: replay %s: %w", r.path, err)
	}
	if r.last && !later {
		out.tornAt, out.tornWhy = off, why
		return -1, nil
	}
	end := s.size
	if ok {
		end = next.off
	}
	if err := r.corruption(off, end, why, ok, out); err != nil || !ok {
		return -1, err
	}
	return next.off, nil
}

// deliver passes an intact record to fn.
func (r *fileReplay) deliver(rec record, out *scanOutcome, res *ReplayResult) error {
	if err := r.fn(r.gen, rec.payload); err != nil {
		return fmt.Errorf("record at offset %d: %w", rec.off, err)
	}
	res.Records++
	if r.repair {
		rec.payload = nil
		out.kept = append(out.kept, rec)
	}
	return nil
}

// corruption handles damage at off that is not a torn tail. end is the
// offset of the first intact record after it if ok, else the file size.
// Without Repair it returns the ErrCorrupt error; with Repair it logs and
// counts the bytes up to end as dropped.
func (r *fileReplay) corruption(off, end int64, why string, ok bool, out *scanOutcome) error {
	after := fmt.Sprintf("an intact record of a later commit group follows at offset %d", end)
	if !ok {
		after = "no intact record follows"
	}
	if !r.last {
		after += "; the file is not the last one"
	}
	if !r.repair {
		return fmt.Errorf("%w: %s at offset %d: %s (%s)", ErrCorrupt, r.path, off, why, after)
	}
	r.log.Warn("wal: repair drops damaged bytes", "file", r.path, "offset", off, "bytes", end-off, "reason", why)
	out.repaired = true
	out.damaged += end - off
	return nil
}

// apply makes the file match what the scan kept: a repaired file is
// rewritten without its damaged bytes, a torn tail is truncated, and a last
// file whose header is torn (so it holds no record) is removed.
func (r *fileReplay) apply(s *scanner, out scanOutcome, res *ReplayResult) error {
	if !out.repaired && out.tornAt < 0 {
		return nil
	}
	var err error
	removed := false
	switch {
	case out.repaired:
		err = r.rewrite(s, out.kept)
	case out.tornAt < fileHeaderBytes:
		err, removed = removeFile(r.dir, r.path), true
	default:
		err = truncateFile(r.path, out.tornAt)
	}
	if err != nil {
		return err
	}
	if out.repaired {
		r.log.Warn("wal: repaired file", "file", r.path, "records_kept", len(out.kept), "damaged_bytes_dropped", out.damaged)
		res.RepairedBytes += out.damaged
	}
	if out.tornAt >= 0 {
		torn := s.size - out.tornAt
		r.log.Warn("wal: truncated torn tail", "file", r.path, "offset", out.tornAt, "bytes_dropped", torn,
			"reason", out.tornWhy, "file_removed", removed)
		res.TruncatedBytes += torn
	}
	return nil
}

// truncateFile cuts path to size bytes and makes the cut durable, so that a
// later file never follows a torn one.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rewrite replaces the file by one holding only the kept records, through a
// temporary file that is synced and renamed over it.
func (r *fileReplay) rewrite(s *scanner, kept []record) error {
	tmp := r.path + repairExt
	err := writeRepaired(tmp, r.gen, s, kept)
	if err == nil {
		err = os.Rename(tmp, r.path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(r.dir)
}

// writeRepaired writes a file of generation gen holding the kept records,
// read back through s, and syncs it.
func writeRepaired(path string, gen uint64, s *scanner, kept []record) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = writeRecords(f, gen, s, kept)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeRecords writes a file header of generation gen and the kept records,
// read back through s. Each record becomes its own commit group: a repaired
// file is durable as a whole before anything can follow it.
func writeRecords(w io.Writer, gen uint64, s *scanner, kept []record) error {
	bw := bufio.NewWriterSize(w, readWindowBytes)
	_, err := bw.Write(fileHeader(gen))
	seed, off := genSeed(gen), int64(fileHeaderBytes)
	var buf []byte
	for _, rec := range kept {
		if err != nil {
			return err
		}
		var p []byte
		if p, err = s.wr.bytes(rec.off+recordHeaderBytes, int(rec.hdr.length)); err == nil {
			buf = appendRecord(buf[:0], seed, off, rec.hdr.dataCRC, p)
			_, err = bw.Write(buf)
			off += int64(len(buf))
		}
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}
