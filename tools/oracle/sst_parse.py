#!/usr/bin/env python3
"""Minimal parser of RocksDB block-based table (SST) files, as written by Flink's
EmbeddedRocksDBStateBackend (FRocksDB 6.20.3 in Flink 1.20.x, FRocksDB 8.10 in Flink 2.2.x).

Pure Python (includes a Snappy decompressor), no dependencies.

    python3 sst_parse.py FILE.sst                 # footer + block layout + properties (one screen)
    python3 sst_parse.py FILE.sst --entries       # also every data-block entry (decoded internal keys)
    python3 sst_parse.py FILE.sst --entries --flink   # + interpret Flink window-operator keys/values
    python3 sst_parse.py --json FILE.sst ...      # properties as JSON lines (one per file)
    python3 sst_parse.py --csv-props FILE.sst ... # one CSV row per file with the main properties

Format (RocksDB table/block_based/*, table/format.cc):
  file  = data blocks | [filter] | meta blocks (properties, ...) | metaindex | index | footer
  block = payload | trailer (1 byte compression type, 4 byte masked crc32c)   (kBlockTrailerSize = 5)
  footer (format_version >= 1, 53 bytes) = checksum type (1) | metaindex handle | index handle
          (varint64 offset, varint64 size each; zero-padded to 40 bytes) | format_version (u32 LE)
          | magic 0x88e241b785f4cff7 (u64 LE)
  legacy footer (48 bytes) = metaindex handle | index handle | pad to 40 | magic 0xdb4775248b80fb57
  block payload = entries | restart offsets (u32 LE each) | num_restarts (u32 LE; top bit = data-block hash index)
  entry = varint32 shared | varint32 non_shared | varint32 value_len | key delta | value
          (index blocks with index_value_is_delta_encoded=1 omit value_len: the value is a BlockHandle
           when shared == 0 (restart), else a zigzag varint64 size delta)
  internal key = user key | u64 LE (sequence << 8 | value type)
          value types: 0 deletion, 1 value, 2 merge, 7 single deletion, 0xF range deletion
"""
import json
import struct
import sys

NEW_MAGIC = 0x88E241B785F4CFF7
LEGACY_MAGIC = 0xDB4775248B80FB57
TRAILER = 5
COMPRESSION = {0: "none", 1: "snappy", 2: "zlib", 3: "bzip2", 4: "lz4", 5: "lz4hc", 6: "xpress", 7: "zstd"}
VTYPE = {0: "DEL", 1: "PUT", 2: "MERGE", 7: "SINGLEDEL", 0xF: "RANGEDEL", 0x10: "COLUMN_FAMILY_DEL"}

STRING_PROPS = {
    "rocksdb.column.family.name", "rocksdb.compression", "rocksdb.compression_options",
    "rocksdb.comparator", "rocksdb.merge.operator", "rocksdb.prefix.extractor.name",
    "rocksdb.property.collectors", "rocksdb.filter.policy", "rocksdb.db.id",
    "rocksdb.db.session.id", "rocksdb.db.host.id", "rocksdb.block.based.table.prefix.filtering",
    "rocksdb.block.based.table.whole.key.filtering", "rocksdb.seqno.to.time.mapping",
}
FIXED32_PROPS = {"rocksdb.block.based.table.index.type"}


# ---------------------------------------------------------------------------------------------
def varint(b, i):
    r = 0
    s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        if c < 0x80:
            return r, i
        s += 7


def zigzag(u):
    return (u >> 1) ^ -(u & 1)


def snappy_decompress(src):
    n, i = varint(src, 0)
    out = bytearray()
    L = len(src)
    while i < L:
        tag = src[i]
        i += 1
        t = tag & 3
        if t == 0:
            ln = tag >> 2
            if ln >= 60:
                nb = ln - 59
                ln = int.from_bytes(src[i:i + nb], "little")
                i += nb
            ln += 1
            out += src[i:i + ln]
            i += ln
            continue
        if t == 1:
            ln = 4 + ((tag >> 2) & 7)
            off = ((tag >> 5) << 8) | src[i]
            i += 1
        elif t == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(src[i:i + 2], "little")
            i += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(src[i:i + 4], "little")
            i += 4
        start = len(out) - off
        if off >= ln:
            out += out[start:start + ln]
        else:
            for k in range(ln):
                out.append(out[start + k])
    if len(out) != n:
        raise ValueError("snappy: length mismatch %d != %d" % (len(out), n))
    return bytes(out)


# ---------------------------------------------------------------------------------------------
class Sst:
    def __init__(self, data, name="?"):
        self.name = name
        self.data = data
        self.size = len(data)
        self._footer()
        self.blocks = []  # (kind, offset, size, ctype, raw_len)
        self.meta = self._read_block_entries(self.metaindex, "metaindex", kind="meta")
        self.meta_handles = {}
        for k, v, _ in self.meta:
            off, j = varint(v, 0)
            sz, j = varint(v, j)
            self.meta_handles[k.decode()] = (off, sz)
        self.props = {}
        if "rocksdb.properties" in self.meta_handles:
            for k, v, _ in self._read_block_entries(self.meta_handles["rocksdb.properties"], "properties", kind="meta"):
                self.props[k.decode()] = self._prop_value(k.decode(), v)
        self.index_user_key = bool(self.props.get("rocksdb.index.key.is.user.key", 0))
        self.index_delta = bool(self.props.get("rocksdb.index.value.is.delta.encoded", 0))
        self.index = self._read_index()
        for name, h in self.meta_handles.items():
            if name != "rocksdb.properties":
                self.blocks.append((name, h[0], h[1], None, None))
        self.blocks.sort(key=lambda x: x[1])

    # footer -----------------------------------------------------------------------------------
    def _footer(self):
        d = self.data
        magic = struct.unpack_from("<Q", d, self.size - 8)[0]
        if magic == NEW_MAGIC:
            f = d[self.size - 53:]
            self.footer_len = 53
            self.checksum_type = f[0]
            i = 1
            self.format_version = struct.unpack_from("<I", f, 41)[0]
        elif magic == LEGACY_MAGIC:
            f = d[self.size - 48:]
            self.footer_len = 48
            self.checksum_type = 1
            self.format_version = 0
            i = 0
        else:
            raise ValueError("%s: bad magic %x" % (self.name, magic))
        mo, i = varint(f, i)
        ms, i = varint(f, i)
        io, i = varint(f, i)
        isz, i = varint(f, i)
        self.metaindex = (mo, ms)
        self.index_handle = (io, isz)
        self.magic = magic

    # blocks -----------------------------------------------------------------------------------
    def block(self, handle, kind):
        off, sz = handle
        raw = self.data[off:off + sz]
        ctype = self.data[off + sz]
        if ctype == 0:
            payload = raw
        elif ctype == 1:
            payload = snappy_decompress(raw)
        else:
            raise ValueError("compression type %d not supported" % ctype)
        self.blocks.append((kind, off, sz, COMPRESSION.get(ctype, ctype), len(payload)))
        return payload, ctype

    @staticmethod
    def parse_block(payload, delta_values=False):
        """-> list of (key, value, is_restart); value may be a BlockHandle-delta tuple for index blocks."""
        nr = struct.unpack_from("<I", payload, len(payload) - 4)[0] & 0x7FFFFFFF
        end = len(payload) - 4 - 4 * nr
        restarts = set(struct.unpack_from("<%dI" % nr, payload, end)) if nr else set()
        out = []
        i = 0
        key = b""
        while i < end:
            at_restart = i in restarts
            shared, i = varint(payload, i)
            non_shared, i = varint(payload, i)
            if delta_values:
                k = key[:shared] + payload[i:i + non_shared]
                i += non_shared
                if shared == 0:
                    o, i = varint(payload, i)
                    s, i = varint(payload, i)
                    v = ("handle", o, s)
                else:
                    d, i = varint(payload, i)
                    v = ("delta", zigzag(d))
            else:
                vlen, i = varint(payload, i)
                k = key[:shared] + payload[i:i + non_shared]
                i += non_shared
                v = payload[i:i + vlen]
                i += vlen
            out.append((k, v, at_restart))
            key = k
        return out, nr

    def _read_block_entries(self, handle, kind_name, kind="meta"):
        payload, _ = self.block(handle, kind_name)
        ents, _ = self.parse_block(payload)
        return ents

    def _prop_value(self, k, v):
        if k in STRING_PROPS:
            return v.decode("latin-1")
        if k in FIXED32_PROPS and len(v) == 4:
            return struct.unpack("<I", v)[0]
        try:
            n, j = varint(v, 0)
            if j == len(v):
                return n
        except IndexError:
            pass
        return v.decode("latin-1")

    def _read_index(self):
        payload, _ = self.block(self.index_handle, "index")
        ents, self.index_restarts = self.parse_block(payload, delta_values=self.index_delta)
        handles = []
        prev = None
        for k, v, _ in ents:
            if not self.index_delta:
                o, j = varint(v, 0)
                s, j = varint(v, j)
            elif v[0] == "handle":
                o, s = v[1], v[2]
            else:
                o = prev[0] + prev[1] + TRAILER
                s = prev[1] + v[1]
            handles.append((k, (o, s)))
            prev = (o, s)
        return handles

    def data_blocks(self):
        for sep, h in self.index:
            payload, ctype = self.block(h, "data")
            ents, nr = self.parse_block(payload)
            yield h, ctype, len(payload), nr, ents

    def entries(self):
        for h, ctype, plen, nr, ents in self.data_blocks():
            for k, v, rs in ents:
                uk = k[:-8]
                packed = struct.unpack("<Q", k[-8:])[0]
                yield uk, packed >> 8, packed & 0xFF, v


# ---------------------------------------------------------------------------------------------
# Flink decoding (window operator state; maxParallelism <= 128 -> 1-byte key-group prefix)
def be64(b, i=0):
    return struct.unpack_from(">q", b, i)[0]


def flink_element(b, i):
    """Tuple3<Long,Long,String> element (String = StringValue: varint(len+1) + chars)."""
    k = be64(b, i)
    ts = be64(b, i + 8)
    j = i + 16
    ln = 0
    s = 0
    while True:
        c = b[j]
        j += 1
        ln |= (c & 0x7F) << s
        if c < 0x80:
            break
        s += 7
    ln -= 1
    j += ln
    return (k, ts, ln), j


def flink_decode(cf, uk, vtype, v):
    try:
        if cf == "window-contents" and len(uk) == 25:
            kg = uk[0]
            key = be64(uk, 1)
            ws, we = be64(uk, 9), be64(uk, 17)
            desc = "kg=%d key=%d ns=TimeWindow[%d,%d)" % (kg, key, ws, we)
            if vtype in (1, 2) and v:
                els = []
                i = 0
                while i < len(v):
                    # value bytes: a ListState value (elements joined by ','), or a single
                    # Tuple3 (reduce), or Tuple2<Long,Long> (aggregate, 16 bytes)
                    if len(v) == 16:
                        els.append(("acc", be64(v, 0), be64(v, 8)))
                        break
                    e, i = flink_element(v, i)
                    els.append(e)
                    if i < len(v):
                        if v[i] != 0x2C:
                            els.append(("?sep", v[i]))
                        i += 1
                desc += " elements=%d %s" % (len(els), els[:3] if len(els) <= 3 else str(els[:2]) + "...")
            return desc
        if cf.startswith("_timer_state/") and len(uk) == 33:
            kg = uk[0]
            ts = struct.unpack_from(">Q", uk, 1)[0] ^ (1 << 63)  # TimerSerializer: sign bit flipped
            key = be64(uk, 9)
            return "kg=%d timer ts=%d key=%d ns=TimeWindow[%d,%d)" % (kg, ts, key, be64(uk, 17), be64(uk, 25))
        if cf == "merging-window-set" and len(uk) == 10:
            return "kg=%d key=%d ns=VoidNamespace(%d) value_len=%d" % (uk[0], be64(uk, 1), uk[9], len(v))
    except Exception as e:  # noqa
        return "undecoded (%s)" % e
    return ""


# ---------------------------------------------------------------------------------------------
def summary(s):
    p = s.props
    lines = ["file %s  size=%d  format_version=%d  checksum_type=%d  footer=%d bytes" %
             (s.name, s.size, s.format_version, s.checksum_type, s.footer_len)]
    lines.append("metaindex=%s index=%s meta blocks=%s" % (s.metaindex, s.index_handle, sorted(s.meta_handles)))
    for k in sorted(p):
        lines.append("  %-55s %s" % (k, p[k]))
    return "\n".join(lines)


MAIN_PROPS = [
    ("cf", "rocksdb.column.family.name"), ("cf_id", "rocksdb.column.family.id"),
    ("entries", "rocksdb.num.entries"), ("deletions", "rocksdb.deleted.keys"),
    ("merge_operands", "rocksdb.merge.operands"), ("raw_key", "rocksdb.raw.key.size"),
    ("raw_value", "rocksdb.raw.value.size"), ("data_size", "rocksdb.data.size"),
    ("index_size", "rocksdb.index.size"), ("filter_size", "rocksdb.filter.size"),
    ("data_blocks", "rocksdb.num.data.blocks"), ("compression", "rocksdb.compression"),
    ("format_version", "rocksdb.format.version"), ("creation_time", "rocksdb.creation.time"),
    ("oldest_key_time", "rocksdb.oldest.key.time"), ("file_creation_time", "rocksdb.file.creation.time"),
]


def props_row(s):
    row = {"size": s.size}
    for col, key in MAIN_PROPS:
        row[col] = s.props.get(key, "")
    row["meta_blocks"] = "|".join(sorted(s.meta_handles))
    row["index_bytes_on_disk"] = s.index_handle[1]
    row["props_block_bytes"] = s.meta_handles.get("rocksdb.properties", (0, 0))[1]
    row["metaindex_bytes"] = s.metaindex[1]
    return row


def main(argv):
    import csv
    files = [a for a in argv if not a.startswith("--")]
    if "--csv-props" in argv:
        w = None
        for f in files:
            s = Sst(open(f, "rb").read(), f)
            r = {"file": f}
            r.update(props_row(s))
            if w is None:
                w = csv.DictWriter(sys.stdout, fieldnames=list(r))
                w.writeheader()
            w.writerow(r)
        return
    for f in files:
        s = Sst(open(f, "rb").read(), f)
        if "--json" in argv:
            print(json.dumps({"file": f, "size": s.size, "format_version": s.format_version, "props": s.props}))
            continue
        print(summary(s))
        cf = s.props.get("rocksdb.column.family.name", "")
        if "--entries" in argv or "--blocks" in argv:
            for n, (h, ctype, plen, nr, ents) in enumerate(s.data_blocks()):
                print("data block %d: offset=%d size_on_disk=%d (+5 trailer) compression=%s uncompressed=%d entries=%d restarts=%d"
                      % (n, h[0], h[1], COMPRESSION.get(ctype), plen, len(ents), nr))
                if "--entries" not in argv:
                    continue
                for k, v, rs in ents:
                    uk = k[:-8]
                    packed = struct.unpack("<Q", k[-8:])[0]
                    seq, t = packed >> 8, packed & 0xFF
                    line = "  %s seq=%d %-5s key(%d)=%s value(%d)" % ("R" if rs else " ", seq, VTYPE.get(t, t), len(uk), uk.hex(), len(v))
                    if "--flink" in argv:
                        line += "  " + flink_decode(cf, uk, t, v)
                    print(line)
            print("index block: %d entries (restarts %d), first sep=%s" % (len(s.index), s.index_restarts,
                  s.index[0][0].hex() if s.index else ""))
            print("layout:", [(b[0], b[1], b[2]) for b in sorted(set(s.blocks), key=lambda x: x[1])])
        # sanity: block accounting
        data_end = sum(h[1] + TRAILER for _, h in s.index)
        print("check: sum(data blocks + trailers)=%d rocksdb.data.size=%s" % (data_end, s.props.get("rocksdb.data.size")))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
