"""The packed-state search engine (``tcpcheck check --engine packed``).

The same breadth-first search as :func:`tcpcheck.model.explorer.explore`
(the same states in the same order, the same parents, step labels, depths,
edges and terminal states), built for millions of states:

* **States packed into one 64-bit integer.**  A state of
  :class:`~tcpcheck.model.system.Model` is a tuple of small interned ids
  (both TCBs, both applications, both channel contents, and the losses so
  far under a loss budget); each id gets a bit field wide enough for the
  values interned so far, with room to grow.  When an interner outgrows its
  field the fields are widened and every stored state is packed again (a
  vectorised pass; it happens a handful of times in a run).
* **A compact visited set**: an open-addressing hash table (linear probing)
  of 32-bit state ids over the array of packed states, kept at most half
  full: 8 bytes per state for the state and 8-16 for its slots, where a dict
  of tuples costs about 300.
* **Successors per component, memoised and vectorised.**  A state's steps
  are the local steps of each endpoint (a function of its TCB, application
  and which timers may expire), the deliveries of each channel's segments
  (the receiving endpoint's TCB and application, and the segment), and the
  network's faults (the channel alone); the segments an endpoint sends are
  put in flight by a function of the channel and the step.  Each of these is
  computed once per combination, through the model's own memoised pieces,
  and kept in numpy tables keyed by the packed combination; a chunk of up to
  32,768 states of the queue is then expanded with a few dozen numpy
  operations, in exactly the order of :meth:`Model.successors`.  Where a
  step's segments are put in flight, the key is the channel and the
  segments (not the step): far fewer combinations for the model to compute.
* **A compiled kernel** (C, compiled by gcc once into the cache folder and
  loaded through ctypes: a few milliseconds, where numba takes a second to
  start).  It expands a chunk state by state in :meth:`Model.successors`'s
  order, reading the memo tables directly; where an entry is missing it
  notes it, outputs nothing more but looks through the rest of the chunk
  for the other entries missing (those that do not depend on a missing
  one), the model computes them all, and it goes on where it first
  stopped.  **The channels are the kernel's own**, as pan computes its
  channels at run time (:class:`_Channels`): it keeps every channel
  content as its segments, found by an open-addressing table, puts a
  step's segments in flight itself (in order, or sorted with reordering;
  a full channel drops them), and computes a content's deliveries, losses
  and duplications the first time it expands a state with it.  A content
  new to the kernel gets the next id, and after each run the model's
  ``flight_ids`` is given the same contents in the same order (and the
  kernel those the model made first), so the ids are the model's.  A step
  relabelled for the segments a full channel dropped is a memo entry
  (the model interns the relabelled step): one the memo does not have yet
  is output as a provisional label and resolved after the run, so it
  stops nothing.  With the endpoints' tables precomputed, a chunk is then
  one kernel run (default: 22 runs, where Python computed the channels'
  entries in 40).  Its context (the tables' addresses) is made again only
  when a table has moved.  It then probes and grows the visited set in one loop over
  the chunk's successors in order, which is the breadth-first order itself.
  With two cores (threads: the kernel does not hold Python's lock, and
  they share the tables without copying) the two halves of a chunk are
  expanded at once, and the visit of a chunk runs while the next one is
  expanded; the chunks and the order are those of one thread.  (The two
  halves read the channels' store without adding to it: what they miss is
  added after, in one thread, in the order of its keys.)  Without gcc
  the same steps run as numpy passes, with the same result.  Every chunk
  compares some of its states' successors with :meth:`Model.successors`
  itself, so a change in the model that this engine does not follow stops
  the search with an error instead of giving different counts.

* **The endpoints' tables precomputed, on request** (``precompute=True``,
  what ``bench --vs spin`` runs): the local steps and reactions of every
  local state of the fixpoint over the endpoints alone
  (:func:`~tcpcheck.model.system.endpoint_closure`, which the generated
  Promela's tables are made of) are put in the memo tables before the
  search, outside its seconds, as pan starts with them in its tables.  It
  computes more than a search meets (at default 3,666 reactions where the
  search meets 1,485), so ``check`` does not ask for it.

Parents, labels, depths and edges are kept in ``array('i')`` arrays, as in
the explorer (edges not at all with ``edges=False``, as in SPIN's safety run); ``Exploration.states`` is a view that unpacks a state when it
is read.  The budgets (``stop``), ``observe`` and ``progress`` are asked
between chunks, so a search stopped by them stops at a chunk's end (the
verdicts and counterexamples do not depend on where); ``max_states`` stops
at exactly the state where the explorer stops.  A model that is not a
:class:`~tcpcheck.model.system.Model` is explored by the explorer itself.
"""

from __future__ import annotations

import gc
import os
import time
from array import array
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from .events import ClassificationError
from .explorer import Exploration, _NoEdges, explore as _explore_bfs
from .system import Model, Step, endpoint_closure

__all__ = ["explore", "PackedExploration", "CHUNK"]

#: States of the queue expanded together (between two looks of ``observe``).
CHUNK = 1 << 15
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
_ONE = np.uint64(1)
_ROOM = 8  # successors per state the kernel's expansion first makes room for (it grows when they are more)
_SPLIT = 4096  # with two cores, chunks of at least this many states are expanded in two halves at once
_MISSES = 4096  # memo entries the kernel's expansion notes missing before the model computes them
_HEADROOM = True  # give the bit fields the room left in 64 bits (the tests turn it off to repack often)
_CHAN_ROOM = (1 << 10, 1 << 13)  # channel contents and network entries the kernel's store first has room for
_PRECOMPUTE = 50_000  # reactions and local steps the endpoint fixpoint may ask before precompute gives up


# --- the compiled kernel (C through ctypes), with numpy passes as its fallback ---------

_KERNEL_C = r"""
#include <stdint.h>
#define GOLDEN 0x9E3779B97F4A7C15ULL

/* The number of each key (-1 if absent): one linear probe per key. */
void find(const int32_t *table, uint64_t mask, int shift, const uint64_t *stored,
          const uint64_t *keys, int64_t m, int64_t *out) {
    for (int64_t j = 0; j < m; j++) {
        uint64_t k = keys[j], s = (k * GOLDEN) >> shift;
        for (;;) {
            int32_t i = table[s];
            if (i < 0 || stored[i] == k) { out[j] = i; break; }
            s = (s + 1) & mask;
        }
    }
}

/* Put the numbers lo .. hi-1 of the stored keys in the table. */
void insert(int32_t *table, uint64_t mask, int shift, const uint64_t *stored, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
        uint64_t s = (stored[i] * GOLDEN) >> shift;
        while (table[s] >= 0) s = (s + 1) & mask;
        table[s] = (int32_t)i;
    }
}

/* The breadth-first search's step over a chunk's m successors, in order: each
   one's state id in ids; a state not seen before is stored at the end
   (stored[n], stored[n + 1], ...), put in the table, and the successor that
   found it noted in first, up to room new states.  At the (room+1)-th new
   state the rest of its row is only looked up (-1 where unknown) and the rows
   after it are left.  Returns the new states; res[0]: successors done,
   res[1]: the row cut, or -1. */
int64_t visit(int32_t *table, uint64_t mask, int shift, uint64_t *stored, int64_t n,
              const uint64_t *succ, const int64_t *rows, int64_t m, int64_t room,
              int64_t *ids, int64_t *first, int64_t *res) {
    int64_t added = 0, cut = -1, j;
    for (j = 0; j < m; j++) {
        if (cut >= 0 && rows[j] != cut) break;
        uint64_t k = succ[j], s = (k * GOLDEN) >> shift;
        for (;;) {
            int32_t i = table[s];
            if (i < 0) {
                if (cut < 0 && added == room) cut = rows[j];
                if (cut >= 0) ids[j] = -1;
                else {
                    int64_t id = n + added;
                    stored[id] = k;
                    table[s] = (int32_t)id;
                    ids[j] = id;
                    first[added++] = j;
                }
                break;
            }
            if (stored[i] == k) { ids[j] = i; break; }
            s = (s + 1) & mask;
        }
    }
    res[0] = j;
    res[1] = cut;
    return added;
}

/* --- the channels' contents, interned by the kernel (packed.py's _Channels) ---------------------- */

/* The channel contents the kernel knows, numbered as the model's flight_ids numbers them (a content
   new to the kernel gets the next number, and packed.py gives the model the same one after the run),
   and what the network can do to each (Model.network, model/channel.py), computed the first time a
   state with that content in that direction is expanded.  Laid out as 8-byte words. */
typedef struct {
    int64_t n, room;              /* contents interned, room for */
    int64_t *segs, *len;          /* content -> its segments (room * cap, in its order), its length */
    int32_t *table;               /* content numbers by hash (open addressing, 2 * room slots) */
    uint64_t tmask, tshift;
    int64_t *net, *nd, *nf;       /* 2 * content + direction -> its first entry (-1: not yet), deliveries, faults */
    int64_t *ea, *eb;             /* entries: (segment, rest) for the deliveries, then (label, rest) */
    int64_t ne, eroom;
    const int64_t *rank;          /* segment -> its place in Python's order of segments (a sorted channel) */
    const int64_t *fault_label;   /* 4 * segment + 2 * kind + direction -> the step (kind 0 lose, 1 duplicate) */
    const int64_t *sent_at, *sent_len, *sent_seg;  /* by sent id: the segments a step puts in flight */
    int64_t cap, loss, dup, reorder, limit;        /* limit: numbers below it fit the state's field */
} chan_t;

#define NO_ROOM (-3)   /* the arrays are full: packed.py makes them bigger */
#define NO_FIELD (-4)  /* the state's field for a content is full: packed.py widens it */
#define NOT_YET (-2)   /* not known, and the kernel may not add (two threads read the store) */

static int64_t intern(chan_t *h, const int64_t *s, int64_t n, int64_t add) {
    uint64_t x = ((uint64_t)n + 1) * GOLDEN;
    for (int64_t k = 0; k < n; k++) x = (x ^ (uint64_t)s[k]) * GOLDEN;
    uint64_t slot = x >> h->tshift;
    for (;;) {
        int32_t i = h->table[slot];
        if (i < 0) break;
        if (h->len[i] == n) {
            const int64_t *t = h->segs + (int64_t)i * h->cap;
            int64_t k = 0;
            while (k < n && t[k] == s[k]) k++;
            if (k == n) return i;
        }
        slot = (slot + 1) & h->tmask;
    }
    if (!add) return NOT_YET;
    if (h->n >= h->limit) return NO_FIELD;
    if (h->n >= h->room) return NO_ROOM;
    int64_t id = h->n++;
    for (int64_t k = 0; k < n; k++) h->segs[id * h->cap + k] = s[k];
    h->len[id] = n;
    h->net[2 * id] = h->net[2 * id + 1] = -1;
    h->table[slot] = (int32_t)id;
    return id;
}

/* Put the contents lo .. hi-1 (stored by packed.py) in the table. */
void chan_insert(chan_t *h, int64_t lo, int64_t hi) {
    for (int64_t id = lo; id < hi; id++) {
        const int64_t *s = h->segs + id * h->cap;
        uint64_t x = ((uint64_t)h->len[id] + 1) * GOLDEN;
        for (int64_t k = 0; k < h->len[id]; k++) x = (x ^ (uint64_t)s[k]) * GOLDEN;
        uint64_t slot = x >> h->tshift;
        while (h->table[slot] >= 0) slot = (slot + 1) & h->tmask;
        h->table[slot] = (int32_t)id;
    }
}

/* s without its i-th segment, in out (n - 1 of them). */
static void removed(const int64_t *s, int64_t n, int64_t i, int64_t *out) {
    for (int64_t k = 0, j = 0; k < n; k++) if (k != i) out[j++] = s[k];
}

/* Each segment that can go (arrive or be lost), with what stays: _each_removed's (segment, rest)
   pairs in its order, each pair once.  Returns the next entry, or a negative code. */
static int64_t each_removed(chan_t *h, const int64_t *s, int64_t n, int64_t e, int64_t from,
                            const int64_t *label, int64_t add) {
    int64_t rest[16];
    for (int64_t i = 0; i < n; i++) {
        removed(s, n, i, rest);
        int64_t r = intern(h, rest, n - 1, add), seen = 0;
        if (r < 0) return r;
        int64_t what = label ? label[4 * s[i]] : s[i];
        for (int64_t a = from; a < e; a++) if (h->ea[a] == what && h->eb[a] == r) seen = 1;
        if (seen) continue;
        h->ea[e] = what; h->eb[e] = r; e++;
    }
    return e;
}

/* The network entries of content c in direction dir (Model.network): their first entry, computed
   the first time (the contents they leave interned), or a negative code. */
static int64_t network(chan_t *h, int64_t c, int dir, int64_t add) {
    int64_t at = h->net[2 * c + dir];
    if (at >= 0) return at;
    if (!add) return NOT_YET;
    const int64_t n = h->len[c];
    if (h->ne + 3 * n + 1 > h->eroom) return NO_ROOM;
    int64_t s[16], out[16], e = h->ne, d;
    for (int64_t k = 0; k < n; k++) s[k] = h->segs[c * h->cap + k];
    if (n && !h->reorder) {  /* FIFO: the first arrives */
        int64_t r = intern(h, s + 1, n - 1, add);
        if (r < 0) return r;
        h->ea[e] = s[0]; h->eb[e] = r; e++;
    } else if (n && (e = each_removed(h, s, n, e, e, 0, add)) < 0) return e;
    d = e;
    if (h->loss && (e = each_removed(h, s, n, e, d, h->fault_label + dir, add)) < 0) return e;
    if (h->dup && n < h->cap) {  /* a copy right after the original (in a sorted channel too) */
        for (int64_t i = 0; i < n; i++) {
            int64_t k = 0;
            while (k < i && s[k] != s[i]) k++;
            if (k < i) continue;
            for (int64_t j = 0; j <= i; j++) out[j] = s[j];
            for (int64_t j = i; j < n; j++) out[j + 1] = s[j];
            int64_t r = intern(h, out, n + 1, add);
            if (r < 0) return r;
            h->ea[e] = h->fault_label[4 * s[i] + 2 + dir]; h->eb[e] = r; e++;
        }
    }
    h->net[2 * c + dir] = h->ne;
    h->nd[2 * c + dir] = d - h->ne;
    h->nf[2 * c + dir] = e - d;
    h->ne = e;
    return h->net[2 * c + dir];
}

/* --- a chunk's expansion, in the order of Model.successors ---------------------------------- */

/* One memo table of packed.py's _Memo: its index (open addressing) and its rows. */
typedef struct {
    const int32_t *table; uint64_t mask; uint64_t shift; const uint64_t *keys;
    const int64_t *start; const int64_t *count; const int64_t *col[3]; int64_t unused;
} memo_t;

/* Everything the expansion reads, laid out as 8-byte words (packed.py fills it). */
typedef struct {
    memo_t memo[6];            /* local, push, relabel, deliveries, faults, receive (push, deliveries and
                                  faults are the numpy passes': the kernel's channels are ch) */
    const int64_t *timers;     /* timers[quiet * nt + peer's TCB] */
    int64_t nt;
    const uint8_t *is_lose;    /* by step */
    const int64_t *sent_of;    /* by step: the id of its segments */
    int64_t empty, budget, ncomp;  /* budget < 0: no loss budget */
    uint64_t shift[7], mask[7];
    chan_t *ch;                /* the channels' contents */
} ctx_t;

static int64_t look(const memo_t *m, uint64_t k) {
    uint64_t s = (k * GOLDEN) >> m->shift;
    for (;;) {
        int32_t i = m->table[s];
        if (i < 0) return -1;
        if (m->keys[i] == k) return i;
        s = (s + 1) & m->mask;
    }
}

/* A missing entry or content: its memo (and key) for packed.py.  Code 7 is the channels' store full
   (key 0: its arrays, 1: the state's field); 6 a step's segments put in a channel and 3 a channel's
   network entries, not known yet when two threads expand (keys step << 32 | channel, channel << 1 | direction). */
static void chan_miss(int64_t code, uint64_t key, int64_t *mm, uint64_t *mk) {
    if (code == NO_ROOM || code == NO_FIELD) { *mm = 7; *mk = code == NO_FIELD; }
    else { *mm = code; *mk = key; }
}

/* The segments of step put in flight (Model.send: Channel.push of each; a full channel drops it and
   the step is relabelled with the segments dropped, always the last ones: a relabelling the memo does
   not have yet is given as -1 - (step << 4 | dropped), which packed.py resolves after the run): 0 with
   the memo and key missing. */
static int put(const ctx_t *c, int64_t flight, int64_t step, int64_t *f, int64_t *label,
               int64_t *mm, uint64_t *mk, int64_t add) {
    chan_t *h = c->ch;
    const int64_t sid = c->sent_of[step], m = h->sent_len[sid];
    if (m == 0) { *f = flight; *label = step; return 1; }
    int64_t s[16], n = h->len[flight], dropped = 0;
    for (int64_t k = 0; k < n; k++) s[k] = h->segs[flight * h->cap + k];
    for (int64_t k = 0; k < m; k++) {
        int64_t q = h->sent_seg[h->sent_at[sid] + k], at = n;
        if (n >= h->cap) { dropped++; continue; }
        if (h->reorder) while (at > 0 && h->rank[s[at - 1]] > h->rank[q]) { s[at] = s[at - 1]; at--; }
        s[at] = q;
        n++;
    }
    int64_t r = intern(h, s, n, add);
    if (r < 0) { chan_miss(r == NOT_YET ? 6 : r, ((uint64_t)step << 32) | (uint64_t)flight, mm, mk); return 0; }
    *f = r;
    if (!dropped) { *label = step; return 1; }
    uint64_t k = ((uint64_t)step << 32) | (uint64_t)dropped;
    int64_t i = look(&c->memo[2], k);
    if (i < 0 && dropped > 15) { *mm = 2; *mk = k; return 0; }  /* (not in 4 bits: missing, the model computes it) */
    *label = i < 0 ? -1 - ((step << 4) | dropped) : c->memo[2].col[0][c->memo[2].start[i]];
    return 1;
}

/* Fill what two threads found missing (codes 6 and 3, keys as chan_miss gives them), in order, in
   one thread: 0, or the code of the first that could not be made (NO_ROOM, NO_FIELD). */
int64_t chan_fill(const ctx_t *c, const int64_t *codes, const uint64_t *keys, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        int64_t f, lbl, mm = 0, r = 0;
        uint64_t mk = 0;
        if (codes[j] == 6) {
            if (!put(c, (int64_t)(keys[j] & 0xFFFFFFFFu), (int64_t)(keys[j] >> 32), &f, &lbl, &mm, &mk, 1) && mm == 7)
                r = mk ? NO_FIELD : NO_ROOM;
        } else {
            r = network(c->ch, (int64_t)(keys[j] >> 1), (int)(keys[j] & 1), 1);
        }
        if (r < 0) return r;
    }
    return 0;
}

/* Expand states r .. n-1 of packed (output from position j on).  Returns 0 when
   done (res[0]: successors in all), 1 when memo entries are missing (up to
   max_miss of them in miss_memo/miss_key, res[1] of them; resume at row res[2],
   position res[0]), 2 when the output is full (resume likewise).  After the
   first missing entry nothing more is output, but the rest of that row and
   the rows after it are still looked through for the entries they miss (those
   that do not depend on a missing one), so that the model computes them in
   one go.  With add, a channel content new to the kernel is interned (and its
   network entries are computed) as it is met; without (two threads expand at
   once and read the store) it is missing too (codes 6 and 3, see chan_miss). */
int64_t expand(const ctx_t *c, const uint64_t *packed, int64_t n, int64_t r, int64_t j,
               uint64_t *succ, int64_t *rows, int64_t *labels, int64_t *per_row, int64_t cap,
               int64_t *miss_memo, uint64_t *miss_key, int64_t max_miss, int64_t *res, int64_t add) {
    chan_t *h = c->ch;
    int64_t nmiss = 0, fail_r = -1, fail_j = 0, mm = 0;
    uint64_t mk = 0;
    const int64_t nc = c->ncomp;
    for (; r < n; r++) {
        int64_t s[7], t[7], j_row = j, f, lbl;
        uint64_t p = packed[r];
        for (int q = 0; q < nc; q++) s[q] = (int64_t)((p >> c->shift[q]) & c->mask[q]);
        const int quiet = s[4] == c->empty && s[5] == c->empty;
#define MISS(m_, k_) do { if (nmiss < max_miss) { miss_memo[nmiss] = (m_); miss_key[nmiss] = (k_); nmiss++; } \
                          if (fail_r < 0) { fail_r = r; fail_j = j_row; } } while (0)
#define EMIT(l_) do { if (fail_r < 0) { \
            if (j >= cap) { res[0] = j_row; res[2] = r; return 2; } \
            uint64_t v = 0; for (int q = 0; q < nc; q++) v |= (uint64_t)t[q] << c->shift[q]; \
            succ[j] = v; rows[j] = r; labels[j] = (l_); j++; } } while (0)
        for (int i = 0; i < 2; i++) {  /* each endpoint's calls and timers */
            const memo_t *m = &c->memo[0];
            uint64_t k = ((uint64_t)i << 62) | ((uint64_t)s[i] << 34) | ((uint64_t)s[2 + i] << 4)
                         | (uint64_t)c->timers[quiet * c->nt + s[1 - i]];
            int64_t id = look(m, k);
            if (id < 0) { MISS(0, k); continue; }
            for (int64_t a = m->start[id], e = a + m->count[id]; a < e; a++) {
                if (!put(c, s[4 + i], m->col[0][a], &f, &lbl, &mm, &mk, add)) { MISS(mm, mk); continue; }
                for (int q = 0; q < nc; q++) t[q] = s[q];
                t[i] = m->col[1][a]; t[2 + i] = m->col[2][a]; t[4 + i] = f;
                EMIT(lbl);
            }
        }
        for (int i = 0; i < 2; i++) {  /* A->B arrives at B, B->A at A */
            const memo_t *rc = &c->memo[5];
            const int who = 1 - i, into = 5 - i;
            const int64_t a0 = network(h, s[4 + i], i, add);
            if (a0 < 0) { chan_miss(a0 == NOT_YET ? 3 : a0, ((uint64_t)s[4 + i] << 1) | (uint64_t)i, &mm, &mk);
                          MISS(mm, mk); continue; }
            for (int64_t a = a0, e = a + h->nd[2 * s[4 + i] + i]; a < e; a++) {
                uint64_t k2 = ((uint64_t)who << 62) | ((uint64_t)s[who] << 41) | ((uint64_t)s[2 + who] << 21)
                              | (uint64_t)h->ea[a];
                int64_t id2 = look(rc, k2);
                if (id2 < 0) { MISS(5, k2); continue; }
                int64_t at = rc->start[id2];
                if (!put(c, s[into], rc->col[0][at], &f, &lbl, &mm, &mk, add)) { MISS(mm, mk); continue; }
                for (int q = 0; q < nc; q++) t[q] = s[q];
                t[who] = rc->col[1][at]; t[2 + who] = rc->col[2][at]; t[4 + i] = h->eb[a]; t[into] = f;
                EMIT(lbl);
            }
        }
        for (int i = 0; i < 2; i++) {  /* the network's losses and duplications */
            const int64_t a0 = network(h, s[4 + i], i, add);
            if (a0 < 0) { chan_miss(a0 == NOT_YET ? 3 : a0, ((uint64_t)s[4 + i] << 1) | (uint64_t)i, &mm, &mk);
                          MISS(mm, mk); continue; }
            const int64_t d = h->nd[2 * s[4 + i] + i];
            for (int64_t a = a0 + d, e = a + h->nf[2 * s[4 + i] + i]; a < e; a++) {
                int64_t label = h->ea[a];
                for (int q = 0; q < nc; q++) t[q] = s[q];
                t[4 + i] = h->eb[a];
                if (c->budget >= 0) {
                    int lose = c->is_lose[label];
                    if (lose && s[6] >= c->budget) continue;
                    t[6] = s[6] + lose;
                }
                EMIT(label);
            }
        }
        if (fail_r < 0) per_row[r] = j - j_row;
        if (nmiss >= max_miss) break;
#undef MISS
#undef EMIT
    }
    res[1] = nmiss;
    if (fail_r >= 0) { res[0] = fail_j; res[2] = fail_r; return 1; }
    res[0] = j;
    return 0;
}
"""

#: "c" when the compiled kernel is used, "numpy" without it (no gcc); the tests set it to compare both.
KERNEL = "c"
_lib = None  # the loaded kernel, False when it cannot be built


def _kernel():
    """The compiled kernel (ctypes), built with gcc the first time and kept in
    the cache folder (:func:`tcpcheck.model.compiled.load`); None when
    :data:`KERNEL` is "numpy" or gcc is missing or fails (the numpy passes run)."""
    global _lib
    if KERNEL != "c":
        return None
    if _lib is None:
        _lib = _build() or False
    return _lib or None


def _build():
    import ctypes

    from .compiled import load

    lib = load("packed-kernel", _KERNEL_C)
    if lib is None:
        return None
    p, i64, u64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64, ctypes.c_int
    lib.find.argtypes = [p, u64, i32, p, p, i64, p]
    lib.find.restype = None
    lib.insert.argtypes = [p, u64, i32, p, i64, i64]
    lib.insert.restype = None
    lib.visit.argtypes = [p, u64, i32, p, i64, p, p, i64, i64, p, p, p]
    lib.visit.restype = i64
    lib.expand.argtypes = [p, p, i64, i64, i64, p, p, p, p, i64, p, p, i64, p, i64]
    lib.expand.restype = i64
    lib.chan_insert.argtypes = [p, i64, i64]
    lib.chan_insert.restype = None
    lib.chan_fill.argtypes = [p, p, p, i64]
    lib.chan_fill.restype = i64
    return lib


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


class _Grow:
    """A numpy array that grows at its end (capacity doubling); ``addr`` is
    its data's address (kept as the array is replaced: the kernel's context
    is made of these)."""

    def __init__(self, dtype, capacity: int = 1024):
        self.a = np.empty(capacity, dtype=dtype)
        self.n = 0

    @property
    def a(self) -> np.ndarray:
        return self._a

    @a.setter
    def a(self, array: np.ndarray) -> None:
        self._a = array
        self.addr = _ptr(array)

    def __setstate__(self, state: dict) -> None:  # a copy (copy.deepcopy, pickle) has its own address
        self.__dict__.update(state)
        self.a = self._a

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=self.a.dtype)
        end = self.n + len(values)
        if end > len(self.a):
            bigger = np.empty(max(end, 2 * len(self.a)), dtype=self.a.dtype)
            bigger[:self.n] = self.a[:self.n]
            self.a = bigger
        self.a[self.n:end] = values
        self.n = end

    def reserve(self, n: int) -> None:
        """Capacity for at least ``n`` values."""
        if n > len(self.a):
            bigger = np.empty(max(n, 2 * len(self.a)), dtype=self.a.dtype)
            bigger[:self.n] = self.a[:self.n]
            self.a = bigger

    def view(self) -> np.ndarray:
        return self.a[:self.n]

    def trim(self) -> None:
        """Give back the capacity beyond the end."""
        self.a = self.a[:self.n].copy()


class _Index:
    """uint64 keys numbered 0, 1, 2, ... in the order they are added, found by
    an open-addressing hash table (linear probing) of their numbers that is
    kept at most half full."""

    def __init__(self, keys: _Grow | None = None):
        self.keys = keys if keys is not None else _Grow(np.uint64)
        self._alloc(10)

    def _alloc(self, bits: int) -> None:
        self.mask = np.uint64((1 << bits) - 1)
        self.shift = np.uint64(64 - bits)
        self.table = np.full(1 << bits, -1, dtype=np.int32)
        self.words = [_ptr(self.table), (1 << bits) - 1, 64 - bits]  # for the kernel's context

    def __setstate__(self, state: dict) -> None:  # a copy has its own table's address
        self.__dict__.update(state)
        if self.table is not None:
            self.words = [_ptr(self.table), *self.words[1:]]

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _GOLDEN) >> self.shift).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """The number of each key, -1 for a key not added."""
        stored, table, mask = self.keys.a, self.table, self.mask
        lib = _kernel()
        if lib is not None:
            keys = np.ascontiguousarray(keys, dtype=np.uint64)
            out = np.empty(len(keys), dtype=np.int64)
            lib.find(_ptr(table), int(mask), int(self.shift), _ptr(stored), _ptr(keys), len(keys), _ptr(out))
            return out
        mask = np.int64(mask)
        slot = self._home(keys)
        ids = table[slot]
        out = ids.astype(np.int64)
        # an empty slot (-1) reads the last stored element: the test of ``used`` decides
        miss = np.flatnonzero((stored[ids] != keys) & (ids >= 0))
        slot = slot[miss]
        while miss.size:
            slot = (slot + 1) & mask
            ids = table[slot]
            hit = stored[ids] == keys[miss]
            out[miss] = np.where(hit | (ids < 0), ids, -1)
            more = ~hit & (ids >= 0)
            miss, slot = miss[more], slot[more]
        return out

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Add ``keys`` (distinct, none added before); their numbers."""
        first = self.keys.n
        self.keys.extend(keys)
        if 2 * self.keys.n > len(self.table):
            self.rehash()
        else:
            self._insert(first, self.keys.n)
        return np.arange(first, self.keys.n, dtype=np.int64)

    def reserve(self, n: int) -> None:
        """Room for ``n`` keys in all (the table at most half full then)."""
        self.keys.reserve(n)
        if 2 * n > len(self.table):
            self.rehash(n)

    def rehash(self, room: int = 0) -> None:
        """Build the table again for all the keys (after they grew or were
        repacked), big enough for ``room`` keys."""
        bits = 10
        while (1 << bits) < 2 * max(room, self.keys.n):
            bits += 1
        self._alloc(bits)
        for lo in range(0, self.keys.n, 1 << 22):
            self._insert(lo, min(self.keys.n, lo + (1 << 22)))

    def _insert(self, lo: int, hi: int) -> None:
        """Put the numbers lo .. hi-1 in the table."""
        table = self.table
        lib = _kernel()
        if lib is not None:
            lib.insert(_ptr(table), int(self.mask), int(self.shift), _ptr(self.keys.a), lo, hi)
            return
        ids = np.arange(lo, hi, dtype=np.int64)
        slot = self._home(self.keys.a[ids])
        mask = np.int64(self.mask)
        while ids.size:
            free = table[slot] < 0
            table[slot[free]] = ids[free]  # several claims of one slot: the last one wins
            won = np.zeros(len(ids), dtype=bool)
            won[free] = table[slot[free]] == ids[free]
            ids, slot = ids[~won], (slot[~won] + 1) & mask


class _Memo:
    """A function of packed keys whose value is a list of rows of ``width``
    integers, computed once per key (by ``compute(key)``) and kept flat."""

    def __init__(self, width: int, compute: Callable[[int], list]):
        self.index = _Index()
        self.compute = compute
        self.start, self.count = _Grow(np.int64), _Grow(np.int64)
        self.cols = [_Grow(np.int64) for _ in range(width)]

    def spread(self, keys: np.ndarray):
        """For each key its rows: (which key, the rows' columns), keys in order."""
        s = self._numbers(keys)
        start, count = self.start.a[s], self.count.a[s]
        which, at = _spread(start, count)
        return which, [c.a[at] for c in self.cols]

    def col_addrs(self) -> list[int]:
        """The columns' addresses, three words (the kernel's memo_t: col[3], unused)."""
        return [c.addr for c in self.cols] + [0] * (4 - len(self.cols))

    def each(self, keys: np.ndarray) -> list:
        """The columns of each key's one row (for a function of one row per key)."""
        s = self._numbers(keys)  # first: it may grow the arrays
        at = self.start.a[s]
        return [c.a[at] for c in self.cols]

    def _numbers(self, keys: np.ndarray) -> np.ndarray:
        """The number of each key, its rows computed if it is new."""
        s = self.index.find(keys)
        miss = s < 0
        if miss.any():
            new = np.unique(keys[miss])
            ids = self.add_new(new)
            s[miss] = ids[np.searchsorted(new, keys[miss])]
        return s

    def add_new(self, new: np.ndarray) -> np.ndarray:
        """Compute the rows of the keys ``new`` (distinct, none of them here yet)
        and keep them; their numbers."""
        flat: list = []
        counts = []
        for k in new.tolist():
            rows = self.compute(k)
            counts.append(len(rows))
            flat.extend(rows)
        counts = np.array(counts, dtype=np.int64)
        self.start.extend(self.cols[0].n + np.cumsum(counts) - counts)
        self.count.extend(counts)
        if flat:
            table = np.array(flat, dtype=np.int64).reshape(len(flat), len(self.cols))
            for j, c in enumerate(self.cols):
                c.extend(table[:, j])
        return self.index.add(new)


def _spread(start: np.ndarray, count: np.ndarray):
    """Ragged ranges start[i]:start[i]+count[i], concatenated: (i of each, index of each)."""
    total = int(count.sum())
    which = np.repeat(np.arange(len(count)), count)
    before = np.cumsum(count) - count
    at = np.arange(total) - np.repeat(before - start, count)
    return which, at


class _Channels:
    """The channel contents as the kernel keeps them (its ``chan_t``): each
    content's segments (the engine's segment ids) by content id, an
    open-addressing table of the ids by content, and each content's network
    entries (Model.network's deliveries, then losses and duplications), which
    the kernel computes the first time it expands a state with that content
    in that direction.  The ids are the model's ``flight_ids``: the kernel
    gives a content new to it the next id, and :meth:`_Engine._sync` then
    interns the same content in the model, which must give it the same id;
    a content the model interned first (the initial state's, or one the
    verify's :meth:`Model.successors` made) is given to the kernel likewise.
    ``hdr`` is the ``chan_t``, as words; the kernel writes its ``n`` and ``ne``."""

    N, NE = 0, 12  # the words the kernel writes: contents, entries

    def __init__(self, channel, room: int = 0, eroom: int = 0):
        room, eroom = room or _CHAN_ROOM[0], eroom or _CHAN_ROOM[1]
        self.cap = channel.capacity
        self.flags = [self.cap, int(channel.loss), int(channel.duplication), int(channel.reordering)]
        self.hdr = np.zeros(24, dtype=np.uint64)
        self.room, self.eroom = 0, 0
        self.tables = (np.zeros(1, np.int64),) * 5  # rank, fault labels, sent_at, sent_len, sent_seg
        self._grow(room, eroom)

    @property
    def n(self) -> int:
        return int(self.hdr[self.N])

    def _grow(self, room: int, eroom: int) -> None:
        """Room for ``room`` contents and ``eroom`` network entries (the arrays copied, the table rebuilt)."""
        n, ne, cap = self.n, int(self.hdr[self.NE]), self.cap
        rebuilt = room > self.room
        if rebuilt:
            segs, length = np.zeros(room * cap, np.int64), np.zeros(room, np.int64)
            net, nd, nf = (np.full(2 * room, -1, np.int64) for _ in range(3))
            if self.room:
                segs[:n * cap], length[:n] = self.segs[:n * cap], self.len[:n]
                for new, old in ((net, self.net), (nd, self.nd), (nf, self.nf)):
                    new[:2 * n] = old[:2 * n]
            self.segs, self.len, self.net, self.nd, self.nf = segs, length, net, nd, nf
            self.table = np.full(2 * room, -1, np.int32)
            self.room = room
        if eroom > self.eroom:
            ea, eb = np.zeros(eroom, np.int64), np.zeros(eroom, np.int64)
            if self.eroom:
                ea[:ne], eb[:ne] = self.ea[:ne], self.eb[:ne]
            self.ea, self.eb, self.eroom = ea, eb, eroom
        self._words()
        if rebuilt and n:
            _kernel().chan_insert(_ptr(self.hdr), 0, n)

    def _words(self) -> None:
        bits = (2 * self.room).bit_length() - 1
        limit = int(self.hdr[23])
        self.hdr[:] = [self.n, self.room, _ptr(self.segs), _ptr(self.len), _ptr(self.table), (1 << bits) - 1,
                       64 - bits, _ptr(self.net), _ptr(self.nd), _ptr(self.nf), _ptr(self.ea), _ptr(self.eb),
                       int(self.hdr[self.NE]), self.eroom, *(_ptr(t) for t in self.tables), *self.flags, limit]

    def grow(self) -> None:
        """Twice the room (contents and entries), which the kernel said it lacks: RuntimeError if it
        did not (a kernel that keeps asking would make the arrays grow for ever)."""
        if self.n < self.room and int(self.hdr[self.NE]) + 3 * self.cap + 1 <= self.eroom:
            raise RuntimeError(f"the packed engine's kernel says its channel store is full, with room for "
                               f"{self.room} contents ({self.n} used) and {self.eroom} entries "
                               f"({int(self.hdr[self.NE])} used)")
        self._grow(2 * self.room, 2 * self.eroom)

    def set_tables(self, rank, fault_label, sent_at, sent_len, sent_seg) -> None:
        self.tables = tuple(np.ascontiguousarray(t, dtype=np.int64) for t in
                            (rank, fault_label, sent_at, sent_len, sent_seg))
        self.hdr[14:19] = [_ptr(t) for t in self.tables]

    def set_limit(self, limit: int) -> None:
        """The ids fit the state's field below ``limit``."""
        self.hdr[23] = limit

    def add(self, contents: list) -> None:
        """Give the kernel ``contents`` (each a list of segment ids), the next ids."""
        n = self.n
        while n + len(contents) > self.room:
            self.grow()
        for i, segs in enumerate(contents, n):
            self.segs[i * self.cap:i * self.cap + len(segs)] = segs
            self.len[i] = len(segs)
            self.net[2 * i:2 * i + 2] = -1
        self.hdr[self.N] = n + len(contents)
        _kernel().chan_insert(_ptr(self.hdr), n, n + len(contents))

    def content(self, i: int) -> list:
        """The segment ids of content ``i``."""
        return self.segs[i * self.cap:i * self.cap + int(self.len[i])].tolist()

    def entries(self) -> set:
        """The (content, direction) pairs whose network entries are computed."""
        done = np.flatnonzero(self.net[:2 * self.n] >= 0)
        return set(zip((done >> 1).tolist(), (done & 1).tolist()))


class _Layout:
    """The bit fields of a packed state: one per component, widest first to last."""

    def __init__(self, widths: list[int]):
        self.widths = widths
        shifts, at = [], 0
        for w in reversed(widths):
            shifts.append(at)
            at += w
        self.bits = at
        self.shifts = [np.uint64(s) for s in reversed(shifts)]
        self.masks = [np.uint64((1 << w) - 1) for w in widths]
        pad = [0] * (7 - len(widths))
        self.words = [int(x) for x in self.shifts] + pad + [int(x) for x in self.masks] + pad  # the context's

    def pack(self, cols) -> np.ndarray:
        out = np.zeros(len(cols[0]), dtype=np.uint64)
        for c, s in zip(cols, self.shifts):
            out |= c.astype(np.uint64) << s
        return out

    def unpack(self, packed: np.ndarray) -> list[np.ndarray]:
        return [((packed >> s) & m).astype(np.int64) for s, m in zip(self.shifts, self.masks)]


def _local_key(i, tcb, app, timers) -> np.ndarray:
    """The key of the local memo (an endpoint's calls and timeouts), as the kernel makes it."""
    return (np.asarray(i).astype(np.uint64) << np.uint64(62)) | (np.asarray(tcb).astype(np.uint64) << np.uint64(34)) \
        | (np.asarray(app).astype(np.uint64) << np.uint64(4)) | np.asarray(timers).astype(np.uint64)


def _receive_key(i, tcb, app, seg) -> np.ndarray:
    """The key of the receive memo (an endpoint's reaction to a segment), as the kernel makes it."""
    return (np.asarray(i).astype(np.uint64) << np.uint64(62)) | (np.asarray(tcb).astype(np.uint64) << np.uint64(41)) \
        | (np.asarray(app).astype(np.uint64) << np.uint64(21)) | np.asarray(seg).astype(np.uint64)


def _bits(n: int) -> int:
    """Bits for the values 0 .. n-1 (at least 1)."""
    return max(1, (n - 1).bit_length())


class _Part:
    """Rows lo .. hi-1 of a chunk, expanded by the kernel (:meth:`_Engine._expand_c`)."""

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi, self.r, self.j = lo, hi, lo, 0
        self.cap = _ROOM * (hi - lo) + 16
        self.succ, self.rows, self.labels = (np.empty(self.cap, t) for t in (np.uint64, np.int64, np.int64))
        self.miss_memo, self.miss_key = np.empty(_MISSES, np.int64), np.empty(_MISSES, np.uint64)
        self.res = np.zeros(3, np.int64)
        self.status = None  # 0: done, 1: memo entries missing (go on at row r, position j)
        self._point()

    def _point(self) -> None:
        """The output arrays' addresses, taken once (again only when they grow)."""
        self._out = (_ptr(self.succ), _ptr(self.rows), _ptr(self.labels))
        self._miss = (_ptr(self.miss_memo), _ptr(self.miss_key), _MISSES, _ptr(self.res))

    def run(self, lib, ctx: int, packed: int, per_row: int, add: int = 1) -> None:
        """Expand on from row r (``ctx``, ``packed``, ``per_row``: addresses; ``add``: new channel
        contents are interned by the kernel, else they are missing too)."""
        while True:
            self.status = lib.expand(ctx, packed, self.hi, self.r, self.j, *self._out, per_row, self.cap,
                                     *self._miss, add)
            if self.status == 0:
                self.j = int(self.res[0])
                return
            self.r, self.j = int(self.res[2]), int(self.res[0])
            if self.status != 2:
                return
            self.cap *= 2  # the output is full: room for twice as many
            self.succ, self.rows, self.labels = (np.concatenate([a[:self.j], np.empty(self.cap - self.j, a.dtype)])
                                                 for a in (self.succ, self.rows, self.labels))
            self._point()

    def missing(self):
        """The memo entries missing: (which memo, key) arrays."""
        k = int(self.res[1])
        return self.miss_memo[:k], self.miss_key[:k]


def _dropping(step: Step, k: int) -> Step:
    """``step`` with its last ``k`` segments dropped by a full channel, as
    :meth:`Model.send` relabels it (once a channel is full, every later segment is dropped)."""
    return step._replace(dropped=step.sent[len(step.sent) - k:])


class _Engine:
    """The packed search of one :class:`Model`."""

    def __init__(self, model: Model):
        self.m = model
        self.budget = model.loss_budget
        self.ncomp = 6 if self.budget is None else 7
        self.states = _Grow(np.uint64, 1 << 12)
        self.visited = _Index(self.states)
        self.busy: _Visit | None = None  # a visit running in the other thread
        self._ctx = None  # the kernel's context: (the arrays it was made from, it, its address)
        self.pool: ThreadPoolExecutor | None = None  # the other threads, with two cores
        self.layout = None
        self._relayout(force=True)
        self.empty = model.empty_flight
        self.segs: dict = {}  # segment -> id
        self.seg_items: list = []
        self.timers = np.zeros((2, 0), dtype=np.int64)
        self.is_lose = np.zeros(0, dtype=bool)
        m = model
        self.local = _Memo(3, lambda k: list(m.local_reactions(k >> 62, (k >> 34) & 0xFFFFFFF, (k >> 4) & 0x3FFFFFFF,
                                                          k & 3)))
        # a channel after the segments of a step are put in it depends on the segments alone: (channel,
        # segments) -> (channel, how many a full channel dropped: always the last ones); a step that lost
        # some is relabelled (step << 32 | how many)
        self.sent_of = np.zeros(0, dtype=np.int64)  # step -> its segments' id
        self.sent_ids: dict = {}  # segments -> id
        self.sent_step: list = []  # id -> a step that sends them
        self.push = _Memo(2, lambda k: [self._push(k >> 32, self.sent_step[k & 0xFFFFFFFF])])
        self.relabel = _Memo(1, lambda k: [(m.step_ids(_dropping(m.step_ids.items[k >> 32], k & 0xFFFFFFFF)),)])
        # with the kernel, the channels' contents and network entries are its own (push, deliveries and
        # faults are the numpy passes' memos)
        self.chan = _Channels(model.channel) if _kernel() is not None else None
        self._fault_n = 0  # the segments whose network steps are in the channels' tables
        self._fault: list = []  # their network steps, 4 * segment + 2 * kind + direction
        self.deliveries = _Memo(2, lambda k: [(self._seg(seg), rest)
                                              for seg, rest in m.network(k >> 1, ("A->B", "B->A")[k & 1])[0]])
        self.faults = _Memo(2, lambda k: list(m.network(k >> 1, ("A->B", "B->A")[k & 1])[1]))
        self.receive = _Memo(3, lambda k: [m.reaction(k >> 62, (k >> 41) & 0x1FFFFF, (k >> 21) & 0xFFFFF,
                                                          self.seg_items[k & 0x1FFFFF])])
        self._keep_tables()

    @property
    def _memos(self) -> tuple:
        """The memo tables in the kernel's order (its ``memo[0..5]``)."""
        return self.local, self.push, self.relabel, self.deliveries, self.faults, self.receive

    def precompute(self) -> bool:
        """Fill the endpoints' memo tables before the search, as the generated
        Promela's tables are filled (model/promela.py): from the fixpoint over
        the endpoints alone (:func:`~tcpcheck.model.system.endpoint_closure`),
        each local state's calls and timeouts under every ``timers``, and its
        reaction to every segment its peer can send.  A reaction the rule
        table does not decide is left out: the search computes it if it meets
        it, and stops with the model's ClassificationError there, as it does
        without this.  The channels' entries (deliveries, faults, segments put
        in flight) are left to the search, as pan computes its channels
        itself.  The fixpoint need not be finite (a broken variant's endpoint
        may count on for ever where the composition stops): past
        :data:`_PRECOMPUTE` reactions and local states it is given up, and the search computes
        every entry as it meets it.  Returns whether the tables were filled."""
        m = self.m
        closure = endpoint_closure(m, _PRECOMPUTE)
        if closure is None:
            return False
        locs, segs = closure
        local, receive = [], []  # (endpoint, TCB, App, timers) and (endpoint, TCB, App, segment)
        for i in (0, 1):
            for t, p in locs[i]:
                local.extend((i, t, p, timers) for timers in range(4))
                for q in segs[1 - i]:
                    try:
                        m.reaction(i, t, p, q)  # memoized by the closure: only the undecided ones raise
                    except ClassificationError:
                        continue
                    receive.append((i, t, p, self._seg(q)))
        self.local._numbers(_local_key(*np.array(local, dtype=np.int64).reshape(-1, 4).T))
        self.receive._numbers(_receive_key(*np.array(receive, dtype=np.int64).reshape(-1, 4).T))
        return True

    def _push(self, flight: int, step: int) -> tuple[int, int]:
        f, label = self.m.send(flight, step)
        return f, len(self.m.step_ids.items[label].dropped)

    def _seg(self, seg) -> int:
        i = self.segs.get(seg)
        if i is None:
            i = self.segs[seg] = len(self.seg_items)
            self.seg_items.append(seg)
        return i

    # --- packing ---------------------------------------------------------------

    def _needs(self) -> tuple[int, int, int]:
        m = self.m
        return len(m.tcb_ids.items), len(m.app_ids.items), len(m.flight_ids.items)

    def _relayout(self, force: bool = False, more: int = 0) -> None:
        """Widen the bit fields when an interner outgrew its own (or the kernel
        needs room for ``more`` channel contents), and pack every stored state
        again (then rebuild the visited set)."""
        nt, na, nf = self._needs()
        nf += more
        if not force and all(n <= 1 << w for n, w in zip((nt, na, nf), self.cap)):
            return
        bt, ba, bf = _bits(nt), _bits(na), _bits(nf)
        bl = 0 if self.budget is None else _bits(self.budget + 1)
        need = 2 * (bt + ba + bf) + bl
        if need > 64:
            raise OverflowError(f"the packed engine needs {need} bits for a state, more than 64 "
                                f"({nt} TCBs, {na} applications, {nf} channel contents)")
        if self.busy is not None:  # a chunk's visit still running stores states: let it finish first
            self.busy.result()
        spare = 64 - need if _HEADROOM else 0
        grow = [0, 0, 0]
        while spare >= 2:  # the room left goes to the fields that fill up, in turn
            for k in (0, 2, 1):
                if spare >= 2:
                    grow[k] += 1
                    spare -= 2
        bt, ba, bf = bt + grow[0], ba + grow[1], bf + grow[2]
        widths = [bt, bt, ba, ba, bf, bf] + ([bl] if self.budget is not None else [])
        old = self.layout
        self.layout = _Layout(widths)
        self.cap = (bt, ba, bf)
        if old is not None and self.states.n:
            v = self.states.view()
            for lo in range(0, len(v), 1 << 22):
                v[lo:lo + (1 << 22)] = self.layout.pack(old.unpack(v[lo:lo + (1 << 22)]))
            self.visited.rehash()

    def unpack_tuples(self, packed: np.ndarray) -> list[tuple]:
        return list(zip(*(c.tolist() for c in self.layout.unpack(packed))))

    # --- per-component tables ------------------------------------------------------

    def _tables(self) -> None:
        """Extend the tables indexed by TCB (which timers may expire) and by step (losses, the segments it
        sends), and with the kernel the channels' tables by segment (its network steps, its place in a
        sorted channel) and by sent id (its segments)."""
        m = self.m
        nt = len(m.tcb_ids.items)
        have = self.timers.shape[1]
        if nt > have:
            more = np.array([[m.timers(bool(q), t) for t in range(have, nt)] for q in (0, 1)], dtype=np.int64)
            self.timers = np.concatenate([self.timers, more.reshape(2, nt - have)], axis=1)
        before = len(self._keep[1])
        while len(m.step_ids.items) > len(self.is_lose):  # (a new segment's network steps are new steps)
            ns, sent = len(m.step_ids.items), len(self.sent_step)
            more = np.array([m.step_ids.items[k].kind == "lose" for k in range(len(self.is_lose), ns)], dtype=bool)
            self.is_lose = np.concatenate([self.is_lose, more])
            ids = []
            for k in range(len(self.sent_of), ns):  # the segments of each step; the first step (one that
                step = m.step_ids.items[k]              # no full channel relabelled) stands for them
                if step.sent not in self.sent_ids and not step.dropped:
                    self.sent_ids[step.sent] = len(self.sent_step)
                    self.sent_step.append(k)
                ids.append(self.sent_ids.get(step.sent, -1))  # -1: a relabelled step, never sent again
            self.sent_of = np.concatenate([self.sent_of, np.array(ids, dtype=np.int64)])
            if self.chan is not None and (len(self.sent_step) > sent or len(self.seg_items) > self._fault_n):
                self._channel_tables()
        if self.chan is not None and len(self.seg_items) > self._fault_n:  # segments of contents (_sync)
            self._channel_tables()
            return self._tables()
        if nt > have or len(self.is_lose) > before:
            self._keep_tables()

    def _channel_tables(self) -> None:
        """The kernel's tables of segments and sent ids (see :class:`_Channels`): every segment a step
        sends gets an id, its network steps (interned as Model.network interns them; -1 where the
        network cannot lose or duplicate) and its rank in Python's order of segments."""
        m = self.m
        sent = [[self._seg(q) for q in m.step_ids.items[k].sent] for k in self.sent_step]
        ch = m.channel
        for q in self.seg_items[self._fault_n:]:
            self._fault += [m.step_ids(Step("network", kind, direction, q, (), ())) if on else -1
                            for kind, on in (("lose", ch.loss), ("duplicate", ch.duplication))
                            for direction in ("A->B", "B->A")]
        self._fault_n = len(self.seg_items)
        order = sorted(range(len(self.seg_items)), key=self.seg_items.__getitem__)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        lens = np.array([len(s) for s in sent], dtype=np.int64)
        self.chan.set_tables(rank, self._fault, np.cumsum(lens) - lens, lens,
                             [q for s in sent for q in s] or [0])

    def _sent(self, flight: np.ndarray, step: np.ndarray):
        self._tables()
        f, dropped = self.push.each((flight.astype(np.uint64) << np.uint64(32))
                                    | self.sent_of[step].astype(np.uint64))
        d = np.flatnonzero(dropped)
        if len(d):
            step = step.copy()
            (step[d],) = self.relabel.each((step[d].astype(np.uint64) << np.uint64(32))
                                           | dropped[d].astype(np.uint64))
        return f, step

    def _context(self) -> np.ndarray:
        """What the kernel's expansion reads (its ``ctx_t``): the memo tables'
        addresses, the per-TCB and per-step tables, and the layout, as words
        (each array's address is kept with it as it moves: ``_Grow.addr``,
        ``_Index.words``).  The context is made again when its words changed
        (an array moved as it grew, the layout changed), else kept."""
        words = []
        for memo in self._memos:
            words += memo.index.words
            words += [memo.index.keys.addr, memo.start.addr, memo.count.addr]
            words += memo.col_addrs()
        words += self._table_words
        words += self.layout.words
        words.append(_ptr(self.chan.hdr) if self.chan is not None else 0)
        kept = self._ctx
        if kept is not None and kept[0] == words:
            return kept[1]
        ctx = np.array([w & 0xFFFFFFFFFFFFFFFF for w in words], dtype=np.uint64)
        self._ctx = (words, ctx, _ptr(ctx))
        return ctx

    def _keep_tables(self) -> None:
        """The per-TCB and per-step tables as the kernel reads them, and their context words."""
        self._keep = (np.ascontiguousarray(self.timers), self.is_lose.view(np.uint8), self.sent_of)
        self._table_words = [_ptr(self._keep[0]), self.timers.shape[1], _ptr(self._keep[1]), _ptr(self._keep[2]),
                             self.empty, -1 if self.budget is None else self.budget, self.ncomp]

    def expand(self, packed: np.ndarray):
        """The successors of ``packed`` states, in :meth:`Model.successors`'s order:
        (the states' components, and for each step the row of its state, the
        packed successor and the model's label; the steps of each state)."""
        lib = _kernel()
        if lib is not None:
            return self._expand_c(lib, packed)
        return self._expand_numpy(packed)

    def _sync(self) -> None:
        """The kernel's channel contents and the model's ``flight_ids`` made the same again: the contents
        the kernel interned are interned by the model, which must give them the kernel's ids; those the
        model interned first (the initial state's, the verify's) are given to the kernel."""
        ch, items = self.chan, self.m.flight_ids.items
        n, known = ch.n, len(items)
        if n > known:
            seg = self.seg_items
            for i in range(known, n):
                flight = tuple(seg[q] for q in ch.content(i))
                if self.m.flight_ids(flight) != i:
                    raise RuntimeError(f"the packed engine's kernel made channel content {i}, {flight}, which the "
                                       f"model has as {self.m.flight_ids.ids[flight]}")
        elif known > n:
            ch.add([[self._seg(q) for q in items[i]] for i in range(n, known)])

    def _expand_c(self, lib, packed: np.ndarray):
        """:meth:`expand` by the kernel: it stops at memo entries not computed
        yet, which are computed here (by the model), and goes on where it
        stopped.  The channels are the kernel's own (:class:`_Channels`): it
        interns a content new to it and computes its network entries as it
        meets them, and the model is given them after each run (:meth:`_sync`).
        With a second thread (``self.pool``) the chunk's two halves are
        expanded at once, reading the store without adding to it: the
        contents and entries either missed are made after (``chan_fill``, in
        one thread, in the order of their keys), and the model computes what
        either missed."""
        memos = self._memos
        n = len(packed)
        packed = np.ascontiguousarray(packed, dtype=np.uint64)
        per_row = np.zeros(n, dtype=np.int64)
        cut = [0, n // 2, n] if self.pool is not None and n >= _SPLIT else [0, n]
        parts = [_Part(lo, hi) for lo, hi in zip(cut, cut[1:])]
        last = None
        ch = self.chan
        while True:
            todo = [q for q in parts if q.status != 0]
            if not todo:
                break
            self._sync()
            self._tables()
            ch.set_limit(1 << self.cap[2])
            self._context()
            at = (self._ctx[2], _ptr(packed), _ptr(per_row), int(len(todo) == 1))
            others = [self.pool.submit(q.run, lib, *at) for q in todo[1:]]
            todo[0].run(lib, *at)
            for f in others:
                f.result()
            stuck = [(q.lo, q.r, q.j, q.missing()[1].tobytes()) for q in todo if q.status == 1]
            if stuck and stuck == last:  # the entries given last round are asked for again: no progress
                raise RuntimeError("the packed engine's kernel asks again for the memo entries it was given "
                                   f"(rows {stuck[0][0]}.., resumed at {stuck[0][1]}): its tables and the memos differ")
            last = stuck
            missing: dict = {}
            for q in todo:
                if q.status == 1:
                    found, keys = q.missing()
                    for m in np.unique(found).tolist():
                        missing.setdefault(m, []).append(keys[found == m])
            more = 0  # the channels' field is full: widen it
            fill = [(m, np.unique(np.concatenate(missing.pop(m)))) for m in (3, 6) if m in missing]
            if 7 in missing:  # the store's arrays are full (key 0) or the field (1)
                keys = np.concatenate(missing.pop(7))
                more = int((keys == 1).any())
                if more and ch.n < 1 << self.cap[2]:
                    raise RuntimeError(f"the packed engine's kernel says the channels' field of {self.cap[2]} "
                                       f"bits is full at {ch.n} contents")
                if (keys == 0).any():
                    ch.grow()
                last = None  # (the store or the field grows: progress)
            if fill:  # what two threads could not add
                codes = np.concatenate([np.full(len(k), m, dtype=np.int64) for m, k in fill])
                keys = np.ascontiguousarray(np.concatenate([k for _, k in fill]), dtype=np.uint64)
                for _ in range(64):
                    got = lib.chan_fill(self._ctx[2], _ptr(codes), _ptr(keys), len(codes))
                    if got != -3:
                        break
                    ch.grow()
                more |= int(got == -4)
            for m, keys in sorted(missing.items()):  # (each memo's keys were missing at the kernel's run)
                memos[m].add_new(np.unique(np.concatenate(keys)))
            self._sync()  # the contents the kernel made, to the model
            old = self.layout
            self._relayout(more=more)  # new TCBs, applications or channel contents may need wider fields
            if self.layout is not old:  # this chunk's states are repacked, and it is expanded again
                packed = self.layout.pack(old.unpack(packed))
                parts = [_Part(q.lo, q.hi) for q in parts]
        for q in parts:  # the steps relabelled for what a full channel dropped, given as -1 - (step << 4 | dropped)
            labels = q.labels[:q.j]
            new = np.flatnonzero(labels < 0)
            if len(new):
                v = (-1 - labels[new]).astype(np.uint64)
                (labels[new],) = self.relabel.each(((v >> np.uint64(4)) << np.uint64(32)) | (v & np.uint64(15)))
        if len(parts) == 1:
            q = parts[0]
            return self.layout.unpack(packed), q.rows[:q.j], q.succ[:q.j], q.labels[:q.j], per_row
        rows, succ, labels = (np.concatenate([getattr(q, name)[:q.j] for q in parts])
                              for name in ("rows", "succ", "labels"))
        return self.layout.unpack(packed), rows, succ, labels, per_row

    def _expand_numpy(self, packed: np.ndarray):
        """:meth:`expand` in numpy passes (without the kernel)."""
        self._tables()
        c = self.layout.unpack(packed)
        A, B, pA, pB, ab, ba = c[:6]
        n = len(packed)
        quiet = ((ab == self.empty) & (ba == self.empty)).astype(np.int64)
        groups = []  # (rows, components of the successor, label), in the order of Model.successors

        for i, (me, app, peer, out) in enumerate(((A, pA, B, 4), (B, pB, A, 5))):
            t = self.timers[quiet, peer]
            rows, (step, tcb, newapp) = self.local.spread(_local_key(i, me, app, t))
            f, label = self._sent(c[out][rows], step)
            comps = [x[rows] for x in c]
            comps[i], comps[2 + i], comps[out] = tcb, newapp, f
            groups.append((rows, comps, label))
        for i, (chan, into) in enumerate(((ab, 5), (ba, 4))):  # A->B arrives at B, B->A at A
            who = 1 - i
            rows, (seg, rest) = self.deliveries.spread((chan.astype(np.uint64) << _ONE) | np.uint64(i))
            _, (step, tcb, newapp) = self.receive.spread(_receive_key(who, c[who][rows], c[2 + who][rows], seg))
            f, label = self._sent(c[into][rows], step)
            comps = [x[rows] for x in c]
            comps[who], comps[2 + who], comps[4 + i], comps[into] = tcb, newapp, rest, f
            groups.append((rows, comps, label))
        for i, chan in enumerate((ab, ba)):
            rows, (label, rest) = self.faults.spread((chan.astype(np.uint64) << _ONE) | np.uint64(i))
            comps = [x[rows] for x in c]
            comps[4 + i] = rest
            if self.budget is not None:
                self._tables()
                lose = self.is_lose[label]
                keep = ~lose | (comps[6] < self.budget)
                rows, label, lose = rows[keep], label[keep], lose[keep]
                comps = [x[keep] for x in comps]
                comps[6] = comps[6] + lose
            groups.append((rows, comps, label))

        self._relayout()  # new TCBs, applications or channel contents may need wider fields
        per_group = [np.bincount(g[0], minlength=n) for g in groups]
        per_row = np.sum(per_group, axis=0) if groups else np.zeros(n, dtype=np.int64)
        total = int(per_row.sum())
        offset = np.cumsum(per_row) - per_row
        rows_out = np.empty(total, dtype=np.int64)
        succ = np.empty(total, dtype=np.uint64)
        labels = np.empty(total, dtype=np.int64)
        for (rows, comps, label), cnt in zip(groups, per_group):
            within = np.arange(len(rows)) - (np.cumsum(cnt) - cnt)[rows]
            pos = offset[rows] + within
            offset = offset + cnt
            rows_out[pos] = rows
            succ[pos] = self.layout.pack(comps)
            labels[pos] = label
        return c, rows_out, succ, labels, per_row

    def verify(self, comps: list, picks, rows, succ, labels) -> None:
        """Compare the successors of the states ``picks`` (rows of the chunk whose
        components are ``comps``) with
        :meth:`Model.successors`; RuntimeError where they differ."""
        first = np.searchsorted(rows, picks, side="left")
        count = np.searchsorted(rows, picks, side="right") - first
        _, at = _spread(first, count)  # all the picks' successors, unpacked together
        steps = list(zip(labels[at].tolist(), self.unpack_tuples(succ[at])))
        states = list(zip(*(col[picks].tolist() for col in comps)))
        end = np.cumsum(count).tolist()
        for s, lo, hi in zip(states, [0] + end[:-1], end):
            mine = steps[lo:hi]
            theirs = [(k, tuple(t)) for k, t in self.m.successors(s)]
            if mine != theirs:
                raise RuntimeError(f"the packed engine disagrees with Model.successors at state {s}: "
                                   f"{mine} != {theirs}")


class PackedStates:
    """The states of a packed exploration, by id: each unpacked to the model's
    internal tuple when read (``states[i]``, slices, iteration)."""

    def __init__(self, engine: _Engine):
        self._e = engine

    def __len__(self) -> int:
        return self._e.states.n

    def __getitem__(self, i):
        n = self._e.states.n
        if isinstance(i, slice):
            lo, hi, step = i.indices(n)
            return self._e.unpack_tuples(self._e.states.a[lo:hi:step])
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("state id out of range")
        return self._e.unpack_tuples(self._e.states.a[i:i + 1])[0]

    def __iter__(self):
        for lo in range(0, len(self), 1 << 16):
            yield from self[lo:lo + (1 << 16)]

    def take(self, ids: np.ndarray) -> list[tuple]:
        """The states ``ids`` (an integer array), unpacked together."""
        return self._e.unpack_tuples(self._e.states.a[:self._e.states.n][ids])

    def columns(self, lo: int, hi: int) -> list[np.ndarray]:
        """The component ids of states lo .. hi-1, one int64 array per component:
        the properties' monitor reads a batch this way without building tuples
        (the protocol of :meth:`tcpcheck.model.properties.Monitor`)."""
        return self._e.layout.unpack(self._e.states.a[lo:hi])

    def columns_of(self, ids: np.ndarray) -> list[np.ndarray]:
        """:meth:`columns` of the states ``ids`` (an integer array, any order)."""
        return self._e.layout.unpack(self._e.states.a[:self._e.states.n][ids])

    def packed(self) -> np.ndarray:
        """The packed states (a read-only numpy view, no copy)."""
        v = self._e.states.view()
        v.flags.writeable = False
        return v


class PackedExploration(Exploration):
    """An :class:`Exploration` whose states are packed (see :class:`PackedStates`)."""

    @property
    def max_depth(self) -> int:
        return int(np.frombuffer(self.depth, dtype=np.int32).max()) if len(self.depth) else 0

    def _truncate_states(self, n: int) -> None:
        self._engine.states.n = n

    def stored_bytes(self) -> int:
        """The bytes the search's own store held when it ended, the sum of
        ``self.store`` (its parts' bytes): the packed states' array (its capacity), the
        visited set's hash table (freed just after), and the parent, via and
        depth arrays, and src, dst, lab and edge_offsets when edges are kept (each
        array's allocated size, over-allocation included): the counterpart
        of what SPIN stores, its state vector.  Not counted: the memo tables,
        the labels and terminal lists, the interpreter.

        >>> from tcpcheck.model.checker import build
        >>> from tcpcheck.model.config import preset
        >>> x = explore(build(preset("seed")), cores=1, edges=False)
        >>> x.cores, sorted(x.store), x.stored_bytes() == sum(x.store.values())
        (1, ['depth', 'parent', 'states', 'via', 'visited'], True)
        """
        return sum(self.store.values())


class _Visit:
    """A chunk's visit of the visited set (:func:`_visit`), perhaps still
    running in the other thread; ``result()`` waits for it (once or more)."""

    def __init__(self, run, finish, pool=None):
        self._finish = finish
        self._future = pool.submit(run) if pool is not None else None
        self._value = None if pool is not None else finish(run())

    def result(self):
        if self._future is not None:
            self._value = self._finish(self._future.result())
            self._future = None
        return self._value


def _visit(visited: _Index, succ: np.ndarray, rows: np.ndarray, room: int, pool=None) -> _Visit:
    """A chunk's successors looked up in (and new ones added to) the visited
    set, by the compiled kernel if there is one (in ``pool``'s thread if one is
    given: the kernel runs without Python's lock); its result is (the id of
    each successor kept, the index of the successor that found each new
    state, the row cut by the state budget or -1)."""
    lib = _kernel()
    if lib is None:
        return _Visit(lambda: _visit_numpy(visited, succ, rows, room), lambda r: r)
    n = visited.keys.n
    visited.reserve(n + min(room, len(succ)))  # here, not in the thread: it may move the arrays
    succ = np.ascontiguousarray(succ, dtype=np.uint64)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    ids = np.empty(len(succ), dtype=np.int64)
    first = np.empty(max(1, min(room, len(succ))), dtype=np.int64)
    res = np.empty(2, dtype=np.int64)
    args = (_ptr(visited.table), int(visited.mask), int(visited.shift), _ptr(visited.keys.a), n,
            _ptr(succ), _ptr(rows), len(succ), room, _ptr(ids), _ptr(first), _ptr(res))

    def finish(added):
        visited.keys.n = n + added
        return ids[:res[0]], first[:added], int(res[1])
    return _Visit(lambda: lib.visit(*args), finish, pool)


def _visit_numpy(visited: _Index, succ: np.ndarray, rows: np.ndarray, room: int):
    """:func:`_visit` in numpy passes (without the compiled kernel)."""
    ids = visited.find(succ)
    miss = np.flatnonzero(ids < 0)
    new, first, inv = np.unique(succ[miss], return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(new), dtype=np.int64)
    rank[order] = np.arange(len(new))
    base = visited.keys.n
    ids[miss] = base + rank[inv.reshape(-1)]
    cut = -1
    if len(new) > room:  # the (room+1)-th new state: its row is the last one expanded
        cut = int(rows[miss[first[order[room]]]])
        order = order[:room]
        ids = np.where(ids < base + room, ids, -1)[:np.searchsorted(rows, cut, side="right")]
    visited.add(new[order])
    return ids, miss[first[order]], cut


def _expand_chunk(e: _Engine, lo: int, hi: int, verify_every: int):
    """The queue's states lo .. hi-1 expanded (and some verified): (hi, their
    components, and the successors' rows, packed states and labels, the
    successors of each)."""
    comps, rows, succ, labels, per_row = e.expand(e.states.a[lo:hi].copy())
    n = hi - lo
    picks = np.arange(min(n, 256)) if lo == 0 else np.unique(np.linspace(0, n - 1, min(n, verify_every))
                                                              .astype(np.int64))
    e.verify(comps, picks, rows, succ, labels)
    return hi, comps, rows, succ, labels, per_row


def _append(arr: array, values: np.ndarray) -> None:
    arr.frombytes(np.ascontiguousarray(values, dtype=np.int32).tobytes())


def _extend_offsets(offsets: _Grow, counts: np.ndarray) -> None:
    """Append the row offsets of the next states' edges (``counts`` of each) to
    ``offsets`` (whose last entry is the edges so far), widening it from int32
    to int64 when the edges reach 2**31 (the dtype rule of liveness's ``_indptr``)."""
    top = int(offsets.a[offsets.n - 1])
    ends = np.cumsum(counts)
    if len(ends) and top + int(ends[-1]) >= 2 ** 31 and offsets.a.dtype == np.int32:
        offsets.a = offsets.a.astype(np.int64)
    ends += top
    offsets.extend(ends)


def _finish_offsets(offsets: _Grow, expanded: int, n: int, m: int) -> np.ndarray:
    """The edges' row offsets of all ``n`` states, ``m`` edges out of the first
    ``expanded`` (those after have none): ``offsets`` taken to the expanded
    states (an interrupted chunk may have appended more) and extended with
    ``m`` for the rest, int32 when ``m`` < 2**31; read-only."""
    if offsets.n <= expanded or int(offsets.a[expanded]) != m:
        raise RuntimeError(f"the packed engine's edge offsets ({offsets.n} entries) disagree with its "
                           f"{m} edges out of {expanded} states")
    dtype = np.int32 if m < 2 ** 31 else np.int64
    if len(offsets.a) < n + 1 or offsets.a.dtype != dtype:
        a = np.empty(n + 1, dtype=dtype)
        a[:expanded + 1] = offsets.a[:expanded + 1]
        offsets.a = a
    offsets.a[expanded + 1:n + 1] = m
    offsets.n = n + 1
    v = offsets.view()
    v.flags.writeable = False
    return v


def _allocated(arr: array) -> int:
    """The bytes ``arr`` has allocated for its items (its capacity, room to grow included)."""
    return arr.__sizeof__() - array(arr.typecode).__sizeof__()


def explore(model, max_states: int | None = None,
            progress: Callable[[Exploration], None] | None = None,
            progress_every: float = 0.5,
            stop: Callable[[Exploration], str | None] | None = None,
            interruptible: bool = False,
            observe: Callable[[Exploration], str | None] | None = None,
            observe_every: int = 64, chunk: int = CHUNK, verify_every: int = 16,
            cores: int | None = None, edges: bool = True, precompute: bool = False) -> Exploration:
    """Explore ``model`` breadth-first with packed states: the contract of
    :func:`tcpcheck.model.explorer.explore` (the same states, ids, parents,
    labels, depths, edges and terminal states), except that ``stop``,
    ``observe`` and ``progress`` are asked between chunks of ``chunk``
    expansions (``observe_every`` is not used).  ``verify_every`` states of
    each chunk (and the first 256 of the search) have their successors
    compared with :meth:`Model.successors`.  With ``cores`` of 2 or more
    (default: 2 when the machine has them) and the compiled kernel, the
    kernel expands the halves of a chunk in two threads, and visits a
    chunk's successors while the next chunk is expanded: the same search,
    chunk for chunk.  With ``edges=False`` no edge is kept, as SPIN's safety
    run keeps none (see the explorer's ``edges``): 12 bytes less per
    transition, the same states, parents, steps and depths.  With edges the
    result has ``x.edge_offsets``, their row offsets by source state (CSR
    row pointers): a read-only numpy array of ``len(x.states) + 1`` entries,
    int32 while the edges are fewer than 2**31 (else int64), where
    ``src[edge_offsets[u]:edge_offsets[u + 1]]`` are the edges out of state
    ``u`` (none for a state not expanded: beyond a budget, a stop or an
    interrupt), made from the successors counted per chunk as the search
    goes, so no pass over the edges is needed; without edges it is None.
    The result
    records the cores it searched on (``x.cores``: 1, or 2 with the threads)
    and its store's size (:meth:`PackedExploration.stored_bytes`).  With
    ``precompute`` the endpoints' memo tables are filled before the search
    from the fixpoint over the endpoints alone (:meth:`_Engine.precompute`,
    what the generated Promela's tables are made of): the same exploration,
    its seconds in ``x.precompute_seconds`` and not in ``x.seconds`` (the
    search's), as pan's run excludes the Promela's generation, and
    ``x.precomputed`` says whether the fixpoint was within its budget; it computes
    more reactions than a search meets, so it costs more in all, and only
    ``bench --vs spin`` asks for it.

    >>> from tcpcheck.model.checker import build
    >>> from tcpcheck.model.config import preset
    >>> x = explore(build(preset("default")))
    >>> len(x.states), x.transitions, len(x.terminal), x.max_depth, x.complete
    (28817, 116481, 17, 21, True)
    >>> x.states[1] == x.states[:2][1], x.state(0).A.state
    (True, 'CLOSED')
    >>> x.edge_offsets[:4].tolist(), x.edge_offsets.dtype.name, int(x.edge_offsets[-1]) == x.transitions
    ([0, 2, 6, 8], 'int32', True)
    """
    if not (isinstance(model, Model) and type(model).successors is Model.successors
            and getattr(type(model), "_successors_within_budget", None) is Model._successors_within_budget):
        return _explore_bfs(model, max_states=max_states, progress=progress, progress_every=progress_every,
                            stop=stop, interruptible=interruptible, observe=observe, observe_every=observe_every,
                            edges=edges)
    collecting = gc.isenabled()
    gc.disable()  # the search makes no garbage cycles, and a collection would scan every memo entry it keeps
    try:
        return _explore(model, e=_Engine(model), max_states=max_states, progress=progress,
                        progress_every=progress_every, stop=stop, interruptible=interruptible, observe=observe,
                        chunk=chunk, verify_every=verify_every, cores=cores, edges=edges, precompute=precompute)
    finally:
        if collecting:
            gc.enable()


def _explore(model, e: _Engine, max_states, progress, progress_every, stop, interruptible, observe, chunk,
             verify_every, cores, edges, precompute) -> Exploration:
    """:func:`explore` of a :class:`Model`, with the engine ``e``."""
    x = PackedExploration()
    x.precompute_seconds, x.precomputed = 0.0, False
    if precompute:
        t0 = time.perf_counter()
        x.precomputed = e.precompute()
        x.precompute_seconds = time.perf_counter() - t0
    x._engine = e
    x.states = PackedStates(e)
    x.decode, x.describe, x.attributes = model.decode, model.step, model.edge_attributes
    x.edge_offsets = None
    if not edges:
        x.has_edges, x.src = False, _NoEdges()
        x.dst = x.lab = x.src
    else:
        offsets = _Grow(np.int32, 1 << 12)  # edge_offsets of the states expanded so far
        offsets.extend([0])
    _kernel()  # loaded (or built) before the search's clock starts, as pan's run does not count pan's start
    started = time.perf_counter()
    next_report = started + progress_every
    init = list(dict.fromkeys(model.initial_states()))
    if any(len(s) != e.ncomp for s in init):
        raise RuntimeError(f"the packed engine expects states of {e.ncomp} components, not {init}")
    e._relayout()
    e.visited.add(e.layout.pack([np.array(col, dtype=np.int64) for col in zip(*init)]))
    _append(x.parent, np.full(len(init), -1))
    _append(x.via, np.full(len(init), -1))
    _append(x.depth, np.zeros(len(init)))
    limit = max_states if max_states is not None else 1 << 62
    kmap = np.full(0, -1, dtype=np.int64)  # model label -> label id (numbered as first seen)
    if cores is None:
        cores = min(2, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(2, thread_name_prefix="tcpcheck-packed") if cores > 1 and _kernel() else None
    e.pool = pool
    i = 0
    try:
        if observe is not None and (why := observe(x)) is not None:
            x.complete, x.stopped = False, why
        job = None
        while x.complete and i < e.states.n:
            if job is None:
                job = _expand_chunk(e, i, min(e.states.n, i + chunk), verify_every)
            hi, comps, rows, succ, labels, per_row = job
            n = hi - i
            base = e.states.n
            room = limit - base
            e.busy = _visit(e.visited, succ, rows, room, pool)
            # while the kernel visits this chunk in the other thread, the next one is expanded here, if
            # the queue already holds the whole of it (so that the chunks are those of the one-thread search)
            job = _expand_chunk(e, hi, hi + chunk, verify_every) if pool is not None and base >= hi + chunk else None
            ids, at, last_row = e.busy.result()
            e.busy = None
            if last_row >= 0:  # the state budget ran out inside this chunk, at the (room+1)-th new state
                x.complete, x.stopped = False, "max-states"
            else:
                last_row = n - 1
            # label ids in the order the steps are first seen (those of every expanded state)
            seen = labels if last_row == n - 1 else labels[rows <= last_row]
            top = int(seen.max()) + 1 if len(seen) else 0
            if top > len(kmap):
                kmap = np.concatenate([kmap, np.full(top - len(kmap), -1, dtype=np.int64)])
            unseen = seen[kmap[seen] < 0]
            if len(unseen):
                u, where = np.unique(unseen, return_index=True)
                u = u[np.argsort(where, kind="stable")]
                kmap[u] = np.arange(len(x.labels), len(x.labels) + len(u))
                x.labels.extend(u.tolist())
            # the new states, in id order, each with the step that found it first
            depth = np.frombuffer(x.depth, dtype=np.int32)[i:hi].astype(np.int64)
            _append(x.parent, i + rows[at])
            _append(x.via, kmap[labels[at]])
            _append(x.depth, depth[rows[at]] + 1)
            if not x.complete:  # edges to states beyond the budget are not kept
                keep = np.flatnonzero(ids >= 0)
                rows, ids, labels = rows[keep], ids[keep], labels[keep]
            if edges:  # (the offsets first: an interrupt between the two leaves offsets that _finish_offsets cuts)
                _extend_offsets(offsets, per_row[:n] if x.complete else np.bincount(rows, minlength=last_row + 1))
                _append(x.src, i + rows)
                _append(x.dst, ids)
                _append(x.lab, kmap[labels])
            else:
                x.n_transitions += len(ids)
            x.terminal.extend((i + np.flatnonzero(per_row[:last_row + 1] == 0)).tolist())
            i += last_row + 1
            x.expanded = i
            if not x.complete:
                break
            if observe is not None and (why := observe(x)) is not None:
                x.complete, x.stopped = False, why
                break
            now = time.perf_counter()
            if stop is not None and i < e.states.n:
                x.seconds = now - started
                why = stop(x)
                if why is not None:
                    x.complete, x.stopped = False, why
                    break
            if progress is not None and now >= next_report:
                x.seconds = now - started
                progress(x)
                next_report = now + progress_every
        x.expanded = i
    except KeyboardInterrupt:
        if e.busy is not None:
            e.busy.result()
        if not interruptible:
            raise
        x._cut(i)
        x.complete, x.stopped = False, "interrupted"
    except MemoryError:  # a table could not grow (a limit such as ulimit -v): stopped as --max-memory stops
        if e.busy is not None:
            e.busy.result()
        x._cut(i)
        x.complete, x.stopped = False, "max-memory"
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    x.cores = 1 if pool is None else min(cores, 2)  # the cores searched on (the threads work for two)
    # what the search's store holds as it ends, by part, in bytes (see stored_bytes)
    x.store = {"states": e.states.a.nbytes, "visited": e.visited.table.nbytes,
               **{name: _allocated(getattr(x, name)) for name in ("parent", "via", "depth")
                  + (("src", "dst", "lab") if edges else ())}}
    if edges:
        x.edge_offsets = _finish_offsets(offsets, x.expanded, len(x.states), len(x.src))
        x.store["edge_offsets"] = offsets.a.nbytes
    e.visited.table = None  # the search is over: the hash table is not needed any more
    e.states.trim()
    x.seconds = time.perf_counter() - started
    return x
