#!/usr/bin/env python3
"""An independent reader of a run's TensorBoard event files (RUN/tb/), written from the
formats' documentation, not from pmp's code:
  - TFRecord (tensorflow/core/lib/io/record_writer): uint64 length LE, uint32 masked
    CRC-32C of the length bytes, the data, uint32 masked CRC-32C of the data; mask =
    ((crc >> 15) | (crc << 17)) + 0xa282ead8;
  - CRC-32C: Castagnoli, reflected polynomial 0x82F63B78 (checked on "123456789" ->
    0xE3069283, RFC 3720 B.4);
  - protobuf wire format (varint keys field << 3 | type), Event (event.proto):
    wall_time 1 double, step 2 int64, file_version 3 string, summary 5; Summary: value 1;
    Summary.Value: tag 1 string, simple_value 2 float.
Checks every checksum, the file name TensorBoard discovers, the file_version record,
that no step appears twice, and every scalar against RUN/log.jsonl (each log line is one
event with the same step and the same figures, to float32). When python3-protobuf is
installed, every record is also parsed by Google's protobuf library (the messages
declared here from event.proto's field numbers) and must decode to the same fields and
serialise back to the same bytes.
usage: tb_read.py RUN_DIR [--tsv OUT.tsv]   (OUT.tsv: step, tag, value rows, for a plot)
"""
import glob
import json
import math
import os
import re
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    shift = val = 0
    while True:
        b = buf[pos]
        pos += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, pos
        shift += 7


def fields(buf):
    """(field, wire type, value) of one message; length-delimited values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        f, w = key >> 3, key & 7
        if w == 0:
            v, pos = varint(buf, pos)
        elif w == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif w == 2:
            n, pos = varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        elif w == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def records(path):
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        assert len(data) - pos >= 12, f"{path}: truncated record at {pos}"
        head = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", head)
        (hc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        assert masked(crc32c(head)) == hc, f"{path}: length CRC at {pos}"
        body = data[pos + 12:pos + 12 + n]
        (dc,) = struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])
        assert len(body) == n and masked(crc32c(body)) == dc, f"{path}: data CRC at {pos}"
        yield body
        pos += 16 + n


def protobuf_event_class():
    """tensorflow.Event from event.proto/summary.proto's field numbers, or None without
    python3-protobuf. proto2, so a field written with its default (step 0) is kept."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="pmp_tb_check.proto", package="tensorflow", syntax="proto2")
    v = fdp.message_type.add(name="Value")
    v.field.add(name="tag", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    v.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL)
    sm = fdp.message_type.add(name="Summary")
    sm.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tensorflow.Value")
    e = fdp.message_type.add(name="Event")
    e.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    e.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    e.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    e.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".tensorflow.Summary")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    d = pool.FindMessageTypeByName("tensorflow.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(d)
    return message_factory.MessageFactory(pool).GetPrototype(d)


def check_with_protobuf(Event, rec, ev):
    m = Event.FromString(rec)
    assert m.SerializeToString() == rec, "protobuf re-serialises the record differently"
    if m.HasField("file_version"):
        assert m.file_version == ev.get("file_version")
    assert m.step == ev.get("step", 0) and m.wall_time == ev["wall_time"]
    assert {v.tag: v.simple_value for v in m.summary.value} == ev["scalars"]


def read_run(run):
    files = sorted(glob.glob(os.path.join(run, "tb", "events.out.tfevents.*")))
    assert len(files) == 1, f"expected one event file, found {files}"
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\.[^/]+", os.path.basename(files[0])), files[0]
    events = []
    Event = protobuf_event_class()
    for k, rec in enumerate(records(files[0])):
        ev = {"scalars": {}}
        for f, w, v in fields(rec):
            if f == 1 and w == 1:
                ev["wall_time"] = struct.unpack("<d", v)[0]
            elif f == 2 and w == 0:
                ev["step"] = v
            elif f == 3 and w == 2:
                ev["file_version"] = v.decode()
            elif f == 5 and w == 2:
                for f2, w2, val in fields(v):
                    assert f2 == 1 and w2 == 2
                    tag = value = None
                    for f3, w3, x in fields(val):
                        if f3 == 1 and w3 == 2:
                            tag = x.decode()
                        elif f3 == 2 and w3 == 5:
                            value = struct.unpack("<f", x)[0]
                    ev["scalars"][tag] = value
        if Event is not None:
            check_with_protobuf(Event, rec, ev)
        if k == 0:
            assert ev.get("file_version") == "brain.Event:2", "first record must be the file version"
        else:
            events.append(ev)
    return events, Event is not None


def main():
    assert masked(0) == 0xA282EAD8 and crc32c(b"123456789") == 0xE3069283
    run = sys.argv[1]
    events, by_protobuf = read_run(run)
    log = [json.loads(l) for l in open(os.path.join(run, "log.jsonl"))]
    assert len(events) == len(log), f"{len(events)} events for {len(log)} log lines"
    seen = set()
    train_map = {"train/loss": "loss", "train/learning_rate": "lr", "train/grad_norm": "grad_norm",
                 "train/accuracy": "accuracy", "train/margin": "margin", "train/reward_mean": "reward_mean",
                 "train/reward_std": "reward_std", "train/reward_min": "reward_min",
                 "train/reward_max": "reward_max", "train/center": "center"}
    eval_map = {"eval/" + k: k for k in ("accuracy", "loss", "margin", "ece", "longer_wins",
                                         "longer_wins_visible", "vs_longer", "reward_mean", "reward_std",
                                         "reward_min", "reward_max", "lm_loss")}
    checked = 0
    for ev, line in zip(events, log):
        kind = "eval" if line.get("eval") else "train"
        assert ev["step"] == line["step"], f"event step {ev['step']} vs log step {line['step']}"
        assert (kind, ev["step"]) not in seen, f"step {ev['step']} ({kind}) twice"
        seen.add((kind, ev["step"]))
        m = eval_map if kind == "eval" else train_map
        for tag, key in m.items():
            assert (tag in ev["scalars"]) == (key in line), f"step {line['step']}: {tag} vs log {key}"
            if key in line:
                a, b = ev["scalars"][tag], line[key]
                tol = 1e-6 * max(1.0, abs(b)) + (1e-6 if kind == "eval" else 0)   # eval log: 6 decimals
                assert abs(a - struct.unpack("<f", struct.pack("<f", b))[0]) <= tol, (tag, line["step"], a, b)
                checked += 1
        if kind == "train":
            tps = ev["scalars"]["train/tokens_per_s"]
            want = line["tokens"] / (line["ms"] / 1000.0)
            assert abs(tps - want) <= 0.06 * want / max(line["ms"], 1) * 1.0 + 1e-3 * want, (tps, want)
            checked += 1
    steps = sorted(s for k, s in seen if k == "train")
    assert steps == list(range(1, len(steps) + 1)), "train steps must be 1..N once each"
    print(f"tb_read: {len(events)} events, {checked} scalars equal to log.jsonl, steps 1..{len(steps)} once, "
          f"all CRCs good" + (", every record parsed alike by python3-protobuf" if by_protobuf else
                              " (python3-protobuf absent: the hand decoder only)"))
    if len(sys.argv) > 3 and sys.argv[2] == "--tsv":
        with open(sys.argv[3], "w") as out:
            for ev in events:
                for tag, v in ev["scalars"].items():
                    out.write(f"{ev['step']}\t{tag}\t{v!r}\n")


if __name__ == "__main__":
    main()
