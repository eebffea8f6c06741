// Command parley-ferretdb runs FerretDB v1 (its embeddable package) on its PostgreSQL backend
// (or on SQLite), for Parley's tests and local distributed runs. scripts/infra/ferretdb.sh
// builds and runs it.
//
//	parley-ferretdb -listen 127.0.0.1:27018 -postgresql-url 'postgres://ferretdb@/postgres?host=/run/dir'
//	parley-ferretdb -listen 127.0.0.1:27018 -dir /path/to/state/data   # SQLite
//	parley-ferretdb -ping 127.0.0.1:27018   # exit 0 once a MongoDB ping answers ok
//
// The PostgreSQL backend evaluates equality filters on any field in PostgreSQL; the SQLite
// backend only those on _id, and decodes every other document of the collection in Go.
//
// A plain `go install .../cmd/ferretdb` panics at start (build/version/version.txt is
// generated at release time and absent from the module); the embeddable package has no
// such check.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL backend: the database's URL")
	dir := flag.String("dir", "data", "SQLite backend (without -postgresql-url): directory for the files, one per database")
	level := flag.String("log-level", "info", "log level: debug, info, warn, error")
	ping := flag.String("ping", "", "instead of serving, send a MongoDB ping to this address and exit 0 if it answers ok")
	timeout := flag.Duration("timeout", 2*time.Second, "with -ping: dial and round-trip timeout")
	flag.Parse()

	if *ping != "" {
		if err := pingMongo(*ping, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "ping:", err)
			os.Exit(1)
		}
		return
	}

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "bad -log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	config := &ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	}
	storage := *pgURL
	if *pgURL == "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			logger.Error("bad -dir", "error", err)
			os.Exit(2)
		}
		if err = os.MkdirAll(abs, 0o755); err != nil {
			logger.Error("cannot create -dir", "error", err)
			os.Exit(1)
		}
		config.Handler, config.PostgreSQLURL = "sqlite", ""
		config.SQLiteURL = "file:" + abs + "/" // must be an existing directory, ending with '/'
		storage = abs
	}

	f, err := ferretdb.New(config)
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Info("serving", "listen", *listen, "backend", config.Handler, "storage", storage)
	if err = f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped", "error", err)
		os.Exit(1)
	}
	logger.Info("stopped")
}

// pingMongo sends {ping: 1, $db: "admin"} as an OP_MSG and checks that the reply has ok: 1.
func pingMongo(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err = conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}

	var doc bytes.Buffer // BSON {ping: int32(1), $db: "admin"}
	doc.Write([]byte{0, 0, 0, 0})
	doc.WriteByte(0x10)
	doc.WriteString("ping\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(1))
	doc.WriteByte(0x02)
	doc.WriteString("$db\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(len("admin")+1))
	doc.WriteString("admin\x00")
	doc.WriteByte(0)
	d := doc.Bytes()
	binary.LittleEndian.PutUint32(d, uint32(len(d)))

	const opMsg = 2013
	msg := make([]byte, 16+4+1, 16+4+1+len(d))
	binary.LittleEndian.PutUint32(msg[0:], uint32(cap(msg))) // messageLength
	binary.LittleEndian.PutUint32(msg[4:], 1)                // requestID
	binary.LittleEndian.PutUint32(msg[12:], opMsg)           // opCode; responseTo and flagBits stay 0
	msg[20] = 0                                              // section kind 0: body
	msg = append(msg, d...)
	if _, err = conn.Write(msg); err != nil {
		return err
	}

	var hdr [16]byte
	if _, err = io.ReadFull(conn, hdr[:]); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint32(hdr[0:])
	if n < 16+4+1+5 || n > 16<<20 {
		return fmt.Errorf("bad reply length %d", n)
	}
	if op := binary.LittleEndian.Uint32(hdr[12:]); op != opMsg {
		return fmt.Errorf("reply opCode %d, want %d", op, opMsg)
	}
	body := make([]byte, n-16)
	if _, err = io.ReadFull(conn, body); err != nil {
		return err
	}
	if body[4] != 0 {
		return errors.New("reply has no body section first")
	}
	ok, err := bsonOK(body[5:])
	if err != nil {
		return err
	}
	if ok != 1 {
		return fmt.Errorf("reply ok = %v", ok)
	}
	return nil
}

// bsonOK returns the numeric top-level "ok" field of a BSON document.
func bsonOK(d []byte) (float64, error) {
	if len(d) < 5 || int(binary.LittleEndian.Uint32(d)) > len(d) {
		return 0, errors.New("truncated reply document")
	}
	d = d[4:binary.LittleEndian.Uint32(d)]
	for len(d) > 1 {
		t := d[0]
		end := bytes.IndexByte(d[1:], 0)
		if end < 0 {
			return 0, errors.New("bad element name")
		}
		name, v := string(d[1:1+end]), d[2+end:]
		var size int
		switch t {
		case 0x01: // double
			if name == "ok" && len(v) >= 8 {
				return math.Float64frombits(binary.LittleEndian.Uint64(v)), nil
			}
			size = 8
		case 0x10: // int32
			if name == "ok" && len(v) >= 4 {
				return float64(int32(binary.LittleEndian.Uint32(v))), nil
			}
			size = 4
		case 0x12, 0x09, 0x11: // int64, datetime, timestamp
			if name == "ok" && t == 0x12 && len(v) >= 8 {
				return float64(int64(binary.LittleEndian.Uint64(v))), nil
			}
			size = 8
		case 0x08: // bool
			size = 1
		case 0x0A: // null
			size = 0
		case 0x07: // ObjectId
			size = 12
		case 0x02: // string
			if len(v) < 4 {
				return 0, errors.New("truncated string")
			}
			size = 4 + int(binary.LittleEndian.Uint32(v))
		case 0x03, 0x04: // document, array
			if len(v) < 4 {
				return 0, errors.New("truncated document")
			}
			size = int(binary.LittleEndian.Uint32(v))
		case 0x05: // binary
			if len(v) < 4 {
				return 0, errors.New("truncated binary")
			}
			size = 5 + int(binary.LittleEndian.Uint32(v))
		default:
			return 0, fmt.Errorf("reply has BSON type 0x%02x before ok", t)
		}
		if size > len(v) {
			return 0, errors.New("truncated element")
		}
		d = v[size:]
	}
	return 0, errors.New("reply has no ok field")
}
