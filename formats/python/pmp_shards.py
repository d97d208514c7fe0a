"""pmp_shards — read pmp shard files (docs/shards.md) into numpy arrays.

Needs only numpy and the standard library: zstd frames are decompressed with
the system libzstd (libzstd.so.1) and xxHash64 checked with libxxhash.so.0,
both through ctypes.

    import pmp_shards
    s = pmp_shards.load_shard("shards/shard-000000.pmps")
    s.tokens[s.ctx_off[g]:s.ctx_off[g + 1]]      # context tokens of group g
    s.pairs                                       # (n_pairs, 2) response indices
    d = pmp_shards.load_dir("shards/")            # every shard the manifest lists

A Shard has, for G groups, R responses and P pairs:
  tokens       uint32 [T]   all token ids, group by group: context, then responses
  ctx_off      int64 [G+1]  group g's context is tokens[ctx_off[g]:ctx_end[g]]
  ctx_end      int64 [G]
  ctx_orig     uint32 [G]   context length before truncation
  resp_group   int64 [R]    group of each response
  resp_off     int64 [R+1]  response r is tokens[resp_off[r]:resp_end[r]]
  resp_end     int64 [R]
  resp_orig    uint32 [R]
  scores       float64 [R]
  created_utc  float64 [R]  NaN when absent
  group_resp   int64 [G+1]  group g's responses are resp rows group_resp[g]:group_resp[g+1]
  pairs        int64 [P, 2] (better, worse) as GLOBAL response rows
  pair_group   int64 [P]
  group_pairs  int64 [G+1]
  ids, sources, metas, resp_ids: lists of str (meta: JSON text or None)
  split_keys   list of str or None (the group's split_key, docs/records.md)
"""

import ctypes
import ctypes.util
import json
import os
import struct

import numpy as np

HEADER_SIZE = 16
BLOCK_HEADER_SIZE = 24
INDEX_ENTRY_SIZE = 48
FOOTER_SIZE = 96
VERSION = 1


class ShardError(Exception):
    pass


def _lib(names):
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError:
            continue
    raise ShardError("cannot load any of %s" % (names,))


_zstd = _lib(["libzstd.so.1", ctypes.util.find_library("zstd") or "libzstd.so"])
_zstd.ZSTD_decompress.restype = ctypes.c_size_t
_zstd.ZSTD_decompress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
_zstd.ZSTD_isError.restype = ctypes.c_uint
_zstd.ZSTD_isError.argtypes = [ctypes.c_size_t]
_xxh = _lib(["libxxhash.so.0", ctypes.util.find_library("xxhash") or "libxxhash.so"])
_xxh.XXH64.restype = ctypes.c_uint64
_xxh.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]


def xxh64(data):
    return _xxh.XXH64(bytes(data), len(data), 0)


def _decompress(comp, raw_len):
    out = ctypes.create_string_buffer(max(raw_len, 1))
    n = _zstd.ZSTD_decompress(out, raw_len, bytes(comp), len(comp))
    if _zstd.ZSTD_isError(n) or n != raw_len:
        raise ShardError("zstd decompression failed")
    return out.raw[:raw_len]


class Shard:
    pass


def read_index(buf, path="<shard>"):
    """Checks header and footer; returns (footer dict, list of index entries)."""
    if len(buf) < HEADER_SIZE + FOOTER_SIZE:
        raise ShardError("%s: truncated" % path)
    magic, ver, flags = struct.unpack_from("<8sII", buf, 0)
    if magic != b"PMPSHRD\0" or ver != VERSION or flags != 0:
        raise ShardError("%s: header: bad magic or version" % path)
    f = buf[-FOOTER_SIZE:]
    fmagic, fver, fflags, nb, ioff, ilen, ixxh, ng, npairs, ntok, nnopair, fxxh, endm = \
        struct.unpack("<8sIIQQQQQQQQQ8s", f)
    if fmagic != b"PMPFOOT\0" or endm != b"PMPSEND\0":
        raise ShardError("%s: footer: bad magic" % path)
    if xxh64(f[:80]) != fxxh:
        raise ShardError("%s: footer: checksum mismatch" % path)
    if ilen != nb * INDEX_ENTRY_SIZE or ioff + ilen + FOOTER_SIZE != len(buf):
        raise ShardError("%s: footer: index position does not match the file size" % path)
    index = buf[ioff:ioff + ilen]
    if xxh64(index) != ixxh:
        raise ShardError("%s: index: checksum mismatch" % path)
    entries = [struct.unpack_from("<QIIQQQII", index, b * INDEX_ENTRY_SIZE) for b in range(nb)]
    footer = dict(blocks=nb, groups=ng, pairs=npairs, tokens=ntok, groups_without_pairs=nnopair)
    return footer, entries


def _blocks(buf, entries, path):
    for b, (off, raw_len, comp_len, h, first_group, first_pair, n_groups, n_pairs) in enumerate(entries):
        bm, braw, bcomp, bng, bh = struct.unpack_from("<4sIIIQ", buf, off)
        if (bm, braw, bcomp, bng, bh) != (b"PMPB", raw_len, comp_len, n_groups, h):
            raise ShardError("%s: block %d: header does not match the index" % (path, b))
        comp = buf[off + BLOCK_HEADER_SIZE:off + BLOCK_HEADER_SIZE + comp_len]
        if xxh64(comp) != h:
            raise ShardError("%s: block %d: checksum mismatch" % (path, b))
        yield b, n_groups, _decompress(comp, raw_len)


def load_shard(path):
    with open(path, "rb") as fh:
        buf = fh.read()
    footer, entries = read_index(buf, path)
    ntok = footer["tokens"]
    s = Shard()
    s.path = path
    s.footer = footer
    tokens = np.empty(ntok, dtype=np.uint32)
    tpos = 0
    ctx_off, ctx_end, ctx_orig = [], [], []
    resp_group, resp_off, resp_end, resp_orig, scores, created = [], [], [], [], [], []
    group_resp, pairs, pair_group, group_pairs = [0], [], [], [0]
    s.ids, s.sources, s.metas, s.resp_ids = [], [], [], []
    s.split_keys = []
    u32 = struct.Struct("<I")
    for b, n_groups, raw in _blocks(buf, entries, path):
        pos = 0
        for _ in range(n_groups):
            g = len(s.ids)
            (rec_len,) = u32.unpack_from(raw, pos)
            pos += 4
            end = pos + rec_len
            flags, = u32.unpack_from(raw, pos); pos += 4

            def string():
                nonlocal pos
                (n,) = u32.unpack_from(raw, pos)
                v = raw[pos + 4:pos + 4 + n]
                pos += 4 + n
                return v

            s.sources.append(string().decode("utf-8"))
            s.ids.append(string().decode("utf-8"))
            meta = string()
            s.metas.append(meta.decode("utf-8") if flags & 1 else None)
            # bit 1: a split key follows (records written before keys have none)
            s.split_keys.append(string().decode("utf-8") if flags & 2 else None)

            def toks(n):
                nonlocal pos, tpos
                a = np.frombuffer(raw, dtype="<u4", count=n, offset=pos)
                tokens[tpos:tpos + n] = a
                start = tpos
                tpos += n
                pos += 4 * n
                return start

            n_ctx, orig = struct.unpack_from("<II", raw, pos); pos += 8
            ctx_off.append(toks(n_ctx))
            ctx_end.append(ctx_off[-1] + n_ctx)
            ctx_orig.append(orig)
            (n_resp,) = u32.unpack_from(raw, pos); pos += 4
            base = len(scores)
            for r in range(n_resp):
                (rf,) = u32.unpack_from(raw, pos); pos += 4
                rid = string()
                s.resp_ids.append(rid.decode("utf-8") if rf & 1 else None)
                sc, cu, n, o = struct.unpack_from("<ddII", raw, pos); pos += 24
                scores.append(sc)
                created.append(cu)
                resp_group.append(g)
                resp_off.append(toks(n))
                resp_end.append(resp_off[-1] + n)
                resp_orig.append(o)
            group_resp.append(len(scores))
            (n_pairs,) = u32.unpack_from(raw, pos); pos += 4
            p = np.frombuffer(raw, dtype="<u4", count=2 * n_pairs, offset=pos).reshape(-1, 2)
            pos += 8 * n_pairs
            pairs.append(p.astype(np.int64) + base)
            pair_group.extend([g] * n_pairs)
            group_pairs.append(len(pair_group))
            if pos != end:
                raise ShardError("%s: block %d: record %d has a wrong length" % (path, b, g))
    if tpos != ntok or len(s.ids) != footer["groups"] or len(pair_group) != footer["pairs"]:
        raise ShardError("%s: counts do not match the footer" % path)
    s.tokens = tokens
    s.ctx_off = np.array(ctx_off + [tpos], dtype=np.int64)
    s.ctx_end = np.array(ctx_end, dtype=np.int64)
    s.ctx_orig = np.array(ctx_orig, dtype=np.uint32)
    s.resp_group = np.array(resp_group, dtype=np.int64)
    s.resp_off = np.array(resp_off + [tpos], dtype=np.int64)
    s.resp_end = np.array(resp_end, dtype=np.int64)
    s.resp_orig = np.array(resp_orig, dtype=np.uint32)
    s.scores = np.array(scores, dtype=np.float64)
    s.created_utc = np.array(created, dtype=np.float64)
    s.group_resp = np.array(group_resp, dtype=np.int64)
    s.pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    s.pair_group = np.array(pair_group, dtype=np.int64)
    s.group_pairs = np.array(group_pairs, dtype=np.int64)
    return s


def load_manifest(dirpath):
    with open(os.path.join(dirpath, "manifest.json"), "rb") as fh:
        return json.load(fh)


def load_dir(dirpath, check_files=True):
    """Every shard the manifest lists, in order, as a list of Shard. With
    check_files, each file's size and whole-file xxHash64 must match the manifest."""
    m = load_manifest(dirpath)
    out = []
    for e in m["shards"]:
        p = os.path.join(dirpath, e["name"])
        if check_files:
            with open(p, "rb") as fh:
                data = fh.read()
            if len(data) != e["bytes"] or "%016x" % xxh64(data) != e["xxh64"]:
                raise ShardError("%s: size or checksum differs from the manifest" % p)
        out.append(load_shard(p))
    return out
