package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Before bbolt maps the database file, Open checks what bbolt itself would
// trust blindly: bbolt reads every page through a memory map, so a file cut
// short (a full disk, a bad copy) makes it fault with SIGBUS or panic on the
// first page past the end, and an empty file is silently initialized as a
// new database. guardFile refuses both with an error naming the file.

// bbolt's on-disk meta page, as laid out by go.etcd.io/bbolt/internal/common:
// a 16-byte page header, then magic, version, page size and flags (uint32
// each), the root bucket (root pgid, sequence), the freelist pgid, the high
// water mark pgid, the txid and an FNV-64a checksum of the bytes before it,
// all in the machine's byte order.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	boltPageHeader   = 16
	boltMetaSumStart = boltPageHeader
	boltMetaSumEnd   = boltPageHeader + 56 // the checksum's offset
	boltMetaSize     = boltMetaSumEnd + 8
)

// boltMeta is what guardFile reads from a meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high water mark: pages [0, pgid) are in use
	txid     uint64
}

// readMeta decodes and verifies the meta page in buf; ok is false when the
// magic, version or checksum is wrong.
func readMeta(buf []byte) (m boltMeta, ok bool) {
	if len(buf) < boltMetaSize {
		return m, false
	}
	ne := binary.NativeEndian
	b := buf[boltPageHeader:]
	if ne.Uint32(b[0:]) != boltMagic || ne.Uint32(b[4:]) != boltVersion {
		return m, false
	}
	h := fnv.New64a()
	_, _ = h.Write(buf[boltMetaSumStart:boltMetaSumEnd])
	if h.Sum64() != ne.Uint64(buf[boltMetaSumEnd:]) {
		return m, false
	}
	m = boltMeta{
		pageSize: ne.Uint32(b[8:]),
		root:     ne.Uint64(b[16:]),
		freelist: ne.Uint64(b[32:]),
		pgid:     ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}
	return m, m.pageSize >= 512 && m.pageSize&(m.pageSize-1) == 0
}

// noFreelist is bbolt's freelist pgid of a database that does not sync its
// freelist.
const noFreelist = ^uint64(0)

// checkBoltFile verifies that the bbolt file at path is whole: a valid meta
// page, a size that is a multiple of its page size, and every page its
// newest valid meta page uses lying inside the file. It returns the page
// size and the size of the file.
func checkBoltFile(path string) (pageSize uint32, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size = fi.Size()
	if size == 0 {
		return 0, 0, fmt.Errorf("%w: file is empty (0 bytes)", ErrDamaged)
	}
	buf := make([]byte, boltMetaSize)
	var metas []boltMeta
	if _, err := f.ReadAt(buf, 0); err == nil {
		if m, ok := readMeta(buf); ok {
			metas = append(metas, m)
		}
	}
	// The second meta page follows the first page, whose size only a valid
	// first meta tells; else try the usual sizes.
	sizes := []int64{4096, int64(os.Getpagesize()), 16384, 65536}
	if len(metas) > 0 {
		sizes = []int64{int64(metas[0].pageSize)}
	}
	for _, ps := range sizes {
		if _, err := f.ReadAt(buf, ps); err != nil && !errors.Is(err, io.EOF) {
			return 0, size, err
		}
		if m, ok := readMeta(buf); ok && int64(m.pageSize) == ps {
			metas = append(metas, m)
			break
		}
	}
	if len(metas) == 0 {
		return 0, size, fmt.Errorf("%w: no valid bbolt meta page (%d bytes): not a database, or its first pages are overwritten",
			ErrDamaged, size)
	}
	m := metas[0]
	for _, o := range metas[1:] {
		if o.txid > m.txid {
			m = o
		}
	}
	ps := int64(m.pageSize)
	switch {
	case size%ps != 0:
		return m.pageSize, size, fmt.Errorf("%w: file is %d bytes, not a whole number of %d-byte pages: it was cut short",
			ErrDamaged, size, ps)
	case uint64(size/ps) < m.pgid:
		return m.pageSize, size, fmt.Errorf("%w: file is %d bytes but its data runs to %d bytes: it was cut short",
			ErrDamaged, size, int64(m.pgid)*ps)
	case m.pgid < 2 || m.root >= m.pgid || (m.freelist >= m.pgid && m.freelist != noFreelist):
		return m.pageSize, size, fmt.Errorf("%w: meta page points past the data (root page %d, freelist page %d, %d pages)",
			ErrDamaged, m.root, m.freelist, m.pgid)
	}
	return m.pageSize, size, nil
}

// installMarkers are the entries of a data dir that an earlier driftgate
// install left there: repo mirrors, state, terraform data, the state
// version key, run copies, and database backups.
var installMarkers = []string{"git", "state", "tfdata", "work", "statever.key"}

// priorInstall returns the entry of dir that shows driftgate ran there
// before, or "" if there is none.
func priorInstall(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		name := e.Name()
		for _, m := range installMarkers {
			if name == m {
				return name, nil
			}
		}
		if strings.HasPrefix(name, DBFile+".bak") {
			return name, nil
		}
	}
	return "", nil
}

// guardFile decides whether Open may hand path to bbolt: an existing,
// non-empty file must be whole (checkBoltFile), and a missing or empty one
// may be created only in a data dir without an earlier install, or when
// initEmpty says the operator wants a new database.
func guardFile(dir, path string, initEmpty bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0):
		if initEmpty {
			return nil
		}
		what := "is missing"
		if err == nil {
			what = "is empty (0 bytes)"
		}
		marker, err := priorInstall(dir)
		if err != nil {
			return err
		}
		if marker == "" {
			return nil
		}
		return fmt.Errorf("%w: %s %s but the data dir holds an earlier install (%s); restore the database from a backup "+
			"(see README, Backups), or run `driftgate store init` to start over with an empty database",
			ErrNoDatabase, path, what, filepath.Join(dir, marker))
	case err != nil:
		return err
	}
	if _, _, err := checkBoltFile(path); err != nil {
		return fmt.Errorf("%w; restore it from a backup (driftgate store backup, or the %s.bak-v* copies made before migrations) "+
			"and run `driftgate store check`", err, DBFile)
	}
	return nil
}
