package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// Text tokenizers of collections, memory and RAG stores: "simple" (English, the default),
// "icu" (dictionary word segmentation: Chinese, Japanese, Korean), "ngram" (character 2- and
// 3-grams), "ngram:N" or "ngram:MIN-MAX". Kept with the store; setting one re-indexes every
// text. Another name is ErrInvalidArgument.

// tokenizerBuf is more than the 16 bytes the header says always suffice.
const tokenizerBuf = 64

func setTokenizer(ctx context.Context, name string, set func(*C.char) C.enum_agentdb_status) error {
	if err := ready(ctx); err != nil {
		return err
	}
	n, err := cstr(name, "tokenizer")
	if err != nil {
		return err
	}
	defer free(n)
	defer pin()()
	return status(set(n))
}

func getTokenizer(ctx context.Context, get func(*C.char, C.size_t, *C.size_t) C.enum_agentdb_status) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	buf := (*C.char)(C.malloc(tokenizerBuf))
	defer C.free(unsafe.Pointer(buf))
	var n C.size_t
	defer pin()()
	if err := status(get(buf, tokenizerBuf, &n)); err != nil {
		return "", err
	}
	return C.GoStringN(buf, C.int(n)), nil
}

// SetTextTokenizer sets the tokenizer of the store's text and hybrid recall.
func (m *Memory) SetTextTokenizer(ctx context.Context, name string) error {
	return setTokenizer(ctx, name, func(n *C.char) C.enum_agentdb_status { return C.agentdb_memory_set_text_tokenizer(m.h.p, n) })
}

// TextTokenizer is the name of the store's text tokenizer ("simple", "icu", "ngram:MIN-MAX").
func (m *Memory) TextTokenizer(ctx context.Context) (string, error) {
	return getTokenizer(ctx, func(b *C.char, l C.size_t, n *C.size_t) C.enum_agentdb_status {
		return C.agentdb_memory_text_tokenizer(m.h.p, b, l, n)
	})
}

// SetTextTokenizer sets the tokenizer of the RAG's text and hybrid search (its chunks' text
// index is rebuilt).
func (r *Rag) SetTextTokenizer(ctx context.Context, name string) error {
	return setTokenizer(ctx, name, func(n *C.char) C.enum_agentdb_status { return C.agentdb_rag_set_text_tokenizer(r.h.p, n) })
}

// TextTokenizer is the name of the RAG's text tokenizer.
func (r *Rag) TextTokenizer(ctx context.Context) (string, error) {
	return getTokenizer(ctx, func(b *C.char, l C.size_t, n *C.size_t) C.enum_agentdb_status {
		return C.agentdb_rag_text_tokenizer(r.h.p, b, l, n)
	})
}

// SetTextTokenizer sets the tokenizer of the collection's TextSearch and HybridSearch, kept with
// the collection (its full-text index is rebuilt on the next text search). ErrReadOnly on a
// read-only database.
func (c *Collection) SetTextTokenizer(ctx context.Context, name string) error {
	return setTokenizer(ctx, name, func(n *C.char) C.enum_agentdb_status { return C.agentdb_collection_set_text_tokenizer(c.h.p, n) })
}

// TextTokenizer is the name of the collection's text tokenizer.
func (c *Collection) TextTokenizer(ctx context.Context) (string, error) {
	return getTokenizer(ctx, func(b *C.char, l C.size_t, n *C.size_t) C.enum_agentdb_status {
		return C.agentdb_collection_text_tokenizer(c.h.p, b, l, n)
	})
}
