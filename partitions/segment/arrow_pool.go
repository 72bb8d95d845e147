package segment

import (
	"errors"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// arrowPool holds idle Arrow file readers of one segment.
//
// arrow-go documents FileReader.RecordBatchAt as safe for concurrent use,
// but it is not when the schema has dictionaries: resolving a field's
// dictionary hashes the field path with a hasher shared by the reader
// (dictutils.Mapper.GetFieldID), so concurrent calls can race and look up
// the wrong dictionary. Each call therefore takes a reader of its own from
// this pool; a new one costs a re-read and re-verification of the meta
// regions and the decoding of the dictionaries.
type arrowPool struct {
	mu struct {
		sync.Mutex
		free   []*ipc.FileReader
		closed bool
	}
}

// get returns an idle reader, or nil when there is none.
func (p *arrowPool) get() *ipc.FileReader {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.mu.free)
	if n == 0 {
		return nil
	}
	fr := p.mu.free[n-1]
	p.mu.free = p.mu.free[:n-1]
	return fr
}

// put returns a reader to the pool, or closes it when the pool is full (one
// idle reader per CPU is enough) or closed.
func (p *arrowPool) put(fr *ipc.FileReader) {
	p.mu.Lock()
	if !p.mu.closed && len(p.mu.free) < runtime.GOMAXPROCS(0) {
		p.mu.free = append(p.mu.free, fr)
		fr = nil
	}
	p.mu.Unlock()
	if fr != nil {
		_ = fr.Close()
	}
}

// close closes the idle readers; readers in use are closed when put back.
func (p *arrowPool) close() error {
	p.mu.Lock()
	free := p.mu.free
	p.mu.free, p.mu.closed = nil, true
	p.mu.Unlock()
	var errs []error
	for _, fr := range free {
		errs = append(errs, fr.Close())
	}
	return errors.Join(errs...)
}
